/**
 * Zip archives laid out field by field, honest by default, with any field of any record made
 * to disagree: the central directory's, a local header's, a data descriptor's, the end
 * records', and bytes placed where no record accounts for them.
 */
import { crc32, deflateRawSync } from 'node:zlib';

/** The fields a local header and a central record share. */
export interface HeaderFields {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly csize: number;
  readonly usize: number;
}

export interface ForgedEntry {
  readonly name: string;
  /** @default empty */
  readonly data?: Buffer | string;
  /** Deflate the data. @default true */
  readonly compress?: boolean;
  /** Sizes (and offset) in zip64 extra fields, the 32-bit fields all ones. @default false */
  readonly zip64?: boolean;
  /** CRC-32 and sizes in a data descriptor after the data (flag bit 3). @default false */
  readonly descriptor?: Partial<Pick<HeaderFields, 'crc' | 'csize' | 'usize'>> | boolean;
  /** Central record fields that differ from the truth. */
  readonly central?: Partial<HeaderFields> & { readonly offset?: number };
  /** Local header fields that differ from the truth. */
  readonly local?: Partial<HeaderFields>;
  /** Bytes after the compressed data, counted in the compressed size. */
  readonly trailing?: Buffer;
  /** Write no local header or data for it (its `central.offset` says where it is). */
  readonly centralOnly?: boolean;
}

export interface EndFields {
  readonly count: number;
  readonly size: number;
  readonly offset: number;
}

export interface ForgedArchive {
  readonly entries: readonly ForgedEntry[];
  /** Bytes before the first entry, counted in every offset. */
  readonly prefix?: Buffer;
  /** Bytes after the entry of this index (before the next one), counted in later offsets. */
  readonly between?: { readonly after: number; readonly bytes: Buffer };
  /** Bytes after the last central record, before the end records. */
  readonly afterCentral?: Buffer;
  /** Count the bytes of `afterCentral` in the central directory's size. @default false */
  readonly afterCentralCounted?: boolean;
  /** End-of-central-directory fields that differ from the truth. */
  readonly end?: Partial<EndFields>;
  /** The end record's comment. @default empty */
  readonly comment?: Buffer;
  /** Write zip64 end records; the classic record's fields hold the all-ones marks. */
  readonly zip64End?: boolean;
  /** Zip64 end record fields that differ from the truth. */
  readonly zip64EndFields?: Partial<EndFields>;
  /** Bytes between the zip64 end record and its locator. */
  readonly afterZip64End?: Buffer;
}

const UTF8_NAMES = 0x0800;
const DESCRIPTOR = 0x0008;
const MADE_BY_UNIX = (3 << 8) | 45;
const FILE_MODE = 0o100644;

function u16(value: number): Buffer {
  const buffer = Buffer.alloc(2);
  buffer.writeUInt16LE(value);
  return buffer;
}
function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value >>> 0);
  return buffer;
}
function u64(value: number): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigUInt64LE(BigInt(value));
  return buffer;
}

/** The true fields and stored bytes of an entry. */
function content(entry: ForgedEntry): { fields: HeaderFields; stored: Buffer } {
  const data = Buffer.from(entry.data ?? '');
  const compress = (entry.compress ?? true) && data.length > 0;
  const stored = Buffer.concat([
    compress ? deflateRawSync(data) : data,
    entry.trailing ?? Buffer.alloc(0),
  ]);
  const fields = {
    name: entry.name,
    flags: UTF8_NAMES | (entry.descriptor ? DESCRIPTOR : 0),
    method: compress ? 8 : 0,
    crc: crc32(data),
    csize: stored.length,
    usize: data.length,
  };
  return { fields, stored };
}

/** An entry's local header followed by its data (and data descriptor). */
export function localRecord(entry: ForgedEntry): Buffer {
  const { fields, stored } = content(entry);
  const local = { ...fields, ...entry.local };
  const deferred = Boolean(entry.descriptor) && entry.local === undefined;
  const name = Buffer.from(local.name, 'utf8');
  const extra = entry.zip64
    ? Buffer.concat([
        u16(1),
        u16(16),
        u64(deferred ? 0 : local.usize),
        u64(deferred ? 0 : local.csize),
      ])
    : Buffer.alloc(0);
  const size = (value: number) => u32(entry.zip64 ? 0xffffffff : deferred ? 0 : value);
  const parts = [
    u32(0x04034b50),
    u16(entry.zip64 ? 45 : 20),
    u16(local.flags),
    u16(local.method),
    u16(0),
    u16(0x21),
    u32(deferred ? 0 : local.crc),
    size(local.csize),
    size(local.usize),
    u16(name.length),
    u16(extra.length),
    name,
    extra,
    stored,
  ];
  if (entry.descriptor) {
    const told = { ...fields, ...(typeof entry.descriptor === 'object' ? entry.descriptor : {}) };
    const width = entry.zip64 ? u64 : u32;
    parts.push(u32(0x08074b50), u32(told.crc), width(told.csize), width(told.usize));
  }
  return Buffer.concat(parts);
}

function centralRecord(entry: ForgedEntry, offset: number): Buffer {
  const { fields } = content(entry);
  const central = { ...fields, ...entry.central };
  const at = entry.central?.offset ?? offset;
  const name = Buffer.from(central.name, 'utf8');
  const extra = entry.zip64
    ? Buffer.concat([u16(1), u16(24), u64(central.usize), u64(central.csize), u64(at)])
    : Buffer.alloc(0);
  const mark = (value: number) => u32(entry.zip64 ? 0xffffffff : value);
  return Buffer.concat([
    u32(0x02014b50),
    u16(MADE_BY_UNIX),
    u16(entry.zip64 ? 45 : 20),
    u16(central.flags),
    u16(central.method),
    u16(0),
    u16(0x21),
    u32(central.crc),
    mark(central.csize),
    mark(central.usize),
    u16(name.length),
    u16(extra.length),
    u16(0),
    u16(0),
    u16(0),
    u32(FILE_MODE * 0x10000),
    mark(at),
    name,
    extra,
  ]);
}

/** The archive `spec` describes, in order: prefix, entries, central directory, end records. */
export function forgeZip(spec: ForgedArchive): Buffer {
  const body: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  if (spec.prefix) {
    body.push(spec.prefix);
    offset += spec.prefix.length;
  }
  for (const [index, entry] of spec.entries.entries()) {
    if (entry.centralOnly) {
      centrals.push(centralRecord(entry, 0));
    } else {
      const local = localRecord(entry);
      centrals.push(centralRecord(entry, offset));
      body.push(local);
      offset += local.length;
    }
    if (spec.between?.after === index) {
      body.push(spec.between.bytes);
      offset += spec.between.bytes.length;
    }
  }
  const central = Buffer.concat(centrals);
  const after = spec.afterCentral ?? Buffer.alloc(0);
  const truth = {
    count: spec.entries.length,
    size: central.length + (spec.afterCentralCounted ? after.length : 0),
    offset,
  };
  const tail: Buffer[] = [central, after];
  let classic = { ...truth, ...spec.end };
  if (spec.zip64End) {
    const fields = { ...truth, ...spec.zip64EndFields };
    const recordAt = offset + central.length + after.length;
    tail.push(
      u32(0x06064b50),
      u64(44),
      u16(MADE_BY_UNIX),
      u16(45),
      u32(0),
      u32(0),
      u64(fields.count),
      u64(fields.count),
      u64(fields.size),
      u64(fields.offset),
      spec.afterZip64End ?? Buffer.alloc(0),
      u32(0x07064b50),
      u32(0),
      u64(recordAt),
      u32(1),
    );
    classic = { count: 0xffff, size: 0xffffffff, offset: 0xffffffff, ...spec.end };
  }
  const comment = spec.comment ?? Buffer.alloc(0);
  tail.push(
    u32(0x06054b50),
    u16(0),
    u16(0),
    u16(classic.count),
    u16(classic.count),
    u32(classic.size),
    u32(classic.offset),
    u16(comment.length),
    comment,
  );
  return Buffer.concat([...body, ...tail]);
}

/** An end-of-central-directory record (with no comment) that copies the one ending `archive`. */
export function copyOfEndRecord(archive: Buffer): Buffer {
  const at = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const copy = Buffer.from(archive.subarray(at, at + 22));
  copy.writeUInt16LE(0, 20);
  return copy;
}
