/**
 * Reading a zip archive's entries one at a time, after one reading of its structure
 * ({@link ZipArchive}), with names decoded here (yauzl's decoder) and checked here, so that an
 * unsafe name is told apart from a damaged file, and each entry's bytes checked against its
 * size and CRC-32 as they are streamed.
 */
import { pipeline, type Readable, Transform } from 'node:stream';
import { promisify } from 'node:util';
import { crc32, createInflateRaw, inflateRaw, inflateRawSync, type ZlibOptions } from 'node:zlib';
import yauzl, { type Entry } from 'yauzl';
import {
  DATA_CHUNK,
  describeName,
  type ExtraField,
  type KeptRecord,
  type Placement,
  ZipArchive,
  ZipFormatError,
} from './zip-central-directory.js';
import { UNICODE_PATH_FIELD } from './zip-unicode-path.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFLNK = 0o120000;

/** What an archive entry is; `other` (devices, FIFOs, sockets) is never extracted. */
export type EntryKind = 'file' | 'directory' | 'symlink' | 'other';

/** yauzl's own name decoder (UTF-8 flag, Info-ZIP Unicode path field, CP437), untyped upstream. */
const decoder = yauzl as unknown as {
  getFileNameLowLevel(
    flags: number,
    raw: Buffer,
    extraFields: Entry['extraFields'],
    strictFileNames: boolean,
  ): string;
};

/**
 * An archive entry as this reader gives it: its central record's fields under yauzl's names
 * (its name's raw bytes in `fileName`), built once per entry with nothing it does not use.
 */
export interface ZipEntry {
  /** The name's raw bytes (yauzl's `decodeStrings: false`). */
  readonly fileName: Buffer;
  readonly generalPurposeBitFlag: number;
  readonly extraFields: readonly ExtraField[];
  readonly versionMadeBy: number;
  readonly externalFileAttributes: number;
  readonly compressionMethod: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Its name, decoded (see {@link entryName}). */
  readonly name: string;
}

/** The fields {@link entryName} reads, as yauzl's `Entry` or a {@link ZipEntry} has them. */
type NamedEntry = Pick<Entry, 'generalPurposeBitFlag'> & {
  readonly fileName: string | Buffer;
  readonly extraFields: readonly ExtraField[];
};

/** Whether every byte of `raw` is printable ASCII, which CP437 and UTF-8 decode alike. */
function printableAscii(raw: Buffer): boolean {
  for (const byte of raw) if (byte < 0x20 || byte > 0x7e) return false;
  return true;
}

/** An entry's name, decoded; backslashes (from Windows tools) read as separators. */
export function entryName(entry: NamedEntry): string {
  // With decodeStrings off, yauzl leaves the raw bytes in fileName.
  const raw = entry.fileName as Buffer;
  // yauzl's decoder builds a CP437 name a character at a time; printable ASCII reads the same
  // in every encoding, unless a Unicode path field gives another name.
  return printableAscii(raw) && !entry.extraFields.some((field) => field.id === UNICODE_PATH_FIELD)
    ? raw.toString('latin1').replaceAll('\\', '/')
    : decoder.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        raw,
        entry.extraFields as Entry['extraFields'],
        false,
      );
}

/**
 * The entry's path relative to the extraction directory ('' for the directory itself), or
 * the reason it is refused: it must stay inside, whatever the tool that wrote it.
 */
export function relativeEntryPath(name: string): { path: string } | { refused: string } {
  if (name.includes('\0')) return { refused: 'its name contains a NUL character' };
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    return { refused: 'it is an absolute path' };
  }
  // No empty part and none that starts with a dot (the usual name): nothing to take out.
  if (!name.startsWith('.') && !name.includes('/.') && !name.includes('//')) {
    return { path: name.endsWith('/') ? name.slice(0, -1) : name };
  }
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { refused: 'it climbs out of the directory with ".."' };
  return { path: parts.join('/') };
}

/** "Version made by" hosts whose external attributes carry a Unix mode in their high half. */
const UNIX_HOSTS = new Set([3, 19]);

/**
 * The Unix mode of an entry (high half of its external attributes), or 0 when the host that
 * wrote it is not Unix (3) or macOS (19): other hosts' attributes mean something else.
 */
function unixMode(entry: ZipEntry): number {
  return UNIX_HOSTS.has(entry.versionMadeBy >>> 8) ? entry.externalFileAttributes >>> 16 : 0;
}

/** What an entry is, from its name and its Unix mode (a file when the host is not Unix). */
export function entryKind(entry: ZipEntry, name: string): EntryKind {
  const type = unixMode(entry) & S_IFMT;
  if (name.endsWith('/') || type === S_IFDIR) return 'directory';
  if (type === S_IFLNK) return 'symlink';
  return type === 0 || type === S_IFREG ? 'file' : 'other';
}

/** The mode a file is created with: executable if any execute bit is set, never setuid. */
export function fileMode(entry: ZipEntry): number {
  return (unixMode(entry) & 0o111) !== 0 ? 0o755 : 0o644;
}

/** An open archive read one entry at a time. */
export interface ZipReader {
  /** Entries as the end-of-central-directory record counts them (the walk must agree). */
  readonly entryCount: number;
  /**
   * The next entry, or undefined after the last. The first call walks and checks the whole
   * central directory (see {@link ZipArchive.verify}), so a disagreement fails it before any
   * entry is seen.
   */
  next(): Promise<ZipEntry | undefined>;
  /**
   * The bytes of an entry, inflated; the stream fails with a {@link ZipFormatError} when they
   * are not the size or the CRC-32 the central directory gives.
   */
  open(entry: ZipEntry): Promise<Readable>;
  /**
   * The bytes of an entry, inflated, read and inflated whole (for small entries: its
   * compressed and inflated bytes are held in memory at once); fails with a
   * {@link ZipFormatError} as {@link open}'s stream does, before any byte is returned.
   */
  readWhole(entry: ZipEntry): Promise<Buffer>;
  close(): void;
}

const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
/** Traditional (bit 0) or strong (bit 6) encryption. */
const FLAGS_ENCRYPTED = 0x0041;

/** The entry of a central record. */
function toEntry(record: KeptRecord, placement: Placement): ZipEntry {
  const entry = {
    fileName: record.name,
    generalPurposeBitFlag: record.flags,
    extraFields: record.extraFields,
    versionMadeBy: record.versionMadeBy,
    externalFileAttributes: record.externalAttributes,
    compressionMethod: record.method,
    compressedSize: placement.compressedSize,
    uncompressedSize: placement.uncompressedSize,
    name: '',
  };
  entry.name = entryName(entry);
  return entry;
}

/**
 * Passes an entry's inflated bytes on while they stay within its size, and fails at the end
 * unless their count and CRC-32 are the central directory's (and, for deflated data, the
 * deflate stream used exactly the compressed size).
 */
function checked(
  placement: Placement,
  name: string,
  inflater?: { bytesWritten: number },
): Transform {
  let bytes = 0;
  let crc = 0;
  const where = `entry ${name}`;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes > placement.uncompressedSize) {
        callback(
          new ZipFormatError(
            `${where} holds more than the ${placement.uncompressedSize} bytes the central directory gives`,
          ),
        );
        return;
      }
      crc = crc32(chunk, crc);
      callback(null, chunk);
    },
    flush(callback) {
      if (bytes !== placement.uncompressedSize) {
        callback(
          new ZipFormatError(
            `${where} holds ${bytes} bytes, the central directory gives ${placement.uncompressedSize}`,
          ),
        );
      } else if (crc !== placement.crc32) {
        callback(new ZipFormatError(`${where} does not match its CRC-32`));
      } else if (inflater && inflater.bytesWritten !== placement.compressedSize) {
        callback(
          new ZipFormatError(
            `${where}: its deflated data ends before its compressed size of ${placement.compressedSize} bytes`,
          ),
        );
      } else callback();
    },
  });
}

/**
 * How an entry is named in messages (made only when one is: escaping every name of a large
 * archive costs more than reading it).
 */
function where(entry: ZipEntry): string {
  return `entry ${describeName(entry.fileName)}`;
}

/** Deflated entries at most this large are inflated on the main thread (a pool hop costs more). */
const INFLATE_INLINE_BYTES = 8 * 1024;

/** zlib's smallest output chunk. */
const MIN_CHUNK_BYTES = 64;

/** zlib's one-shot inflate, with its engine (for the bytes it consumed). */
type Inflated = { buffer: Buffer; engine: { bytesWritten: number } };
const inflateRawAsync = promisify(inflateRaw) as unknown as (
  data: Buffer,
  options: ZlibOptions & { info: true },
) => Promise<Inflated>;

/**
 * Inflates `data` whole, failing as {@link checked} does when the result is not the entry's
 * size and CRC-32 or the deflate stream ends before the compressed bytes do; never holds more
 * than the entry's size (plus one byte) inflated.
 */
async function inflateWhole(data: Buffer, placement: Placement, entry: ZipEntry): Promise<Buffer> {
  const options = {
    info: true as const,
    maxOutputLength: Math.max(1, placement.uncompressedSize),
    // One output chunk for the whole entry: each chunk is a trip back to the main thread.
    chunkSize: Math.max(MIN_CHUNK_BYTES, placement.uncompressedSize + 1),
  };
  let inflated: Inflated;
  try {
    inflated =
      data.length <= INFLATE_INLINE_BYTES
        ? (inflateRawSync(data, options) as unknown as Inflated)
        : await inflateRawAsync(data, options);
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ZipFormatError(
        `${where(entry)} holds more than the ${placement.uncompressedSize} bytes the central directory gives`,
      );
    }
    throw error;
  }
  checkWhole(inflated.buffer, placement, entry);
  if (inflated.engine.bytesWritten !== placement.compressedSize) {
    throw new ZipFormatError(
      `${where(entry)}: its deflated data ends before its compressed size of ${placement.compressedSize} bytes`,
    );
  }
  return inflated.buffer;
}

/**
 * Fails as {@link checked} does unless `bytes` are the entry's size and CRC-32 (more bytes than
 * its size are never inflated: see {@link inflateWhole}).
 */
function checkWhole(bytes: Buffer, placement: Placement, entry: ZipEntry): void {
  if (bytes.length !== placement.uncompressedSize) {
    throw new ZipFormatError(
      `${where(entry)} holds ${bytes.length} bytes, the central directory gives ${placement.uncompressedSize}`,
    );
  }
  if (crc32(bytes) !== placement.crc32) {
    throw new ZipFormatError(`${where(entry)} does not match its CRC-32`);
  }
}

/** An empty deflate stream: one final fixed-Huffman block holding only its end code. */
const EMPTY_DEFLATE = Buffer.from([0x03, 0x00]);

/**
 * Refuses a directory entry that holds data. Its bytes are never extracted, so they must be
 * nothing at all (stored or deflated) or the two bytes of an empty deflate stream (as Java
 * writes a directory): bytes past them would be read by a streaming reader, which finds the
 * end of deflated data by inflating it, as whatever they spell (a whole local entry).
 */
async function checkEmptyDirectory(
  archive: ZipArchive,
  entry: ZipEntry,
  placement: Placement,
): Promise<void> {
  const name = describeName(entry.fileName);
  if (entry.uncompressedSize > 0) {
    throw new ZipFormatError(`entry ${name} is a directory that holds data`);
  }
  const size = entry.compressedSize;
  if (size === 0) return;
  if (entry.compressionMethod === METHOD_DEFLATED && size === EMPTY_DEFLATE.length) {
    const chunks: Buffer[] = [];
    for await (const chunk of archive.read(placement.dataStart, size)) chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).equals(EMPTY_DEFLATE)) return;
  }
  throw new ZipFormatError(
    `entry ${name} is a directory whose ${size} bytes of data are not an empty deflate stream`,
  );
}

/** Opens the zip archive at `file` (its end records are checked here). */
export async function openZip(file: string): Promise<ZipReader> {
  const archive = await ZipArchive.open(file);
  const placements = new WeakMap<ZipEntry, Placement>();
  let records: AsyncGenerator<{ record: KeptRecord; placement: Placement }> | undefined;
  /** The entry's placement, if this reader reads it (its method, stored or deflated). */
  const readable = (entry: ZipEntry): Placement => {
    const placement = placements.get(entry);
    if (!placement) throw new Error('the entry is not one of this archive');
    if ((entry.generalPurposeBitFlag & FLAGS_ENCRYPTED) !== 0) {
      throw new ZipFormatError(`${where(entry)} is encrypted`);
    }
    const method = entry.compressionMethod;
    if (method !== METHOD_STORED && method !== METHOD_DEFLATED) {
      throw new ZipFormatError(
        `${where(entry)} uses compression method ${method}, which is not read`,
      );
    }
    return placement;
  };
  return {
    entryCount: archive.entryCount,
    async next() {
      records ??= archive.records();
      const step = await records.next();
      if (step.done) return undefined;
      const entry = toEntry(step.value.record, step.value.placement);
      if (entryKind(entry, entry.name) === 'directory') {
        await checkEmptyDirectory(archive, entry, step.value.placement);
      }
      placements.set(entry, step.value.placement);
      return entry;
    },
    async open(entry) {
      const placement = readable(entry);
      const raw = archive.read(placement.dataStart, placement.compressedSize);
      const name = describeName(entry.fileName);
      const done = () => undefined;
      if (entry.compressionMethod === METHOD_STORED) {
        return pipeline(raw, checked(placement, name), done);
      }
      const inflater = createInflateRaw({ chunkSize: DATA_CHUNK });
      return pipeline(raw, inflater, checked(placement, name, inflater), done);
    },
    async readWhole(entry) {
      const placement = readable(entry);
      const raw = archive.readWhole(placement.dataStart, placement.compressedSize);
      if (entry.compressionMethod === METHOD_DEFLATED) return inflateWhole(raw, placement, entry);
      checkWhole(raw, placement, entry);
      return raw;
    },
    close: () => {
      records?.return(undefined).catch(() => undefined);
      archive.close().catch(() => undefined);
    },
  };
}
