/**
 * Extracts a zip archive into a directory of its own, refusing anything that would land
 * outside it, and stopping at the limits by counting what is actually created: the bytes
 * written, and every file, directory and link, the directories that deep paths imply
 * included, each of them an inode and a block of the disk. A file's declared size is counted
 * before it is written only when it fits what is left (its check never lets it write more,
 * and a file that holds less fails); one that does not fit is written alone and counted as
 * it is written, so the limit stops it at its bytes, whatever it declares.
 *
 * Names, kinds and limits are checked in archive order; the data of several files is read,
 * inflated and written at once, and a failure reports the earliest entry that failed.
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { mkdir, realpath, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type Readable, Transform, type Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { EntryPool } from './entry-pool.js';
import { ArtifactLimitError, UnsafeArchiveError } from './errors.js';
import { fileError, quoted } from './file-errors.js';
import { ENTRY_DISK_BYTES } from './settings.js';
import {
  entryKind,
  fileMode,
  openZip,
  relativeEntryPath,
  type ZipEntry,
  type ZipReader,
} from './zip-entries.js';
import { createLinks, type PendingLink, RefusedLink } from './zip-links.js';

/** Longest symbolic link target read from an archive (Linux's PATH_MAX). */
const MAX_LINK_TARGET_BYTES = 4096;
/** Longest name of one path component (Linux's NAME_MAX). */
const MAX_NAME_BYTES = 255;
/** Longest path a system call takes, its final NUL included (Linux's PATH_MAX). */
const MAX_PATH_BYTES = 4096;
/**
 * Files at most this large, stored or compressed, are read, inflated, checked and written
 * whole, in one write. Both sizes count: a small declared size says nothing of its deflate
 * stream, which may be any length (empty stored blocks inflate to nothing).
 */
const WHOLE_FILE_BYTES = 1024 * 1024;
/** Files written at once (their inflating and writing run on libuv's thread pool). */
const FILES_IN_FLIGHT = 8;
/** Most bytes the files in flight hold in memory, compressed and inflated. */
const BYTES_IN_FLIGHT = 16 * 1024 * 1024;
/** What a streamed file holds in memory, about: its read, inflate and write buffers. */
const STREAMED_FILE_BYTES = 1024 * 1024;

/** Options of {@link extractZip}. */
export interface ExtractOptions {
  /** How the archive is named in messages (`Input artifact "Name" (s3://...)`). */
  readonly label: string;
  /** The artifact's name, carried by errors. */
  readonly artifactName: string;
  /**
   * Most bytes written in all: files' contents, link targets, and {@link ENTRY_DISK_BYTES}
   * for each file, directory and link created (the artifact API gives what the job's earlier
   * extractions left of its `maxExtractedBytes`).
   */
  readonly maxBytes: number;
  /**
   * Most files, directories and links created, the directories deep paths imply included
   * (the artifact API gives what the job's earlier extractions left of its `maxEntries`).
   */
  readonly maxEntries: number;
  readonly signal?: AbortSignal;
  /**
   * Opens the file an entry is written to. The default creates it exclusively (an existing
   * file or link at that path is an error, never followed or overwritten).
   */
  readonly createFile?: (path: string, mode: number) => Writable;
}

/** What an extraction wrote. */
export interface ExtractResult {
  readonly files: number;
  readonly directories: number;
  readonly symlinks: number;
  /** Bytes counted against the limit (contents, link targets, a block per entry). */
  readonly bytes: number;
  /** Files, directories and links created, the directories deep paths imply included. */
  readonly entries: number;
}

const exclusiveFile = (path: string, mode: number): Writable =>
  createWriteStream(path, { flags: 'wx', mode });

function overLimit(options: ExtractOptions): ArtifactLimitError {
  return new ArtifactLimitError(
    `${options.label}: extracting it writes more than the ${options.maxBytes} bytes left of the job's limit (maxExtractedBytes, for every input the job extracts together; each file, directory and link counts ${ENTRY_DISK_BYTES} bytes besides its contents)`,
    { artifactName: options.artifactName },
  );
}

/**
 * What an extraction has created so far: its bytes, and the directories it made, so that the
 * ones a deep path implies are counted once each, like those the archive lists.
 */
class Created {
  bytes = 0;
  inodes = 0;
  readonly directories = new Set<string>();

  constructor(
    private readonly options: ExtractOptions,
    private readonly doing: string,
  ) {}

  /** Counts `path` (relative, not yet created) and the directories above it that are new. */
  add(path: string, directory: boolean): void {
    for (let end = path.indexOf('/'); end !== -1; end = path.indexOf('/', end + 1)) {
      this.#directory(path.slice(0, end));
    }
    if (directory) this.#directory(path);
    else this.count();
  }

  /** Counts the directory at `path` unless it was counted already. */
  #directory(path: string): void {
    if (this.directories.has(path)) return;
    this.directories.add(path);
    this.count();
  }

  private count(): void {
    this.inodes++;
    if (this.inodes > this.options.maxEntries) {
      throw new ArtifactLimitError(
        `${this.doing}: it creates more than the ${this.options.maxEntries} files, directories and links left of the job's limit (maxEntries, for every input the job extracts together), the directories its paths imply included`,
        { artifactName: this.options.artifactName },
      );
    }
    this.bytes += ENTRY_DISK_BYTES;
    if (this.bytes > this.options.maxBytes) throw overLimit(this.options);
  }
}

/** Directories known to exist under the extraction directory: each is made once. */
class Directories {
  readonly #made = new Set<string>();

  constructor(root: string) {
    this.#made.add(root);
  }

  /**
   * Makes `path` (absolute, under the root) and the directories above it, unless made: on the
   * main thread, as files are written (one system call costs less than a trip to the pool).
   */
  make(path: string): void {
    if (this.#made.has(path)) return;
    mkdirSync(path, { recursive: true });
    for (let at = path; !this.#made.has(at) && at !== dirname(at); at = dirname(at)) {
      this.#made.add(at);
    }
  }
}

/** Why the file system could not take `path` (relative) under `root`, if it could not. */
function pathProblem(root: string, path: string): string | undefined {
  const bytes = Buffer.byteLength(path);
  if (
    bytes > MAX_NAME_BYTES &&
    path.split('/').some((part) => Buffer.byteLength(part) > MAX_NAME_BYTES)
  ) {
    return `a component of its name is longer than ${MAX_NAME_BYTES} bytes`;
  }
  // The directory's own path is the worker's, not the archive's: it is not shown.
  const room = MAX_PATH_BYTES - Buffer.byteLength(root) - 2;
  if (bytes > room) {
    return `its path is longer than the ${room} bytes the extraction directory leaves`;
  }
  return undefined;
}

/** Passes bytes on while the running total stays within the limit. */
function limiter(state: Created, options: ExtractOptions): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      state.bytes += chunk.length;
      if (state.bytes > options.maxBytes) callback(overLimit(options));
      else callback(null, chunk);
    },
  });
}

/** A link entry's text, or undefined when it is longer than any path can be. */
async function readLinkTarget(
  stream: Readable,
  state: Created,
  options: ExtractOptions,
): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    const bytes = chunk as Buffer;
    length += bytes.length;
    state.bytes += bytes.length;
    if (state.bytes > options.maxBytes) throw overLimit(options);
    if (length > MAX_LINK_TARGET_BYTES) return undefined;
    chunks.push(bytes);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Writes a small file whole: its bytes are read, inflated and checked (size and CRC-32) before
 * the file is created, then written in one write. The file's system calls are made on the
 * main thread: for a small file, three trips to the thread pool cost several times the calls.
 */
async function writeWhole(
  zip: ZipReader,
  entry: ZipEntry,
  path: string,
  options: ExtractOptions,
): Promise<void> {
  const bytes = await zip.readWhole(entry);
  options.signal?.throwIfAborted();
  const mode = fileMode(entry);
  if (options.createFile) {
    const file = options.createFile(path, mode);
    file.end(bytes);
    await finished(file);
  } else {
    writeFileSync(path, bytes, { flag: 'wx', mode });
  }
}

/** Streams a file's bytes (checked as they flow) to its file; `through` counts them if given. */
async function writeStreamed(
  zip: ZipReader,
  entry: ZipEntry,
  path: string,
  options: ExtractOptions,
  through?: Transform,
): Promise<void> {
  const createFile = options.createFile ?? exclusiveFile;
  // The entry's stream flows as soon as it is open: hand it to the pipeline at once, so that
  // none of its errors is emitted with no one listening.
  const stream = await zip.open(entry);
  const file = createFile(path, fileMode(entry));
  const stages = through ? [stream, through, file] : [stream, file];
  await pipeline(stages, { signal: options.signal });
}

/**
 * Extracts the zip archive `file` into `destination`, which must not exist yet. On any
 * failure the destination is removed and an {@link ArtifactError} says why.
 *
 * Symbolic links are kept when they lead somewhere inside the destination (source trees
 * use them; writing them as files would change the tree), and refuse the archive otherwise.
 * Files keep their execute bit; other mode bits are not restored.
 */
export async function extractZip(
  file: string,
  destination: string,
  options: ExtractOptions,
): Promise<ExtractResult> {
  const doing = `${options.label}: extracting`;
  const unsafe = (entry: string, reason: string) =>
    new UnsafeArchiveError(`${doing}: entry ${quoted(entry)} is refused: ${reason}`, {
      artifactName: options.artifactName,
    });
  const state = new Created(options, doing);
  const counts = { files: 0, directories: 0, symlinks: 0 };
  const fail = (error: unknown, archive: boolean) =>
    fileError(error, doing, { artifactName: options.artifactName }, archive);
  try {
    await mkdir(dirname(destination), { recursive: true });
    await mkdir(destination);
  } catch (error) {
    throw fail(error, false);
  }
  let zip: ZipReader | undefined;
  const pool = new EntryPool(FILES_IN_FLIGHT, BYTES_IN_FLIGHT);
  /** The entry the main loop is at: a failure of an earlier one in flight comes first. */
  let index = 0;
  try {
    zip = await openZip(file);
    if (zip.entryCount > options.maxEntries) {
      throw new ArtifactLimitError(
        `${doing}: it has ${zip.entryCount} entries; ${options.maxEntries} are left of the job's limit (maxEntries)`,
        { artifactName: options.artifactName },
      );
    }
    const reader = zip;
    const root = await realpath(destination);
    const directories = new Directories(root);
    const links: PendingLink[] = [];
    for (let entry = await zip.next(); entry; index++, entry = await zip.next()) {
      options.signal?.throwIfAborted();
      const name = entry.name;
      const checked = relativeEntryPath(name);
      if ('refused' in checked) throw unsafe(name, checked.refused);
      const kind = entryKind(entry, name);
      if (kind === 'other') throw unsafe(name, 'it is neither a file, a directory nor a link');
      if (checked.path === '') continue;
      const tooLong = pathProblem(root, checked.path);
      if (tooLong) throw unsafe(name, tooLong);
      // Its path has no empty, '.' or '..' part: nothing for join() to normalize.
      const path = `${root}/${checked.path}`;
      state.add(checked.path, kind === 'directory');
      if (kind === 'directory') {
        directories.make(path);
        counts.directories++;
        continue;
      }
      if (kind === 'symlink') {
        const target = await readLinkTarget(await zip.open(entry), state, options);
        if (target === undefined) throw unsafe(name, 'its link target is too long');
        links.push({ entry: name, path: checked.path, target });
        continue;
      }
      directories.make(dirname(path));
      const size = entry.uncompressedSize;
      if (state.bytes + size > options.maxBytes) {
        // Its contents do not fit (or are not the size it declares): it is written alone,
        // after the files before it, and counted as it is written, up to the limit.
        await pool.finish();
        await writeStreamed(zip, entry, path, options, limiter(state, options));
      } else {
        // Its bytes are counted before they are written: its check never lets it write more.
        state.bytes += size;
        const current = entry;
        await (size <= WHOLE_FILE_BYTES && entry.compressedSize <= WHOLE_FILE_BYTES
          ? pool.start(index, entry.compressedSize + size, () =>
              writeWhole(reader, current, path, options),
            )
          : pool.start(index, STREAMED_FILE_BYTES, () =>
              writeStreamed(reader, current, path, options),
            ));
      }
      counts.files++;
    }
    index = Number.POSITIVE_INFINITY;
    await pool.finish();
    await createLinks(root, links);
    counts.symlinks = links.length;
    return { ...counts, bytes: state.bytes, entries: state.inodes };
  } catch (thrown) {
    const earlier = await pool.settled();
    const error = earlier && earlier.index < index ? earlier.error : thrown;
    await rm(destination, { recursive: true, force: true }).catch(() => undefined);
    if (error instanceof RefusedLink) throw unsafe(error.link.entry, error.reason);
    throw fail(error, true);
  } finally {
    zip?.close();
  }
}
