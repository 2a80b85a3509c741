/**
 * A directory as a zip stream ({@link ZipWriter}): files are read ahead of the stream's reader
 * within a bound on the bytes held, so memory stays flat whatever the directory's size.
 *
 * The directory is listed first, then read: between the two, a file may be replaced (by a
 * link to a file outside, or its directory by a link to another). Each file is therefore
 * opened without following a link in its last component, and the opened file must be the
 * one listed (a regular file, same device and inode), or the upload fails.
 */
import { type Dirent, lstatSync } from 'node:fs';
import { readdir, readlink, realpath } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { setImmediate } from 'node:timers/promises';
import { UnsafeArchiveError } from './errors.js';
import { quoted } from './file-errors.js';
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
import { type ZipWholeData, ZipWriter } from './zip-writer.js';

/** A symbolic link's mode: what unzip tools read to recreate a link. */
const SYMLINK_MODE = 0o120777;
/** An empty directory's mode. */
const DIRECTORY_MODE = 0o40775;
/** Files whose reading may be under way at once. */
const READERS = 8;
/** Bytes of small files (above {@link TINY_BYTES}) read (and deflated) ahead of the entry being written. */
const AHEAD_BYTES = 16 * 1024 * 1024;
/** What each file read ahead counts for besides its bytes: bounds the entries ahead. */
const ENTRY_COST = 16 * 1024;
/** Entries listed between two turns of the event loop. */
const LIST_YIELD_EVERY = 4096;
/** Longest the writer runs (tiny files read and deflated in line) before the event loop's turn. */
const YIELD_AFTER_MS = 10;
/** Bytes gathered before they are passed on: the output's chunks, bar large blocks. */
const CHUNK_BYTES = 1024 * 1024;

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

/** What is put in the archive, in order, as the listing found it (no `Stats` kept). */
type Listed =
  | ({ readonly kind: 'file' } & ListedFile)
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
    else if (entry.isFile()) {
      // Synchronous: a trip to the thread pool costs more than the call, many times over.
      const { dev, ino, size, mode, mtimeMs } = lstatSync(path);
      listed.push({ kind: 'file', name, dev, ino, size, mode, mtimeMs });
      if (listed.length % LIST_YIELD_EVERY === 0) await setImmediate();
    } else if (entry.isSymbolicLink()) {
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

/** Bytes that may be held at once, given out in the order asked for. */
class ByteBudget {
  readonly #limit: number;
  #used = 0;
  readonly #waiting: { bytes: number; grant: () => void }[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Resolves once `bytes` are granted (at once when nothing is held, whatever their size). */
  acquire(bytes: number): Promise<void> {
    if (this.#waiting.length === 0 && this.#fits(bytes)) {
      this.#used += bytes;
      return Promise.resolve();
    }
    return new Promise((grant) => this.#waiting.push({ bytes, grant }));
  }

  release(bytes: number): void {
    this.#used -= bytes;
    for (let first = this.#waiting[0]; first && this.#fits(first.bytes); first = this.#waiting[0]) {
      this.#waiting.shift();
      this.#used += first.bytes;
      first.grant();
    }
  }

  /** Grants every request waiting: the run is over, and what waits must see it. */
  releaseAll(): void {
    for (const waiting of this.#waiting.splice(0)) waiting.grant();
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.#limit;
  }
}

/**
 * The archive's bytes as a readable stream: gathered into chunks of about
 * {@link CHUNK_BYTES} (the part assembly downstream copies each chunk once), with
 * {@link ready} resolving when the reader wants more.
 */
class ArchiveOutput {
  readonly stream: Readable;
  #gathered: Buffer[] = [];
  #gatheredBytes = 0;
  #wake: (() => void) | undefined;
  #full = false;
  #stopped = false;

  constructor() {
    this.stream = new Readable({
      highWaterMark: CHUNK_BYTES,
      read: () => this.#resume(),
      destroy: (error, callback) => {
        this.#stopped = true;
        this.#resume();
        callback(error);
      },
    });
  }

  /** Whether the reader went away (the stream was destroyed). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Takes bytes of the archive, in order. */
  emit(chunk: Buffer): void {
    if (chunk.length >= CHUNK_BYTES) {
      this.flush();
      this.#push(chunk);
      return;
    }
    this.#gathered.push(chunk);
    this.#gatheredBytes += chunk.length;
    if (this.#gatheredBytes >= CHUNK_BYTES) this.flush();
  }

  /** Passes on what is gathered. */
  flush(): void {
    if (this.#gatheredBytes === 0) return;
    const chunk =
      this.#gathered.length === 1
        ? (this.#gathered[0] as Buffer)
        : Buffer.concat(this.#gathered, this.#gatheredBytes);
    this.#gathered = [];
    this.#gatheredBytes = 0;
    this.#push(chunk);
  }

  /** Resolves when the reader wants more (or went away). */
  async ready(): Promise<void> {
    while (this.#full && !this.#stopped) {
      await new Promise<void>((wake) => {
        this.#wake = wake;
      });
    }
  }

  end(): void {
    this.flush();
    if (!this.#stopped) this.stream.push(null);
  }

  #push(chunk: Buffer): void {
    if (this.#stopped) return;
    if (!this.stream.push(chunk)) this.#full = true;
  }

  #resume(): void {
    this.#full = false;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}

/** A small file's data, read ahead, awaited by the writer. */
interface Slot {
  readonly data: Promise<ZipWholeData>;
  readonly resolve: (data: ZipWholeData) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Reads the small files of `listed` ahead of the writer, several at a time and in listing
 * order, within {@link AHEAD_BYTES}; the writer takes each file's data with {@link take}.
 */
class ReadAhead {
  readonly #listed: readonly Listed[];
  readonly #read: (file: ListedFile) => Promise<ZipWholeData>;
  readonly #budget = new ByteBudget(AHEAD_BYTES);
  readonly #slots = new Map<number, Slot>();
  #next = 0;
  #stopped = false;

  constructor(listed: readonly Listed[], read: (file: ListedFile) => Promise<ZipWholeData>) {
    this.#listed = listed;
    this.#read = read;
    for (let reader = 0; reader < READERS; reader++) void this.#work();
  }

  /** The data of the small file at `index` of the listing. */
  async take(index: number, file: ListedFile): Promise<ZipWholeData> {
    const slot = this.#slot(index);
    try {
      return await slot.data;
    } finally {
      this.#slots.delete(index);
      this.#budget.release(cost(file));
    }
  }

  /** Stops reading ahead (the run failed or its reader went away). */
  stop(): void {
    this.#stopped = true;
    this.#budget.releaseAll();
  }

  async #work(): Promise<void> {
    while (!this.#stopped) {
      const index = this.#claim();
      if (index === undefined) return;
      const file = this.#listed[index] as ListedFile;
      await this.#budget.acquire(cost(file));
      if (this.#stopped) return;
      const slot = this.#slot(index);
      await this.#read(file).then(slot.resolve, slot.reject);
    }
  }

  /** The slot of the file at `index`, made by whichever of the reader and the writer comes first. */
  #slot(index: number): Slot {
    let slot = this.#slots.get(index);
    if (!slot) {
      let resolve: Slot['resolve'] = () => undefined;
      let reject: Slot['reject'] = () => undefined;
      const data = new Promise<ZipWholeData>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      // Read ahead: its failure is the writer's to report, when it reaches this file.
      data.catch(() => undefined);
      slot = { data, resolve, reject };
      this.#slots.set(index, slot);
    }
    return slot;
  }

  /** The next small file's index (claimed in listing order), or undefined at the end. */
  #claim(): number | undefined {
    while (this.#next < this.#listed.length) {
      const index = this.#next++;
      const each = this.#listed[index];
      if (each?.kind === 'file' && each.size > TINY_BYTES && each.size <= BLOCK_BYTES) {
        return index;
      }
    }
    return undefined;
  }
}

function cost(file: ListedFile): number {
  return file.size + ENTRY_COST;
}

/** Writes every listed entry in order, then the central directory. */
async function writeArchive(
  root: string,
  listed: readonly Listed[],
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
  const ahead = new ReadAhead(listed, (file) => wholeFileData(file, reading(file)));
  let lastYield = performance.now();
  try {
    for (const [index, each] of listed.entries()) {
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
          write: (data) => {
            writer.write(data);
            return output.ready();
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
  const listed: Listed[] = [];
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
