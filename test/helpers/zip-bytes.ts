/**
 * Zip archives written byte by byte, for the ones yazl refuses to write: names with `..` or
 * an absolute path, symbolic links to anywhere, and sizes that lie.
 */
import { crc32, deflateRawSync } from 'node:zlib';

export interface ZipEntrySpec {
  /** Stored as given (UTF-8), unchecked. */
  readonly name: string;
  /** A file's contents or a link's target. @default empty */
  readonly data?: Buffer | string;
  /** @default 'file' ('directory' when the name ends with '/') */
  readonly kind?: 'file' | 'directory' | 'symlink' | 'fifo';
  /** Permission bits. @default 0o644 (0o755 for directories, 0o777 for links) */
  readonly mode?: number;
  /** Deflate the data. @default true */
  readonly compress?: boolean;
  /** The uncompressed size written in the headers. @default the real one */
  readonly declaredSize?: number;
}

const TYPE_BITS = { file: 0o100000, directory: 0o040000, symlink: 0o120000, fifo: 0o010000 };
const DEFAULT_MODE = { file: 0o644, directory: 0o755, symlink: 0o777, fifo: 0o644 };
const UTF8_NAMES = 0x0800;
const MADE_BY_UNIX = (3 << 8) | 20;

/** Little-endian fields of 2 or 4 bytes, in order: the parts of every zip record. */
export function header(fields: readonly (readonly [number, 2 | 4])[]): Buffer {
  const buffer = Buffer.alloc(fields.reduce((size, [, width]) => size + width, 0));
  let at = 0;
  for (const [value, width] of fields) {
    if (width === 2) buffer.writeUInt16LE(value, at);
    else buffer.writeUInt32LE(value >>> 0, at);
    at += width;
  }
  return buffer;
}

/** A zip archive of `entries`, in order. */
export function zipBytes(entries: readonly ZipEntrySpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const kind = entry.kind ?? (entry.name.endsWith('/') ? 'directory' : 'file');
    const name = Buffer.from(entry.name, 'utf8');
    const data = Buffer.from(entry.data ?? '');
    const compress = (entry.compress ?? true) && data.length > 0;
    const stored = compress ? deflateRawSync(data) : data;
    const common = [
      [20, 2],
      [UTF8_NAMES, 2],
      [compress ? 8 : 0, 2],
      [0, 2], // time
      [0x21, 2], // date: 1980-01-01
      [crc32(data), 4],
      [stored.length, 4],
      [entry.declaredSize ?? data.length, 4],
      [name.length, 2],
      [0, 2], // extra field length
    ] as const;
    const local = Buffer.concat([header([[0x04034b50, 4], ...common]), name, stored]);
    const mode = TYPE_BITS[kind] | (entry.mode ?? DEFAULT_MODE[kind]);
    centrals.push(
      Buffer.concat([
        header([
          [0x02014b50, 4],
          [MADE_BY_UNIX, 2],
          ...common,
          [0, 2], // comment length
          [0, 2], // disk
          [0, 2], // internal attributes
          [mode * 0x10000, 4], // external attributes: the Unix mode in the high half
          [offset, 4],
        ]),
        name,
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  return Buffer.concat([...locals, directory, endRecord(entries.length, directory.length, offset)]);
}

/**
 * The end-of-central-directory record of a one-disk archive without a comment.
 *
 * @param count - entries in the central directory
 * @param size - the central directory's bytes
 * @param offset - where the central directory starts
 */
export function endRecord(count: number, size: number, offset: number): Buffer {
  return header([
    [0x06054b50, 4],
    [0, 2],
    [0, 2],
    [count, 2],
    [count, 2],
    [size, 4],
    [offset, 4],
    [0, 2],
  ]);
}
