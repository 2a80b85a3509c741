/**
 * Zip archives with every per-entry field under the caller's hand: raw name bytes, the
 * general purpose flags, the Unix mode, and the extra fields of the central record and of the
 * local header each given separately (an Info-ZIP Unicode path field in one and not the
 * other). Honest otherwise: offsets, sizes and CRC-32 are the true ones.
 */
import { crc32, deflateRawSync } from 'node:zlib';
import { endRecord, header } from './zip-bytes.js';

export interface RawEntry {
  /** The name's bytes (a string is written as UTF-8). */
  readonly name: Buffer | string;
  /** A file's contents or a link's target. @default empty */
  readonly data?: Buffer | string;
  /** Unix mode, type bits included. @default 0o100644 */
  readonly mode?: number;
  /** General purpose flags. @default 0x0800 (UTF-8 names) */
  readonly flags?: number;
  /** Deflate the data. @default false */
  readonly compress?: boolean;
  /** Extra fields of the central record. @default none */
  readonly centralExtra?: Buffer;
  /** Extra fields of the local header. @default the central record's */
  readonly localExtra?: Buffer;
  /**
   * The entry's data exactly as written, deflated (method 8), with the CRC-32 and size given
   * here rather than computed: bytes a reader that never inflates them cannot judge.
   */
  readonly deflated?: { readonly bytes: Buffer; readonly crc: number; readonly usize: number };
  /** A signed data descriptor after the data (flag bit 3 is set with it). @default false */
  readonly descriptor?: boolean;
  /** The host of "version made by" (3 Unix, 0 MS-DOS, 19 macOS). @default 3 */
  readonly host?: number;
}

export const UNIX_FILE = 0o100644;
export const UNIX_LINK = 0o120777;
export const UNIX_DIRECTORY = 0o040755;

/**
 * An Info-ZIP Unicode path extra field (0x7075) naming the entry `unicodeName`, valid for the
 * raw name `rawName` (its CRC-32 is the raw name's, as readers check).
 */
export function unicodePathField(rawName: Buffer | string, unicodeName: string): Buffer {
  const raw = Buffer.from(rawName);
  const name = Buffer.from(unicodeName, 'utf8');
  return Buffer.concat([
    header([
      [0x7075, 2],
      [5 + name.length, 2],
    ]),
    Buffer.from([1]),
    header([[crc32(raw), 4]]),
    name,
  ]);
}

/** The archive of `entries`, in order. */
export function rawZip(entries: readonly RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const name = Buffer.from(entry.name);
    const data = Buffer.from(entry.data ?? '');
    const compress = entry.deflated !== undefined || (entry.compress === true && data.length > 0);
    const stored = entry.deflated?.bytes ?? (compress ? deflateRawSync(data) : data);
    const crc = entry.deflated?.crc ?? crc32(data);
    const usize = entry.deflated?.usize ?? data.length;
    const flags = (entry.flags ?? 0x0800) | (entry.descriptor ? 0x0008 : 0);
    const centralExtra = entry.centralExtra ?? Buffer.alloc(0);
    const localExtra = entry.localExtra ?? centralExtra;
    const common = (extra: Buffer) =>
      [
        [20, 2],
        [flags, 2],
        [compress ? 8 : 0, 2],
        [0, 2],
        [0x21, 2],
        [crc, 4],
        [stored.length, 4],
        [usize, 4],
        [name.length, 2],
        [extra.length, 2],
      ] as const;
    const local = Buffer.concat([
      header([[0x04034b50, 4], ...common(localExtra)]),
      name,
      localExtra,
      stored,
      entry.descriptor
        ? header([
            [0x08074b50, 4],
            [crc, 4],
            [stored.length, 4],
            [usize, 4],
          ])
        : Buffer.alloc(0),
    ]);
    centrals.push(
      Buffer.concat([
        header([
          [0x02014b50, 4],
          [((entry.host ?? 3) << 8) | 20, 2],
          ...common(centralExtra),
          [0, 2],
          [0, 2],
          [0, 2],
          [(entry.mode ?? UNIX_FILE) * 0x10000, 4],
          [offset, 4],
        ]),
        name,
        centralExtra,
      ]),
    );
    locals.push(local);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  return Buffer.concat([...locals, directory, endRecord(entries.length, directory.length, offset)]);
}
