/**
 * A directory as a zip stream ({@link ZipWriter}): files are read ahead of the stream's reader
 * within a bound on the bytes held, so memory stays flat whatever the directory's size.
 *
 * The directory is listed first, then read: between the two, a file may be replaced (by a
 * link to a file outside, or its directory by a link to another). Each file is therefore
 * opened without following a link in its last component, and the opened file must be the
 * one listed (a regular file, same device and inode), or the upload fails.
 */
import { isUtf8 } from 'node:buffer';
import { lstatSync } from 'node:fs';
import { readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { UnsafeArchiveError } from './errors.js';
import { quoted } from './file-errors.js';
import { relativeEntryPath } from './zip-entries.js';
import {
  BLOCK_BYTES,
  type FileReading,
  type ListedFile,
  streamFileData,
  TINY_BYTES,
  tinyFileData,
  wholeFileData,
} from './zip-file-data.js';
import { linkProblem } from './zip-links.js';
import { Listing } from './zip-listing.js';
import { ArchiveOutput } from './zip-output.js';
import { ReadAhead } from './zip-read-ahead.js';
import { ZipWriter } from './zip-writer.js';

/** A symbolic link's mode: what unzip tools read to recreate a link. */
const SYMLINK_MODE = 0o120777;
/** An empty directory's mode. */
const DIRECTORY_MODE = 0o40775;
/** Entries listed between two turns of the event loop. */
const LIST_YIELD_EVERY = 4096;
/** Longest the writer runs (tiny files read and deflated in line) before the event loop's turn. */
const YIELD_AFTER_MS = 10;
/** Options of {@link zipDirectory}. */
export interface ZipDirectoryOptions {
  /** Deflate file contents (off: stored as they are, for contents already compressed). */
  readonly compress: boolean;
  /** How the output is named in messages. */
  readonly label: string;
  /** The output artifact's name, carried by errors. */
  readonly artifactName: string;
  /** Runs between the listing and the first read (tests change the tree there). */
  readonly afterListing?: () => Promise<void>;
}

function refused(options: ZipDirectoryOptions, name: string, reason: string) {
  return new UnsafeArchiveError(
    `${options.label}: ${quoted(name)} in the directory to upload ${reason}`,
    { artifactName: options.artifactName },
  );
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

async function linkEntry(
  root: string,
  path: string,
  name: string,
  options: ZipDirectoryOptions,
): Promise<Buffer> {
  const raw = await readlink(path, { encoding: 'buffer' });
  // Decoded, a target that is not UTF-8 would be archived as another path.
  if (!isUtf8(raw)) throw refused(options, name, 'is a symbolic link to a path that is not UTF-8');
  const target = raw.toString('utf8');
  if (isAbsolute(target)) throw refused(options, name, 'is a symbolic link to an absolute path');
  // A link that resolves is judged by where it really leads; a dangling one by its text.
  const leads = await realpath(path).catch(() => resolve(dirname(path), target));
  if (!inside(root, leads)) {
    throw refused(options, name, 'is a symbolic link that leads outside the directory');
  }
  return raw;
}

/**
 * The name a listed entry is archived under, or the refusal of the upload: a name that is not
 * UTF-8 (a zip entry's name cannot carry it; decoded, it would be another file's), and one
 * that extraction, reading backslashes as separators, would refuse or place elsewhere.
 */
function entryNameOf(raw: Buffer, relative: string, options: ZipDirectoryOptions): string {
  const own = raw.toString('utf8');
  const name = relative === '' ? own : `${relative}/${own}`;
  if (!isUtf8(raw)) {
    throw refused(options, name, 'has a name that is not UTF-8 (its bytes shown as U+FFFD)');
  }
  const judged = relativeEntryPath(name.replaceAll('\\', '/'));
  if ('refused' in judged) {
    throw refused(options, name, `has a name extraction refuses: ${judged.refused}`);
  }
  if (judged.path !== name) {
    throw refused(options, name, `has a name extraction reads as ${quoted(judged.path)}`);
  }
  return name;
}

async function listTree(
  root: string,
  relative: string,
  options: ZipDirectoryOptions,
  listed: Listing,
): Promise<void> {
  const entries = (
    await readdir(join(root, relative), { encoding: 'buffer', withFileTypes: true })
  ).map((entry) => ({ entry, name: entryNameOf(entry.name, relative, options) }));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length === 0 && relative !== '') listed.addDirectory(relative);
  for (const { entry, name } of entries) {
    const path = join(root, name);
    if (entry.isDirectory()) await listTree(root, name, options, listed);
    else if (entry.isFile()) {
      // Synchronous: a trip to the thread pool costs more than the call, many times over.
      const { dev, ino, size, mode, mtimeMs } = lstatSync(path);
      listed.addFile({ name, dev, ino, size, mode, mtimeMs });
      if (listed.length % LIST_YIELD_EVERY === 0) await setImmediate();
    } else if (entry.isSymbolicLink()) {
      listed.addSymlink(name, await linkEntry(root, path, name, options));
    } else throw refused(options, name, 'is neither a file, a directory nor a link');
  }
}

/**
 * Judges every listed link by the rule extraction applies ({@link linkProblem}): the next
 * stage extracts this archive, and a link it would refuse, or one that leaves the directory
 * once that stage creates directories of its own, is refused here.
 */
function checkLinks(listed: Listing, options: ZipDirectoryOptions): void {
  const links = listed.links;
  const paths = new Set(links.map((link) => link.name));
  for (const link of links) {
    const problem = linkProblem(
      { entry: link.name, path: link.name, target: link.target.toString('utf8') },
      paths,
    );
    if (problem) throw refused(options, link.name, problem.replace(/^it /, ''));
  }
}

/** Writes every listed entry in order, then the central directory. */
async function writeArchive(
  root: string,
  listed: Listing,
  output: ArchiveOutput,
  options: ZipDirectoryOptions,
): Promise<void> {
  const now = Date.now();
  const writer = new ZipWriter((chunk) => output.emit(chunk));
  const reading = (file: ListedFile): FileReading => ({
    path: join(root, file.name),
    compress: options.compress,
    changed: () => refused(options, file.name, 'changed while it was being read'),
  });
  const ahead = new ReadAhead(
    listed.length,
    (index) => listed.fileAt(index),
    (file) => wholeFileData(file, reading(file)),
  );
  let lastYield = performance.now();
  try {
    for (let index = 0; index < listed.length; index++) {
      const each = listed.at(index);
      if (output.stopped) return;
      if (each.kind === 'directory') {
        writer.addDirectory({ name: `${each.name}/`, mode: DIRECTORY_MODE, mtimeMs: now });
      } else if (each.kind === 'symlink') {
        writer.addSymlink({ name: each.name, mode: SYMLINK_MODE, mtimeMs: now }, each.target);
      } else if (each.size <= TINY_BYTES) {
        writer.addWhole(each, tinyFileData(each, reading(each)));
      } else if (each.size <= BLOCK_BYTES) {
        writer.addWhole(each, await ahead.take(index, each));
      } else {
        await streamFileData(each, reading(each), {
          begin: (method) => writer.begin(each, method, each.size),
          write: async (data) => {
            writer.write(data);
            await output.ready();
            // The rest of a large file is not read for a reader that went away.
            if (output.stopped) throw new Error('the archive stream was closed by its reader');
          },
          end: (crc, size) => writer.end(crc, size),
        });
      }
      await output.ready();
      if (performance.now() - lastYield > YIELD_AFTER_MS) {
        // Tiny files are read and deflated here: the event loop gets its turn between them.
        await setImmediate();
        lastYield = performance.now();
      }
    }
    writer.finish();
    output.end();
  } finally {
    ahead.stop();
  }
}

/**
 * Zips `directory` (its contents, not the directory itself) as a stream. Files keep their
 * mode; symbolic links are stored as links when extraction would keep them (they lead inside
 * the directory by the rule of {@link linkProblem}), and fail the stream otherwise; sockets
 * and FIFOs fail it too.
 *
 * Small files are read and deflated several at a time ahead of the one written, within a
 * bound on the bytes held; memory does not grow with the directory's size.
 */
export function zipDirectory(directory: string, options: ZipDirectoryOptions): Readable {
  const output = new ArchiveOutput();
  const listed = new Listing();
  realpath(directory)
    .then(async (root) => {
      await listTree(root, '', options, listed);
      checkLinks(listed, options);
      await options.afterListing?.();
      await writeArchive(root, listed, output, options);
    })
    .catch((error: unknown) => output.stream.destroy(error as Error));
  return output.stream;
}
