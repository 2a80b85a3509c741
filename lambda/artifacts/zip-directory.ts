/**
 * A directory as a zip stream (yazl): files are read one at a time as the stream is consumed,
 * so memory stays flat whatever the directory's size.
 */
import type { Dirent } from 'node:fs';
import { readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { UnsafeArchiveError } from './errors.js';
import { clip } from './file-errors.js';

/** A symbolic link's mode: what unzip tools read to recreate a link. */
const SYMLINK_MODE = 0o120777;

/** Options of {@link zipDirectory}. */
export interface ZipDirectoryOptions {
  /** Deflate file contents (off: stored as they are, for contents already compressed). */
  readonly compress: boolean;
  /** How the output is named in messages. */
  readonly label: string;
  /** The output artifact's name, carried by errors. */
  readonly artifactName: string;
}

function refused(options: ZipDirectoryOptions, name: string, reason: string) {
  return new UnsafeArchiveError(
    `${options.label}: "${clip(name)}" in the directory to upload ${reason}`,
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
  const target = await readlink(path);
  if (isAbsolute(target)) throw refused(options, name, 'is a symbolic link to an absolute path');
  // A link that resolves is judged by where it really leads; a dangling one by its text.
  const leads = await realpath(path).catch(() => resolve(dirname(path), target));
  if (!inside(root, leads)) {
    throw refused(options, name, 'is a symbolic link that leads outside the directory');
  }
  return Buffer.from(target);
}

async function addTree(
  zip: yazl.ZipFile,
  root: string,
  relative: string,
  options: ZipDirectoryOptions,
): Promise<void> {
  const entries: Dirent[] = await readdir(join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length === 0 && relative !== '') zip.addEmptyDirectory(relative);
  for (const entry of entries) {
    const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const path = join(root, name);
    if (entry.isDirectory()) await addTree(zip, root, name, options);
    else if (entry.isFile()) zip.addFile(path, name, { compress: options.compress });
    else if (entry.isSymbolicLink()) {
      zip.addBuffer(await linkEntry(root, path, name, options), name, {
        mode: SYMLINK_MODE,
        compress: false,
      });
    } else throw refused(options, name, 'is neither a file, a directory nor a link');
  }
}

/**
 * Zips `directory` (its contents, not the directory itself) as a stream. Files keep their
 * mode; symbolic links are stored as links when they lead inside the directory, and fail
 * the stream otherwise (as they would fail extraction); sockets and FIFOs fail it too.
 */
export function zipDirectory(directory: string, options: ZipDirectoryOptions): Readable {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  const fail = (error: unknown) => output.destroy(error as Error);
  zip.on('error', fail);
  realpath(directory)
    .then((root) => addTree(zip, root, '', options))
    .then(() => zip.end())
    .catch(fail);
  return output;
}
