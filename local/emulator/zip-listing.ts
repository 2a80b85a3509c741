/**
 * Reads back what a job uploaded: the entries of a zip archive held in memory, and the
 * bytes of one of them. Uploaded outputs are whatever the worker sent, so anything that is
 * not a readable zip is answered as "not a zip", never as an error.
 */
import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

/** One entry of an uploaded archive. */
export interface ZipEntryView {
  /** The entry's name as stored (directories end with `/`). */
  path: string;
  kind: 'file' | 'directory' | 'symlink';
  /** Uncompressed size, as the archive declares it. */
  bytes: number;
}

const TYPE_MASK = 0o170000;
const SYMLINK = 0o120000;

function open(buffer: Buffer): Promise<yauzl.ZipFile | undefined> {
  return new Promise((done) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true, decodeStrings: true }, (error, zip) =>
      done(error ? undefined : zip),
    );
  });
}

/** Visits each entry until `visit` returns true; false when the archive is unreadable. */
function walk(
  zip: yauzl.ZipFile,
  visit: (entry: yauzl.Entry) => boolean | Promise<boolean>,
): Promise<boolean> {
  return new Promise((done) => {
    zip.on('entry', (entry: yauzl.Entry) => {
      Promise.resolve(visit(entry)).then(
        (stop) => {
          if (!stop) {
            zip.readEntry();
            return;
          }
          zip.close();
          done(true);
        },
        () => done(false),
      );
    });
    zip.on('end', () => done(true));
    zip.on('error', () => done(false));
    zip.readEntry();
  });
}

function kindOf(entry: yauzl.Entry): ZipEntryView['kind'] {
  if (entry.fileName.endsWith('/')) return 'directory';
  return ((entry.externalFileAttributes >>> 16) & TYPE_MASK) === SYMLINK ? 'symlink' : 'file';
}

/** The archive's entries in their stored order, or undefined when `buffer` is not a zip. */
export async function listZip(buffer: Buffer): Promise<ZipEntryView[] | undefined> {
  const zip = await open(buffer);
  if (!zip) return undefined;
  const entries: ZipEntryView[] = [];
  const readable = await walk(zip, (entry) => {
    entries.push({ path: entry.fileName, kind: kindOf(entry), bytes: entry.uncompressedSize });
    return false;
  });
  return readable ? entries : undefined;
}

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((done, fail) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => done(Buffer.concat(chunks)));
    stream.on('error', fail);
  });
}

/** The bytes of the entry named `path`, or undefined when there is none (or no zip). */
export async function readZipEntry(buffer: Buffer, path: string): Promise<Buffer | undefined> {
  const zip = await open(buffer);
  if (!zip) return undefined;
  let found: Buffer | undefined;
  await walk(zip, async (entry) => {
    if (entry.fileName !== path || kindOf(entry) === 'directory') return false;
    const stream = await new Promise<Readable>((done, fail) =>
      zip.openReadStream(entry, (error, opened) => (error ? fail(error) : done(opened))),
    );
    found = await readAll(stream);
    return true;
  });
  return found;
}
