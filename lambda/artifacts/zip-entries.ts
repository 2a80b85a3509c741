/**
 * Reading a zip archive's entries one at a time (yauzl, lazily), with names decoded here and
 * checked here rather than by yauzl, so that an unsafe name is told apart from a damaged file.
 */
import type { Readable } from 'node:stream';
import yauzl, { type Entry, type ZipFile } from 'yauzl';

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

/** An entry's name, decoded; backslashes (from Windows tools) read as separators. */
export function entryName(entry: Entry): string {
  // With decodeStrings off, yauzl leaves the raw bytes in fileName.
  const raw = entry.fileName as unknown as Buffer;
  return decoder.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false);
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
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { refused: 'it climbs out of the directory with ".."' };
  return { path: parts.join('/') };
}

/** What an entry is, from its name and its Unix mode (high half of the external attributes). */
export function entryKind(entry: Entry, name: string): EntryKind {
  const type = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (name.endsWith('/') || type === S_IFDIR) return 'directory';
  if (type === S_IFLNK) return 'symlink';
  return type === 0 || type === S_IFREG ? 'file' : 'other';
}

/** The mode a file is created with: executable if any execute bit is set, never setuid. */
export function fileMode(entry: Entry): number {
  return ((entry.externalFileAttributes >>> 16) & 0o111) !== 0 ? 0o755 : 0o644;
}

/** An open archive read one entry at a time. */
export interface ZipReader {
  /** Entries as the central directory counts them (yauzl yields exactly this many). */
  readonly entryCount: number;
  /** The next entry, or undefined after the last. */
  next(): Promise<Entry | undefined>;
  /** The bytes of an entry, inflated; yauzl checks them against the declared sizes. */
  open(entry: Entry): Promise<Readable>;
  close(): void;
}

/** Opens the zip archive at `file`. */
export async function openZip(file: string): Promise<ZipReader> {
  const zip = await new Promise<ZipFile>((resolve, reject) =>
    yauzl.open(
      file,
      { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true },
      (error, opened) => (error ? reject(error) : resolve(opened)),
    ),
  );
  // yauzl reports a damaged central directory as an 'error' event; one that came while no
  // read was waiting is kept for the next one rather than left unhandled.
  let failure: Error | undefined;
  let waiting: ((error: Error) => void) | undefined;
  zip.on('error', (error: Error) => {
    failure ??= error;
    waiting?.(error);
  });
  return {
    entryCount: zip.entryCount,
    next: () =>
      new Promise<Entry | undefined>((resolve, reject) => {
        if (failure) return reject(failure);
        const settle = (result: () => void) => {
          zip.off('entry', onEntry);
          zip.off('end', onEnd);
          waiting = undefined;
          result();
        };
        const onEntry = (entry: Entry) => settle(() => resolve(entry));
        const onEnd = () => settle(() => resolve(undefined));
        waiting = (error) => settle(() => reject(error));
        zip.once('entry', onEntry);
        zip.once('end', onEnd);
        zip.readEntry();
      }),
    open: (entry) =>
      new Promise<Readable>((resolve, reject) =>
        zip.openReadStream(entry, (error, stream) => (error ? reject(error) : resolve(stream))),
      ),
    close: () => zip.close(),
  };
}
