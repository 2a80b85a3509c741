/**
 * A zip archive written front to back, for a stream: each entry's local header, its data and
 * (when its CRC-32 and sizes were not known before its data) a data descriptor, then the
 * central directory and the end records. Zip64 records are written where a size, an offset or
 * the entry count needs them, and only there, so that the archive every reader takes (our own
 * strict one, Info-ZIP's, Python's) is the one written.
 */
import { crc32 } from 'node:zlib';

const LOCAL_SIGNATURE = 0x04034b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const LOCAL_SIZE = 30;
const CENTRAL_SIZE = 46;
const ZIP64_EXTRA = 0x0001;
const U16 = 0xffff;
const U32 = 0xffffffff;
/** Version made by: Unix (3), so that readers take the high half of the attributes as a mode. */
const MADE_BY = (3 << 8) | 45;
const NEEDS_DEFLATE = 20;
const NEEDS_ZIP64 = 45;
/** General purpose flags: CRC-32 and sizes in a data descriptor; the name is UTF-8. */
const FLAG_DESCRIPTOR = 0x0008;
const FLAG_UTF8 = 0x0800;
/** The MS-DOS directory attribute, which readers that ignore Unix modes look at. */
const DOS_DIRECTORY = 0x10;
/** Bytes a streamed entry's data may grow by under deflate, beyond its size (headroom). */
const STREAM_HEADROOM = 64 * 1024 * 1024;

const EMPTY = Buffer.alloc(0);

/** Compression methods: stored as is, or deflated. */
export const STORED = 0;
export const DEFLATED = 8;

/** What a local and a central header say of an entry besides its data. */
export interface ZipEntryHeader {
  /** Its path, `/`-separated; a directory's ends with `/`. */
  readonly name: string;
  /** Its Unix mode, type bits included (`0o100644`, `0o040755`, `0o120777`). */
  readonly mode: number;
  /** Its modification time, in milliseconds since the epoch. */
  readonly mtimeMs: number;
}

/** An entry's data when it is known whole: its bytes as written and what they stand for. */
export interface ZipWholeData {
  readonly method: typeof STORED | typeof DEFLATED;
  /** The bytes written (deflated or not). */
  readonly data: Buffer;
  /** CRC-32 of the uncompressed bytes. */
  readonly crc32: number;
  /** Uncompressed size. */
  readonly size: number;
}

/** What the central directory keeps of an entry. */
interface CentralFacts {
  readonly name: Buffer;
  readonly flags: number;
  readonly method: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly offset: number;
  readonly time: number;
  readonly external: number;
  /** Whether its local header has a zip64 extra field. */
  readonly zip64: boolean;
}

/** The entry being streamed: its header's facts until its descriptor is written. */
interface Open {
  readonly fixed: Fixed;
  readonly zip64: boolean;
  readonly dataStart: number;
}

/** What an entry's headers say before its data is known. */
type Fixed = Omit<CentralFacts, 'crc32' | 'compressedSize' | 'size' | 'zip64'>;

/** Bytes of central directory records gathered in one buffer before another is begun. */
const SLAB = 64 * 1024;

/** MS-DOS time and date (local time, from 1980 on) in one number: date high, time low. */
function dosDateTime(ms: number): number {
  const at = new Date(ms);
  const year = at.getFullYear();
  if (!Number.isFinite(year) || year < 1980) return (1 << 5) | 1; // 1980-01-01 00:00:00
  const date = ((Math.min(year, 2107) - 1980) << 9) | ((at.getMonth() + 1) << 5) | at.getDate();
  const time = (at.getHours() << 11) | (at.getMinutes() << 5) | (at.getSeconds() >> 1);
  return date * 0x10000 + time;
}

/** The 16-bit zip64 extra field holding `values` (8 bytes each), or an empty buffer. */
function zip64Extra(values: readonly number[]): Buffer {
  if (values.length === 0) return EMPTY;
  const extra = Buffer.allocUnsafe(4 + 8 * values.length);
  extra.writeUInt16LE(ZIP64_EXTRA, 0);
  extra.writeUInt16LE(8 * values.length, 2);
  for (const [at, value] of values.entries()) extra.writeBigUInt64LE(BigInt(value), 4 + 8 * at);
  return extra;
}

/** Whether every byte of `name` is printable ASCII (0x20-0x7e). */
function printableAscii(name: Buffer): boolean {
  for (const byte of name) if (byte < 0x20 || byte > 0x7e) return false;
  return true;
}

/** A value for a 32-bit field: itself, or the all-ones mark when it needs the zip64 field. */
function field32(value: number): number {
  return Math.min(value, U32);
}

/**
 * Writes a zip archive to `emit`, entry by entry, in the order they are added. The writer
 * keeps the central directory's facts of each entry (its name, sizes and offset) until
 * {@link finish}; nothing else grows with the archive.
 */
export class ZipWriter {
  readonly #emit: (chunk: Buffer) => void;
  /** Central directory records, written as entries end, in slabs (no object per entry). */
  readonly #slabs: Buffer[] = [];
  #slab = Buffer.allocUnsafe(SLAB);
  #slabUsed = 0;
  #count = 0;
  #offset = 0;
  #open: Open | undefined;
  #finished = false;
  /** The last modification time converted, and its MS-DOS form: a tree's files share times. */
  #lastTime = { ms: Number.NaN, dos: 0 };

  /** @param emit - called with the archive's bytes in order (buffers it may keep) */
  constructor(emit: (chunk: Buffer) => void) {
    this.#emit = emit;
  }

  /** Bytes written so far. */
  get bytesWritten(): number {
    return this.#offset;
  }

  /** A directory, a symbolic link (its target as data) or a file whose data is known whole. */
  addWhole(header: ZipEntryHeader, whole: ZipWholeData): void {
    const fixed = this.#start(header, whole.method, 0);
    const compressedSize = whole.data.length;
    const zip64 = compressedSize >= U32 || whole.size >= U32;
    const extra = zip64 ? zip64Extra([whole.size, compressedSize]) : EMPTY;
    this.#local(fixed, extra, {
      zip64,
      crc32: whole.crc32,
      compressedSize: field32(compressedSize),
      size: field32(whole.size),
    });
    this.#write(whole.data);
    this.#record({ ...fixed, crc32: whole.crc32, compressedSize, size: whole.size, zip64 });
  }

  /** A directory entry (`name` ends with `/`), no data. */
  addDirectory(header: ZipEntryHeader): void {
    this.addWhole(header, { method: STORED, data: EMPTY, crc32: 0, size: 0 });
  }

  /** A symbolic link: its target, stored, is its data. */
  addSymlink(header: ZipEntryHeader, target: Buffer): void {
    this.addWhole(header, {
      method: STORED,
      data: target,
      crc32: crc32(target),
      size: target.length,
    });
  }

  /**
   * Begins an entry whose data follows through {@link write} and whose CRC-32 and sizes follow
   * it in a data descriptor ({@link end}).
   *
   * @param sizeHint - the size it is expected to have: zip64 sizes when it may reach 4 GiB
   */
  begin(header: ZipEntryHeader, method: typeof STORED | typeof DEFLATED, sizeHint: number): void {
    const fixed = this.#start(header, method, FLAG_DESCRIPTOR);
    const zip64 = sizeHint + STREAM_HEADROOM >= U32;
    // Sizes of 0 under the descriptor flag: the zip64 field holds 0s too (the descriptor tells).
    const extra = zip64 ? zip64Extra([0, 0]) : EMPTY;
    this.#local(fixed, extra, {
      zip64,
      crc32: 0,
      compressedSize: zip64 ? U32 : 0,
      size: zip64 ? U32 : 0,
    });
    this.#open = { fixed, zip64, dataStart: this.#offset };
  }

  /** Data of the entry begun with {@link begin}, in order. */
  write(data: Buffer): void {
    if (!this.#open) throw new Error('zip writer: data written outside an entry');
    this.#write(data);
  }

  /**
   * Ends the entry begun with {@link begin}: its data descriptor.
   *
   * @param crc - CRC-32 of its uncompressed bytes
   * @param size - its uncompressed size
   */
  end(crc: number, size: number): void {
    const open = this.#open;
    if (!open) throw new Error('zip writer: an entry ended that was not begun');
    this.#open = undefined;
    const compressedSize = this.#offset - open.dataStart;
    if (!open.zip64 && (compressedSize >= U32 || size >= U32)) {
      throw new Error(`zip writer: an entry reached 4 GiB, beyond the size it was begun with`);
    }
    const descriptor = Buffer.allocUnsafe(open.zip64 ? 24 : 16);
    descriptor.writeUInt32LE(DESCRIPTOR_SIGNATURE, 0);
    descriptor.writeUInt32LE(crc, 4);
    if (open.zip64) {
      descriptor.writeBigUInt64LE(BigInt(compressedSize), 8);
      descriptor.writeBigUInt64LE(BigInt(size), 16);
    } else {
      descriptor.writeUInt32LE(compressedSize, 8);
      descriptor.writeUInt32LE(size, 12);
    }
    this.#write(descriptor);
    this.#record({ ...open.fixed, crc32: crc, compressedSize, size, zip64: open.zip64 });
  }

  /** Writes the central directory and the end records; the writer takes nothing more. */
  finish(): void {
    if (this.#open || this.#finished) throw new Error('zip writer: finished twice or mid-entry');
    this.#finished = true;
    const start = this.#offset;
    for (const slab of this.#slabs) this.#write(slab);
    this.#write(this.#slab.subarray(0, this.#slabUsed));
    this.#slabs.length = 0;
    const size = this.#offset - start;
    const count = this.#count;
    if (count >= U16 || start >= U32 || size >= U32) {
      const recordAt = this.#offset;
      const record = Buffer.alloc(56);
      record.writeUInt32LE(ZIP64_EOCD_SIGNATURE, 0);
      record.writeBigUInt64LE(44n, 4);
      record.writeUInt16LE(MADE_BY, 12);
      record.writeUInt16LE(NEEDS_ZIP64, 14);
      record.writeBigUInt64LE(BigInt(count), 24);
      record.writeBigUInt64LE(BigInt(count), 32);
      record.writeBigUInt64LE(BigInt(size), 40);
      record.writeBigUInt64LE(BigInt(start), 48);
      const locator = Buffer.alloc(20);
      locator.writeUInt32LE(ZIP64_LOCATOR_SIGNATURE, 0);
      locator.writeBigUInt64LE(BigInt(recordAt), 8);
      locator.writeUInt32LE(1, 16);
      this.#write(Buffer.concat([record, locator]));
    }
    const end = Buffer.alloc(22);
    end.writeUInt32LE(EOCD_SIGNATURE, 0);
    end.writeUInt16LE(Math.min(count, U16), 8);
    end.writeUInt16LE(Math.min(count, U16), 10);
    end.writeUInt32LE(field32(size), 12);
    end.writeUInt32LE(field32(start), 16);
    this.#write(end);
  }

  #start(header: ZipEntryHeader, method: number, flags: number): Fixed {
    if (this.#open || this.#finished) throw new Error('zip writer: an entry added mid-entry');
    const name = Buffer.from(header.name, 'utf8');
    if (name.length > U16) throw new Error('zip writer: an entry name longer than 65,535 bytes');
    // Printable ASCII reads alike as UTF-8 and as CP437; any other byte (a control character
    // too, which CP437 readers map to a glyph) is read as UTF-8 only under the flag.
    const ascii = printableAscii(name);
    const directory = header.name.endsWith('/');
    return {
      name,
      flags: flags | (ascii ? 0 : FLAG_UTF8),
      method,
      offset: this.#offset,
      time: this.#dosTime(header.mtimeMs),
      external: (((header.mode & U16) << 16) | (directory ? DOS_DIRECTORY : 0)) >>> 0,
    };
  }

  #local(
    fixed: Fixed,
    extra: Buffer,
    values: { zip64: boolean; crc32: number; compressedSize: number; size: number },
  ): void {
    const local = Buffer.allocUnsafe(LOCAL_SIZE + fixed.name.length + extra.length);
    local.writeUInt32LE(LOCAL_SIGNATURE, 0);
    local.writeUInt16LE(values.zip64 ? NEEDS_ZIP64 : NEEDS_DEFLATE, 4);
    local.writeUInt16LE(fixed.flags, 6);
    local.writeUInt16LE(fixed.method, 8);
    local.writeUInt32LE(fixed.time, 10);
    local.writeUInt32LE(values.crc32, 14);
    local.writeUInt32LE(values.compressedSize, 18);
    local.writeUInt32LE(values.size, 22);
    local.writeUInt16LE(fixed.name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    fixed.name.copy(local, LOCAL_SIZE);
    extra.copy(local, LOCAL_SIZE + fixed.name.length);
    this.#write(local);
  }

  #dosTime(ms: number): number {
    if (ms !== this.#lastTime.ms) this.#lastTime = { ms, dos: dosDateTime(ms) };
    return this.#lastTime.dos;
  }

  /** Keeps an entry's central directory record for {@link finish}. */
  #record(facts: CentralFacts): void {
    const length = centralRecordLength(facts);
    if (this.#slabUsed + length > this.#slab.length) {
      this.#slabs.push(this.#slab.subarray(0, this.#slabUsed));
      this.#slab = Buffer.allocUnsafe(Math.max(SLAB, length));
      this.#slabUsed = 0;
    }
    writeCentralRecord(facts, this.#slab, this.#slabUsed);
    this.#slabUsed += length;
    this.#count++;
  }

  #write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.#offset += chunk.length;
    this.#emit(chunk);
  }
}

const NONE: readonly number[] = [];

/** The values of an entry's central record that need its zip64 field, in the format's order. */
function wideValues(facts: CentralFacts): readonly number[] {
  if (facts.size < U32 && facts.compressedSize < U32 && facts.offset < U32) return NONE;
  return [facts.size, facts.compressedSize, facts.offset].filter((value) => value >= U32);
}

function centralRecordLength(facts: CentralFacts): number {
  const wide = wideValues(facts).length;
  return CENTRAL_SIZE + facts.name.length + (wide > 0 ? 4 + 8 * wide : 0);
}

/**
 * Writes an entry's central directory record into `target` at `at`, with a zip64 field for
 * what does not fit 32 bits.
 */
function writeCentralRecord(facts: CentralFacts, target: Buffer, at: number): void {
  const wide = wideValues(facts);
  const extra = zip64Extra(wide);
  const record = target.subarray(at, at + centralRecordLength(facts));
  record.writeUInt32LE(CENTRAL_SIGNATURE, 0);
  record.writeUInt16LE(MADE_BY, 4);
  record.writeUInt16LE(wide.length > 0 || facts.zip64 ? NEEDS_ZIP64 : NEEDS_DEFLATE, 6);
  record.writeUInt16LE(facts.flags, 8);
  record.writeUInt16LE(facts.method, 10);
  record.writeUInt32LE(facts.time, 12);
  record.writeUInt32LE(facts.crc32, 16);
  record.writeUInt32LE(field32(facts.compressedSize), 20);
  record.writeUInt32LE(field32(facts.size), 24);
  record.writeUInt16LE(facts.name.length, 28);
  record.writeUInt16LE(extra.length, 30);
  record.writeUInt16LE(0, 32);
  record.writeUInt16LE(0, 34);
  record.writeUInt16LE(0, 36);
  record.writeUInt32LE(facts.external, 38);
  record.writeUInt32LE(field32(facts.offset), 42);
  facts.name.copy(record, CENTRAL_SIZE);
  extra.copy(record, CENTRAL_SIZE + facts.name.length);
}
