/**
 * A directory as a zip stream (yazl): files are read one at a time as the stream is consumed,
 * so memory stays flat whatever the directory's size.
 *
 * The directory is listed first, then read: between the two, a file may be replaced (by a
 * link to a file outside, or its directory by a link to another). Each file is therefore
 * opened without following a link in its last component, and the opened file must be the
 * one listed (a regular file, same device and inode), or the upload fails.
 */
import { constants, type Dirent, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import yazl from 'yazl';
import { UnsafeArchiveError } from './errors.js';
import { quoted } from './file-errors.js';
import { linkProblem } from './zip-links.js';

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
  /** Runs between the listing and the first read (tests change the tree there). */
  readonly afterListing?: () => Promise<void>;
}

/** What is put in the archive, in order, as the listing found it. */
type Listed =
  | { readonly kind: 'file'; readonly name: string; readonly path: string; readonly stats: Stats }
  | { readonly kind: 'directory'; readonly name: string }
  | { readonly kind: 'symlink'; readonly name: string; readonly target: Buffer };

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
  const target = await readlink(path);
  if (isAbsolute(target)) throw refused(options, name, 'is a symbolic link to an absolute path');
  // A link that resolves is judged by where it really leads; a dangling one by its text.
  const leads = await realpath(path).catch(() => resolve(dirname(path), target));
  if (!inside(root, leads)) {
    throw refused(options, name, 'is a symbolic link that leads outside the directory');
  }
  return Buffer.from(target);
}

async function listTree(
  root: string,
  relative: string,
  options: ZipDirectoryOptions,
  listed: Listed[],
): Promise<void> {
  const entries: Dirent[] = await readdir(join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length === 0 && relative !== '') listed.push({ kind: 'directory', name: relative });
  for (const entry of entries) {
    const name = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const path = join(root, name);
    if (entry.isDirectory()) await listTree(root, name, options, listed);
    else if (entry.isFile()) listed.push({ kind: 'file', name, path, stats: await lstat(path) });
    else if (entry.isSymbolicLink()) {
      listed.push({ kind: 'symlink', name, target: await linkEntry(root, path, name, options) });
    } else throw refused(options, name, 'is neither a file, a directory nor a link');
  }
}

/**
 * Judges every listed link by the rule extraction applies ({@link linkProblem}): the next
 * stage extracts this archive, and a link it would refuse, or one that leaves the directory
 * once that stage creates directories of its own, is refused here.
 */
function checkLinks(listed: readonly Listed[], options: ZipDirectoryOptions): void {
  const links = listed.filter((each) => each.kind === 'symlink');
  const paths = new Set(links.map((link) => link.name));
  for (const link of links) {
    const problem = linkProblem(
      { entry: link.name, path: link.name, target: link.target.toString('utf8') },
      paths,
    );
    if (problem) throw refused(options, link.name, problem.replace(/^it /, ''));
  }
}

/**
 * Opens a listed file for reading, never through a link in its last component, and checks
 * that what was opened is the file listed: a link in a parent directory put there since the
 * listing leads to another inode, and is caught too.
 */
async function openListed(
  file: Extract<Listed, { kind: 'file' }>,
  options: ZipDirectoryOptions,
): Promise<Readable> {
  const changed = () => refused(options, file.name, 'changed while it was being read');
  const handle = await open(file.path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(
    (error: NodeJS.ErrnoException) => {
      throw error.code === 'ELOOP' ? changed() : error;
    },
  );
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.dev !== file.stats.dev || opened.ino !== file.stats.ino) {
      throw changed();
    }
  } catch (error) {
    await handle.close();
    throw error;
  }
  return handle.createReadStream();
}

function addListed(zip: yazl.ZipFile, listed: Listed, options: ZipDirectoryOptions): void {
  if (listed.kind === 'directory') zip.addEmptyDirectory(listed.name);
  else if (listed.kind === 'symlink') {
    zip.addBuffer(listed.target, listed.name, { mode: SYMLINK_MODE, compress: false });
  } else {
    const { mtime, mode, size } = listed.stats;
    zip.addReadStreamLazy(
      listed.name,
      { mtime, mode, size, compress: options.compress },
      (callback) => {
        openListed(listed, options).then(
          (stream) => callback(null, stream),
          (error: Error) => callback(error, undefined as unknown as Readable),
        );
      },
    );
  }
}

/**
 * Zips `directory` (its contents, not the directory itself) as a stream. Files keep their
 * mode; symbolic links are stored as links when extraction would keep them (they lead inside
 * the directory by the rule of {@link linkProblem}), and fail the stream otherwise; sockets
 * and FIFOs fail it too.
 */
export function zipDirectory(directory: string, options: ZipDirectoryOptions): Readable {
  const zip = new yazl.ZipFile();
  const output = zip.outputStream as Readable;
  const fail = (error: unknown) => output.destroy(error as Error);
  zip.on('error', fail);
  const listed: Listed[] = [];
  realpath(directory)
    .then((root) => listTree(root, '', options, listed))
    .then(() => checkLinks(listed, options))
    .then(() => options.afterListing?.())
    .then(() => {
      for (const each of listed) addListed(zip, each, options);
      zip.end();
    })
    .catch(fail);
  return output;
}
