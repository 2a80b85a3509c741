/**
 * A listed file's bytes as an archive entry's data: read through a handle opened without
 * following a link and checked to be the inode listed, counted against the size listed, and
 * deflated on the thread pool (level 6, as `zip -6`), or stored when deflate does not shrink
 * them. A small file is read and deflated whole, so that its CRC-32 and sizes precede its data;
 * a large one in blocks deflated several at a time, each primed with the 32 KiB before it and
 * ended on a byte boundary (a sync flush), so that their concatenation is one deflate stream.
 */
import fs, { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { crc32, deflateRaw, deflateRawSync, constants as zlibConstants } from 'node:zlib';
import { DEFLATED, STORED, type ZipWholeData } from './zip-writer.js';

/** Bytes read, and deflated, at a time: a file no larger is read whole. */
export const BLOCK_BYTES = 1024 * 1024;
/**
 * A file no larger is read and deflated on the calling thread: for it, a trip to the thread
 * pool (a zlib stream and its state set up, two thread switches) costs more than the work.
 */
export const TINY_BYTES = 64 * 1024;
/** Blocks of a large file read and deflated ahead of the one being written. */
const BLOCKS_AHEAD = 4;
/** What deflate looks back over: the dictionary each block is primed with. */
const WINDOW = 32 * 1024;
/** Deflate's level: `zip -6`'s, zlib's default. */
const LEVEL = 6;
/**
 * How a listed file is opened: read-only, never through a link in its last component, and
 * without waiting (a FIFO put in its place since the listing would block the open until a
 * writer came; opened at once, it is refused as not the regular file listed). Reads of a
 * regular file opened so behave as any others.
 */
const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** A regular file as the listing found it. */
export interface ListedFile {
  readonly name: string;
  readonly dev: number;
  readonly ino: number;
  readonly size: number;
  readonly mode: number;
  readonly mtimeMs: number;
}

/** How a file is read: where it is, whether it is deflated, the error a change makes. */
export interface FileReading {
  readonly path: string;
  readonly compress: boolean;
  /** The error thrown when the file is not the one listed, or its size changed. */
  readonly changed: () => Error;
}

function deflate(raw: Buffer, last: boolean, dictionary?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    deflateRaw(
      raw,
      {
        level: LEVEL,
        finishFlush: last ? zlibConstants.Z_FINISH : zlibConstants.Z_SYNC_FLUSH,
        ...(dictionary ? { dictionary } : {}),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
  });
}

/**
 * What a failed open of a listed file throws: a link in its place (`ELOOP`) or a socket
 * (`ENXIO`) is a file changed since the listing.
 */
function openFailure(error: NodeJS.ErrnoException, reading: FileReading): Error {
  return error.code === 'ELOOP' || error.code === 'ENXIO' ? reading.changed() : error;
}

/**
 * Opens the listed file, never through a link in its last component, and checks that what
 * was opened is the file listed: a link in a parent directory put there since the listing
 * leads to another inode, and is caught too.
 */
async function openListed(file: ListedFile, reading: FileReading): Promise<FileHandle> {
  const handle = await open(reading.path, OPEN_FLAGS).catch((error: NodeJS.ErrnoException) => {
    throw openFailure(error, reading);
  });
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || opened.dev !== file.dev || opened.ino !== file.ino) {
      throw reading.changed();
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Reads up to `length` bytes at `position`; fewer only at the end of the file. */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buffer, done, length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return done === length ? buffer : buffer.subarray(0, done);
}

/** The listed file's bytes, whole: one callback chain, the handle never outliving it. */
function readListed(file: ListedFile, reading: FileReading): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    fs.open(reading.path, OPEN_FLAGS, (openError, fd) => {
      if (openError) {
        reject(openFailure(openError, reading));
        return;
      }
      // One byte more than listed is asked for: a file grown since the listing is caught.
      const buffer = Buffer.allocUnsafe(file.size + 1);
      let done = 0;
      const close = (error: unknown) =>
        fs.close(fd, (closeError) => {
          const failure = error ?? closeError;
          if (failure) reject(failure);
          else if (done !== file.size) reject(reading.changed());
          else resolve(buffer.subarray(0, done));
        });
      const next = () =>
        fs.read(fd, buffer, done, buffer.length - done, done, (readError, bytesRead) => {
          if (readError) return close(readError);
          done += bytesRead;
          return bytesRead === 0 || done === buffer.length ? close(undefined) : next();
        });
      fs.fstat(fd, (statError, opened) => {
        if (statError) return close(statError);
        if (!opened.isFile() || opened.dev !== file.dev || opened.ino !== file.ino) {
          return close(reading.changed());
        }
        return next();
      });
    });
  });
}

/** A whole file's data: deflated when that shrinks it, else stored. */
function wholeData(raw: Buffer, deflated: Buffer | undefined): ZipWholeData {
  const crc = crc32(raw);
  return deflated && deflated.length < raw.length
    ? { method: DEFLATED, data: deflated, crc32: crc, size: raw.length }
    : { method: STORED, data: raw, crc32: crc, size: raw.length };
}

/**
 * A file of at most {@link TINY_BYTES}, read and deflated at once on this thread, with the
 * checks {@link wholeFileData} makes.
 */
export function tinyFileData(file: ListedFile, reading: FileReading): ZipWholeData {
  let fd: number;
  try {
    fd = fs.openSync(reading.path, OPEN_FLAGS);
  } catch (error) {
    throw openFailure(error as NodeJS.ErrnoException, reading);
  }
  // One byte more than listed is asked for: a file grown since the listing is caught.
  const buffer = Buffer.allocUnsafe(file.size + 1);
  let done = 0;
  try {
    const opened = fs.fstatSync(fd);
    if (!opened.isFile() || opened.dev !== file.dev || opened.ino !== file.ino) {
      throw reading.changed();
    }
    for (let read = -1; read !== 0 && done < buffer.length; done += read) {
      read = fs.readSync(fd, buffer, done, buffer.length - done, done);
    }
  } finally {
    fs.closeSync(fd);
  }
  if (done !== file.size) throw reading.changed();
  const raw = buffer.subarray(0, done);
  return wholeData(
    raw,
    reading.compress && done > 0 ? deflateRawSync(raw, { level: LEVEL }) : undefined,
  );
}

/** Bytes held in memory as an entry's data: deflated on the thread pool when that shrinks them. */
export async function bufferData(raw: Buffer, compress: boolean): Promise<ZipWholeData> {
  return wholeData(raw, compress && raw.length > 0 ? await deflate(raw, true) : undefined);
}

/**
 * A file of at most {@link BLOCK_BYTES}, read whole, with its CRC-32, deflated on the thread
 * pool unless that does not shrink it.
 */
export async function wholeFileData(file: ListedFile, reading: FileReading): Promise<ZipWholeData> {
  return bufferData(await readListed(file, reading), reading.compress);
}

/** One block of a large file: its bytes and what is written for them. */
interface Block {
  readonly raw: Buffer;
  readonly data: Buffer;
}

/** What {@link streamFileData} writes through. */
export interface StreamTarget {
  /** Begins the entry once its method is known. */
  begin(method: typeof STORED | typeof DEFLATED): void;
  /** Writes data of the entry; resolves when more may be written. */
  write(data: Buffer): Promise<void>;
  /** Ends the entry with its CRC-32 and size. */
  end(crc: number, size: number): void;
}

/**
 * A file larger than {@link BLOCK_BYTES}, read in blocks a few ahead of the one written. Its
 * first block decides the method: stored for the whole file when deflate does not shrink it.
 */
export async function streamFileData(
  file: ListedFile,
  reading: FileReading,
  target: StreamTarget,
): Promise<void> {
  const handle = await openListed(file, reading);
  const count = Math.ceil(file.size / BLOCK_BYTES);
  // Reads follow each other on the handle; each checks that the file has not shrunk.
  let reads: Promise<Buffer | undefined> = Promise.resolve(undefined);
  const ahead: Promise<Block>[] = [];
  let method: Promise<number> = Promise.resolve(STORED);
  const schedule = (index: number) => {
    const position = index * BLOCK_BYTES;
    const length = Math.min(BLOCK_BYTES, file.size - position);
    const previous = reads;
    const raw = previous.then(async () => {
      const bytes = await readAt(handle, position, length);
      if (bytes.length !== length) throw reading.changed();
      return bytes;
    });
    reads = raw;
    const last = index === count - 1;
    const block = Promise.all([raw, previous]).then(async ([bytes, before]): Promise<Block> => {
      if (!reading.compress) return { raw: bytes, data: bytes };
      if (index === 0) return { raw: bytes, data: await deflate(bytes, last) };
      if ((await method) === STORED) return { raw: bytes, data: bytes };
      return { raw: bytes, data: await deflate(bytes, last, before?.subarray(-WINDOW)) };
    });
    // A block failing after the entry has failed for another reason is not a second failure.
    block.catch(() => undefined);
    ahead.push(block);
    if (index === 0 && reading.compress) {
      method = block.then((first) => (first.data.length < first.raw.length ? DEFLATED : STORED));
      method.catch(() => undefined);
    }
  };
  try {
    for (let index = 0; index < Math.min(count, BLOCKS_AHEAD); index++) schedule(index);
    const chosen = (await method) === DEFLATED ? DEFLATED : STORED;
    target.begin(chosen);
    let crc = 0;
    for (let index = 0; index < count; index++) {
      if (index + BLOCKS_AHEAD < count) schedule(index + BLOCKS_AHEAD);
      const block = await (ahead.shift() as Promise<Block>);
      crc = crc32(block.raw, crc);
      await target.write(chosen === STORED ? block.raw : block.data);
    }
    // One byte past the size listed: a file grown since is caught.
    if ((await readAt(handle, file.size, 1)).length !== 0) throw reading.changed();
    target.end(crc, file.size);
  } finally {
    await reads.catch(() => undefined);
    await handle.close();
  }
}
