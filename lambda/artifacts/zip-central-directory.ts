/**
 * One reading of a zip archive: the end-of-central-directory record (and its zip64 form) found
 * without guessing, the central directory walked from its own bounds to exactly its end, and
 * every entry's local header and data placed where the central directory says, the entries and
 * the central directory covering the file with no byte shared and none left over. Whatever
 * another zip reader could read differently (an entry count that disagrees with the walk, a
 * second end record, data prepended or hidden between entries, a local header that says
 * something else, overlapping entries) is a {@link ZipFormatError}.
 */
import { createHash, type Hash } from 'node:crypto';
import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { open as openFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { quoted } from './file-errors.js';
import { UNICODE_PATH_FIELD, unicodePathProblem } from './zip-unicode-path.js';

/** The archive disagrees with itself or with the zip format; the message says where. */
export class ZipFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipFormatError';
  }
}

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const DESCRIPTOR_SIGNATURE = 0x08074b50;
const EOCD_SIZE = 22;
const LOCATOR_SIZE = 20;
const ZIP64_EOCD_MIN_SIZE = 56;
const CENTRAL_SIZE = 46;
const LOCAL_SIZE = 30;
const MAX_COMMENT = 0xffff;
const U16 = 0xffff;
const U32 = 0xffffffff;
const ZIP64_EXTRA = 0x0001;
/** General purpose flag: CRC-32 and sizes follow the data (a data descriptor). */
export const FLAG_DESCRIPTOR = 0x0008;
/** Bytes read from the central directory at a time. */
const CHUNK = 64 * 1024;
/** Bytes of an entry's data read at a time when it is streamed (large entries only). */
export const DATA_CHUNK = 256 * 1024;
/** Bytes read around local headers at a time: small entries' headers share one read. */
const HEADER_WINDOW = 64 * 1024;

/** An extra field of a header: its id and its data. */
export interface ExtraField {
  readonly id: number;
  readonly data: Buffer;
}

/** A central directory record, with the zip64 fields applied. */
export interface CentralRecord {
  readonly versionMadeBy: number;
  readonly versionNeeded: number;
  readonly flags: number;
  readonly method: number;
  readonly time: number;
  readonly date: number;
  readonly crc32: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly internalAttributes: number;
  readonly externalAttributes: number;
  readonly localOffset: number;
  readonly name: Buffer;
  readonly extra: Buffer;
  readonly comment: Buffer;
  readonly extraFields: readonly ExtraField[];
}

/**
 * What the walk keeps of a central record for the entry's reading (about 100 bytes besides its
 * name), so that the central directory is parsed once.
 */
export interface KeptRecord {
  readonly name: Buffer;
  readonly flags: number;
  readonly method: number;
  readonly versionMadeBy: number;
  readonly externalAttributes: number;
  /** Its extra fields when one is a Unicode path field (which names the entry), else none. */
  readonly extraFields: readonly ExtraField[];
}

const NO_FIELDS: readonly ExtraField[] = Object.freeze([]);

/** Longest extra and comment areas whose bytes a kept name may hold on to (its record's). */
const KEPT_NAME_SLACK = 64;

/** What {@link ZipArchive.verify} keeps of `record`. */
function keep(record: CentralRecord): KeptRecord {
  const slack = record.extra.length + record.comment.length;
  return {
    // The name is a view of its record's variable part: copied when that holds much more.
    name: slack <= KEPT_NAME_SLACK ? record.name : Buffer.from(record.name),
    flags: record.flags,
    method: record.method,
    versionMadeBy: record.versionMadeBy,
    externalAttributes: record.externalAttributes,
    extraFields: record.extraFields.some((field) => field.id === UNICODE_PATH_FIELD)
      ? record.extraFields
      : NO_FIELDS,
  };
}

/** Where an entry's data lies, as checked against its local header. */
export interface Placement {
  readonly localOffset: number;
  readonly dataStart: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  readonly crc32: number;
}

/**
 * How an entry is named in messages: its name as UTF-8, quoted and escaped, or only its length
 * when longer than 120 characters (never a part of it: see {@link quoted}).
 */
export function describeName(raw: Buffer): string {
  return quoted(raw.toString('utf8'), 120);
}

function fail(message: string): never {
  throw new ZipFormatError(message);
}

/**
 * Where a check is, for its message: text, or what makes it (an entry's name is described only
 * when a message needs it: escaping every name of a large archive costs more than reading it).
 */
type Where = string | (() => string);

function said(where: Where): string {
  return typeof where === 'string' ? where : where();
}

function readU64(buffer: Buffer, at: number, what: string): number {
  const value = buffer.readBigUInt64LE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) fail(`${what} is beyond any file this reader takes`);
  return Number(value);
}

/** Reads exactly `length` bytes at `position`, or fails saying the archive is cut short. */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) fail('the archive ends early: it is truncated');
    done += bytesRead;
  }
  return buffer;
}

/** Extra fields, which must tile the extra area exactly; a zip64 field given twice is refused. */
export function parseExtraFields(extra: Buffer, where: Where): ExtraField[] {
  const fields: ExtraField[] = [];
  let at = 0;
  while (at < extra.length) {
    if (at + 4 > extra.length) fail(`${said(where)}: its extra fields end inside a field's header`);
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (at + 4 + size > extra.length) {
      fail(`${said(where)}: an extra field runs past the extra area`);
    }
    if (id === ZIP64_EXTRA && fields.some((field) => field.id === ZIP64_EXTRA)) {
      fail(`${said(where)}: it has two zip64 extra fields`);
    }
    fields.push({ id, data: extra.subarray(at + 4, at + 4 + size) });
    at += 4 + size;
  }
  return fields;
}

/**
 * The values of a header whose 32-bit (or 16-bit) fields hold the all-ones mark, read from the
 * zip64 extra field in the format's order: uncompressed size, compressed size, offset, disk.
 */
function applyZip64(
  fields: readonly ExtraField[],
  values: { usize: number; csize: number; offset?: number; disk?: number },
  where: Where,
): { usize: number; csize: number; offset: number; disk: number } {
  const result = {
    usize: values.usize,
    csize: values.csize,
    offset: values.offset ?? 0,
    disk: values.disk ?? 0,
  };
  const wanted = [
    values.usize === U32 ? 'usize' : undefined,
    values.csize === U32 ? 'csize' : undefined,
    values.offset === U32 ? 'offset' : undefined,
  ].filter((name): name is 'usize' | 'csize' | 'offset' => name !== undefined);
  const wantsDisk = values.disk === U16;
  if (wanted.length === 0 && !wantsDisk) return result;
  const data = fields.find((field) => field.id === ZIP64_EXTRA)?.data;
  if (!data) fail(`${said(where)}: its sizes are marked as zip64 but it has no zip64 extra field`);
  let at = 0;
  for (const name of wanted) {
    if (at + 8 > data.length) fail(`${said(where)}: its zip64 extra field is too short`);
    result[name] = readU64(data, at, `${said(where)}: a zip64 size`);
    at += 8;
  }
  if (wantsDisk) {
    if (at + 4 > data.length) fail(`${said(where)}: its zip64 extra field is too short`);
    result.disk = data.readUInt32LE(at);
  }
  return result;
}

/**
 * Reads small pieces of the file (local headers, data descriptors) through one window of
 * {@link HEADER_WINDOW} bytes, so that the headers of entries that lie close together, the
 * usual case in file order, cost one read between them.
 */
class HeaderWindow {
  #bytes: Buffer = Buffer.alloc(0);
  #start = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly end: number,
  ) {}

  /** The `length` bytes at `position` (which must end by the window's end); do not modify. */
  async read(position: number, length: number): Promise<Buffer> {
    const from = position - this.#start;
    if (from < 0 || from + length > this.#bytes.length) {
      const size = Math.max(length, Math.min(HEADER_WINDOW, this.end - position));
      this.#bytes = await readAt(this.handle, position, size);
      this.#start = position;
      return this.#bytes.subarray(0, length);
    }
    return this.#bytes.subarray(from, from + length);
  }
}

/** Reads a range of the file front to back, a chunk at a time. */
class SequentialReader {
  #buffer: Buffer = Buffer.alloc(0);
  #position: number;

  /**
   * @param hash - given every byte read, in order
   */
  constructor(
    private readonly handle: FileHandle,
    start: number,
    private readonly end: number,
    private readonly hash: Hash,
  ) {
    this.#position = start;
  }

  /** Bytes not yet taken. */
  get remaining(): number {
    return this.end - this.#position + this.#buffer.length;
  }

  /** The next `length` bytes (valid until the next call). */
  async take(length: number): Promise<Buffer> {
    if (length > this.remaining) fail('a central directory record runs past its end');
    if (this.#buffer.length < length) {
      const more = Math.min(
        Math.max(CHUNK, length - this.#buffer.length),
        this.end - this.#position,
      );
      const read = await readAt(this.handle, this.#position, more);
      this.hash.update(read);
      this.#position += more;
      this.#buffer = this.#buffer.length === 0 ? read : Buffer.concat([this.#buffer, read]);
    }
    const taken = this.#buffer.subarray(0, length);
    this.#buffer = this.#buffer.subarray(length);
    return taken;
  }
}

async function readCentralRecord(reader: SequentialReader, index: number): Promise<CentralRecord> {
  const where = `central directory entry ${index + 1}`;
  if (reader.remaining < CENTRAL_SIZE) {
    fail(`the central directory has ${reader.remaining} bytes left over after its last entry`);
  }
  const fixed = Buffer.from(await reader.take(CENTRAL_SIZE));
  if (fixed.readUInt32LE(0) !== CENTRAL_SIGNATURE) fail(`${where} has no valid signature`);
  const nameLength = fixed.readUInt16LE(28);
  const extraLength = fixed.readUInt16LE(30);
  const commentLength = fixed.readUInt16LE(32);
  const variable = Buffer.from(await reader.take(nameLength + extraLength + commentLength));
  const name = variable.subarray(0, nameLength);
  const extra = variable.subarray(nameLength, nameLength + extraLength);
  const named = () => `${where} (${describeName(name)})`;
  const extraFields = parseExtraFields(extra, named);
  const sizes = applyZip64(
    extraFields,
    {
      csize: fixed.readUInt32LE(20),
      usize: fixed.readUInt32LE(24),
      offset: fixed.readUInt32LE(42),
      disk: fixed.readUInt16LE(34),
    },
    named,
  );
  if (sizes.disk !== 0) {
    fail(`${named()} starts on another disk: multi-disk archives are not read`);
  }
  const flags = fixed.readUInt16LE(8);
  const unicodePath = unicodePathCheck(name, flags, extraFields);
  if (unicodePath) fail(`${named()}: ${unicodePath}`);
  return {
    versionMadeBy: fixed.readUInt16LE(4),
    versionNeeded: fixed.readUInt16LE(6),
    flags,
    method: fixed.readUInt16LE(10),
    time: fixed.readUInt16LE(12),
    date: fixed.readUInt16LE(14),
    crc32: fixed.readUInt32LE(16),
    compressedSize: sizes.csize,
    uncompressedSize: sizes.usize,
    internalAttributes: fixed.readUInt16LE(36),
    externalAttributes: fixed.readUInt32LE(38),
    localOffset: sizes.offset,
    name,
    extra,
    comment: variable.subarray(nameLength + extraLength),
    extraFields,
  };
}

/** {@link unicodePathProblem}, called only when the header has a Unicode path field. */
function unicodePathCheck(
  name: Buffer,
  flags: number,
  fields: readonly ExtraField[],
): string | undefined {
  return fields.some((field) => field.id === UNICODE_PATH_FIELD)
    ? unicodePathProblem(name, flags, fields)
    : undefined;
}

/** Where the central directory lies, and how many entries the end records count. */
interface Bounds {
  readonly offset: number;
  readonly size: number;
  readonly entries: number;
}

/** Finds the end-of-central-directory record, refusing any doubt about which one it is. */
async function readBounds(handle: FileHandle, fileSize: number): Promise<Bounds> {
  if (fileSize < EOCD_SIZE) fail('it is too short to hold an end-of-central-directory record');
  const tailStart = Math.max(0, fileSize - EOCD_SIZE - MAX_COMMENT);
  const tail = await readAt(handle, tailStart, fileSize - tailStart);
  const candidates: number[] = [];
  const signature = Buffer.alloc(4);
  signature.writeUInt32LE(EOCD_SIGNATURE);
  for (
    let at = tail.lastIndexOf(signature, tail.length - EOCD_SIZE);
    at >= 0;
    at = at === 0 ? -1 : tail.lastIndexOf(signature, at - 1)
  ) {
    candidates.push(at);
  }
  const last = candidates[0];
  if (last === undefined) fail('no end-of-central-directory record');
  // A record is coherent when its comment reaches exactly the end of the file.
  const coherent = (at: number) => tail.readUInt16LE(at + 20) === tail.length - at - EOCD_SIZE;
  if (!coherent(last)) {
    fail(
      'the last end-of-central-directory signature is not followed by the comment it declares (bytes after the record, or a signature inside its comment)',
    );
  }
  if (candidates.filter(coherent).length > 1) {
    fail('it has two end-of-central-directory records (one inside the comment of the other)');
  }
  const eocd = tail.subarray(last);
  const eocdAt = tailStart + last;
  const disk = eocd.readUInt16LE(4);
  const cdDisk = eocd.readUInt16LE(6);
  const diskEntries = eocd.readUInt16LE(8);
  const entries = eocd.readUInt16LE(10);
  const size = eocd.readUInt32LE(12);
  const offset = eocd.readUInt32LE(16);
  const locatorAt = eocdAt - LOCATOR_SIZE;
  const hasZip64 =
    locatorAt >= 0 &&
    (await readAt(handle, locatorAt, 4)).readUInt32LE(0) === ZIP64_LOCATOR_SIGNATURE;
  if (!hasZip64) {
    if (disk !== 0 || cdDisk !== 0 || diskEntries !== entries) {
      fail('it spans several disks: multi-disk archives are not read');
    }
    if (entries === U16 || size === U32 || offset === U32) {
      fail('its end-of-central-directory record points to zip64 records that are not there');
    }
    return checkedBounds({ offset, size, entries }, eocdAt, 'the end-of-central-directory record');
  }
  const locator = await readAt(handle, locatorAt, LOCATOR_SIZE);
  const recordAt = readU64(locator, 8, 'the zip64 end record offset');
  const disks = locator.readUInt32LE(16);
  if (locator.readUInt32LE(4) !== 0 || disks > 1) {
    fail('it spans several disks: multi-disk archives are not read');
  }
  if (recordAt + ZIP64_EOCD_MIN_SIZE > locatorAt) {
    fail('the zip64 end-of-central-directory locator points past itself');
  }
  const record = await readAt(handle, recordAt, ZIP64_EOCD_MIN_SIZE);
  if (record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE) {
    fail('the zip64 end-of-central-directory locator points to no zip64 record');
  }
  if (recordAt + 12 + readU64(record, 4, 'the zip64 record size') !== locatorAt) {
    fail('the zip64 end-of-central-directory record does not end where its locator begins');
  }
  const zip64Entries = readU64(record, 32, 'the zip64 entry count');
  const zip64 = {
    disk: record.readUInt32LE(16),
    cdDisk: record.readUInt32LE(20),
    diskEntries: readU64(record, 24, 'the zip64 entry count'),
    entries: zip64Entries,
    size: readU64(record, 40, 'the zip64 central directory size'),
    offset: readU64(record, 48, 'the zip64 central directory offset'),
  };
  if (zip64.disk !== 0 || zip64.cdDisk !== 0 || zip64.diskEntries !== zip64.entries) {
    fail('it spans several disks: multi-disk archives are not read');
  }
  // Each field of the classic record holds the value itself or the all-ones mark.
  const agree = (classic: number, mark: number, value: number) =>
    classic === mark || classic === value;
  if (
    !agree(disk, U16, 0) ||
    !agree(cdDisk, U16, 0) ||
    !agree(diskEntries, U16, zip64.entries) ||
    !agree(entries, U16, zip64.entries) ||
    !agree(size, U32, zip64.size) ||
    !agree(offset, U32, zip64.offset)
  ) {
    fail('the end-of-central-directory record and its zip64 record disagree');
  }
  return checkedBounds(zip64, recordAt, 'the zip64 end-of-central-directory record');
}

function checkedBounds(bounds: Bounds, endAt: number, record: string): Bounds {
  if (bounds.offset + bounds.size !== endAt) {
    fail(
      `${record} places the central directory at ${bounds.offset} with ${bounds.size} bytes, but it ends at ${endAt}`,
    );
  }
  if (bounds.entries * CENTRAL_SIZE > bounds.size) {
    fail(
      `${record} counts ${bounds.entries} entries, more than a central directory of ${bounds.size} bytes can hold`,
    );
  }
  return bounds;
}

/** An entry's place in the file, and the ends its data (with any data descriptor) may have. */
interface Extent {
  readonly index: number;
  /** Its name's bytes, described only for a message. */
  readonly name: Buffer;
  readonly start: number;
  readonly ends: readonly number[];
}

/** A zip archive open for reading, its end records checked; {@link verify} checks the rest. */
export class ZipArchive {
  readonly #handle: FileHandle;
  readonly #bounds: Bounds;
  #entries: { record: KeptRecord; placement: Placement }[] | undefined;
  /** The SHA-256 of the central directory as {@link verify} read it. */
  #digest: Buffer | undefined;

  private constructor(handle: FileHandle, bounds: Bounds) {
    this.#handle = handle;
    this.#bounds = bounds;
  }

  /** Opens `file` and reads its end records (the central directory is not read yet). */
  static async open(file: string): Promise<ZipArchive> {
    const handle = await openFile(file, 'r');
    try {
      const { size } = await handle.stat();
      return new ZipArchive(handle, await readBounds(handle, size));
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The entries the end records count (the walk of {@link verify} must find as many). */
  get entryCount(): number {
    return this.#bounds.entries;
  }

  /**
   * Walks the central directory, checks each entry's local header, data descriptor and place,
   * and that entries and central directory cover the file before the end records exactly.
   * Memory grows with the entry count only: what each entry's reading needs is kept (see
   * {@link KeptRecord}), its other extra fields and its comment are not.
   */
  async verify(): Promise<void> {
    if (this.#entries) return;
    const { offset, size, entries } = this.#bounds;
    const hash = createHash('sha256');
    const reader = new SequentialReader(this.#handle, offset, offset + size, hash);
    const window = new HeaderWindow(this.#handle, offset);
    const kept: { record: KeptRecord; placement: Placement }[] = [];
    const extents: Extent[] = [];
    let walked = 0;
    while (reader.remaining > 0) {
      const record = await readCentralRecord(reader, walked);
      if (walked < entries) {
        const { placement, extent } = await this.#place(record, walked, window);
        kept.push({ record: keep(record), placement });
        extents.push(extent);
      }
      walked++;
    }
    if (walked !== entries) {
      fail(
        `the end-of-central-directory record counts ${entries} entries, the central directory holds ${walked}`,
      );
    }
    checkCoverage(extents, offset);
    this.#entries = kept;
    this.#digest = hash.digest();
  }

  /**
   * The central directory's records in order, as {@link verify} kept them, each with its checked
   * placement; the central directory is read again first, and must be the bytes it checked.
   */
  async *records(): AsyncGenerator<{ record: KeptRecord; placement: Placement }> {
    await this.verify();
    const { offset, size } = this.#bounds;
    const hash = createHash('sha256');
    const reader = new SequentialReader(this.#handle, offset, offset + size, hash);
    while (reader.remaining > 0) await reader.take(Math.min(CHUNK, reader.remaining));
    if (!this.#digest?.equals(hash.digest())) fail('the archive changed while it was read');
    yield* this.#entries ?? [];
  }

  /**
   * The `length` bytes at `start`, read at once on the calling thread: for an entry small
   * enough to hold whole, one read costs less than a trip to the thread pool.
   */
  readWhole(start: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const read = readSync(this.#handle.fd, buffer, done, length - done, start + done);
      if (read === 0) fail('the archive ends early: it is truncated');
      done += read;
    }
    return buffer;
  }

  /** The `length` bytes at `start`, read as they are consumed. */
  read(start: number, length: number): Readable {
    const handle = this.#handle;
    let position = start;
    const end = start + length;
    return new Readable({
      highWaterMark: DATA_CHUNK,
      read() {
        const want = Math.min(DATA_CHUNK, end - position);
        if (want <= 0) {
          this.push(null);
          return;
        }
        readAt(handle, position, want).then(
          (bytes) => {
            position += want;
            this.push(bytes);
          },
          (error: Error) => this.destroy(error),
        );
      },
    });
  }

  async close(): Promise<void> {
    await this.#handle.close();
  }

  /** Checks the entry's local header (and data descriptor) against its central record. */
  async #place(
    record: CentralRecord,
    index: number,
    window: HeaderWindow,
  ): Promise<{ placement: Placement; extent: Extent }> {
    const where = () => `entry ${describeName(record.name)}`;
    const limit = this.#bounds.offset;
    if (record.method === 0 && record.compressedSize !== record.uncompressedSize) {
      fail(
        `${where()} is stored uncompressed but its compressed size (${record.compressedSize}) is not its size (${record.uncompressedSize})`,
      );
    }
    if (record.localOffset + LOCAL_SIZE > limit) {
      fail(`${where()}: its local header would lie past the start of the central directory`);
    }
    const local = await window.read(record.localOffset, LOCAL_SIZE);
    if (local.readUInt32LE(0) !== LOCAL_SIGNATURE) {
      fail(`${where()}: no local header where the central directory says it starts`);
    }
    const flags = local.readUInt16LE(6);
    const method = local.readUInt16LE(8);
    if (flags !== record.flags) {
      fail(
        `${where()}: its local header's flags (0x${flags.toString(16)}) are not the central directory's (0x${record.flags.toString(16)})`,
      );
    }
    if (method !== record.method) {
      fail(
        `${where()}: its local header's compression method (${method}) is not the central directory's (${record.method})`,
      );
    }
    const nameLength = local.readUInt16LE(26);
    const extraLength = local.readUInt16LE(28);
    const dataStart = record.localOffset + LOCAL_SIZE + nameLength + extraLength;
    if (dataStart + record.compressedSize > limit) {
      fail(`${where()}: its data would run into the central directory`);
    }
    const variable = await window.read(record.localOffset + LOCAL_SIZE, nameLength + extraLength);
    if (!variable.subarray(0, nameLength).equals(record.name)) {
      fail(
        `${where()}: its local header names it ${describeName(variable.subarray(0, nameLength))}`,
      );
    }
    const inLocal = () => `${where()} (local header)`;
    const localFields = parseExtraFields(variable.subarray(nameLength), inLocal);
    const unicodePath = unicodePathCheck(record.name, flags, localFields);
    if (unicodePath) fail(`${where()}: in its local header, ${unicodePath}`);
    const localSizes = applyZip64(
      localFields,
      { csize: local.readUInt32LE(18), usize: local.readUInt32LE(22) },
      inLocal,
    );
    const localCrc = local.readUInt32LE(14);
    const dataEnd = dataStart + record.compressedSize;
    if (
      !localAgrees(localCrc, record.crc32, flags) ||
      !localAgrees(localSizes.csize, record.compressedSize, flags) ||
      !localAgrees(localSizes.usize, record.uncompressedSize, flags)
    ) {
      fail(`${where()}: its local header's CRC-32 or sizes are not the central directory's`);
    }
    const ends =
      (flags & FLAG_DESCRIPTOR) === 0
        ? [dataEnd]
        : await this.#descriptorEnds(record, dataEnd, where, window);
    return {
      placement: {
        localOffset: record.localOffset,
        dataStart,
        compressedSize: record.compressedSize,
        uncompressedSize: record.uncompressedSize,
        crc32: record.crc32,
      },
      extent: { index, name: record.name, start: record.localOffset, ends },
    };
  }

  /**
   * The ends a data descriptor after `dataEnd` may have: its signature is optional and its sizes
   * take 4 or 8 bytes, so each layout whose values are the central directory's is kept, and the
   * coverage check picks the one that ends where the next record begins.
   */
  async #descriptorEnds(
    record: CentralRecord,
    dataEnd: number,
    where: () => string,
    window: HeaderWindow,
  ): Promise<number[]> {
    const available = Math.min(24, this.#bounds.offset - dataEnd);
    const bytes = await window.read(dataEnd, available);
    const ends: number[] = [];
    for (const signed of [true, false]) {
      const at = signed ? 4 : 0;
      if (signed && (available < 4 || bytes.readUInt32LE(0) !== DESCRIPTOR_SIGNATURE)) continue;
      for (const wide of [false, true]) {
        const length = at + (wide ? 20 : 12);
        if (length > available) continue;
        const csize = wide ? Number(bytes.readBigUInt64LE(at + 4)) : bytes.readUInt32LE(at + 4);
        const usize = wide ? Number(bytes.readBigUInt64LE(at + 12)) : bytes.readUInt32LE(at + 8);
        if (
          bytes.readUInt32LE(at) === record.crc32 &&
          csize === record.compressedSize &&
          usize === record.uncompressedSize
        ) {
          ends.push(dataEnd + length);
        }
      }
    }
    if (ends.length === 0)
      fail(`${where()}: its data descriptor is not the central directory's CRC-32 and sizes`);
    return ends;
  }
}

/**
 * Whether a local header's value is the central directory's, or zero when a data descriptor
 * (`flags`) gives it after the data.
 */
function localAgrees(value: number, expected: number, flags: number): boolean {
  return value === expected || ((flags & FLAG_DESCRIPTOR) !== 0 && value === 0);
}

/** How an extent's entry is named in messages. */
function named(extent: Extent | undefined): string {
  return extent ? describeName(extent.name) : 'undefined';
}

/**
 * Entries, in file order, must follow each other with no byte shared and none between, from
 * the first byte of the file to the central directory: data prepended to the archive, hidden
 * between entries, or shared by two entries (a zip bomb's trick) is refused.
 */
function checkCoverage(extents: Extent[], centralDirectory: number): void {
  const ordered = [...extents].sort((a, b) => a.start - b.start || a.index - b.index);
  let cursor = 0;
  for (const [at, extent] of ordered.entries()) {
    if (extent.start < cursor) {
      const before = ordered[at - 1];
      fail(`entries ${named(before)} and ${named(extent)} overlap`);
    }
    if (extent.start > cursor) {
      fail(
        at === 0
          ? `${extent.start} bytes before the first entry belong to no entry`
          : `${extent.start - cursor} bytes before entry ${named(extent)} belong to no entry`,
      );
    }
    const next = ordered[at + 1]?.start ?? centralDirectory;
    if (extent.ends.includes(next)) {
      cursor = next;
      continue;
    }
    const end = Math.min(...extent.ends);
    if (end > next) {
      fail(
        ordered[at + 1]
          ? `entries ${named(extent)} and ${named(ordered[at + 1])} overlap`
          : `entry ${named(extent)} runs into the central directory`,
      );
    }
    fail(
      ordered[at + 1]
        ? `${next - end} bytes before entry ${named(ordered[at + 1])} belong to no entry`
        : `${next - end} bytes before the central directory belong to no entry`,
    );
  }
}
