/**
 * s3rver's filesystem store, made to store every object whole before the call that stored it
 * returns, and to show a reader an object, its MD5 and its metadata from the same write.
 *
 * s3rver keeps an object as three files beside each other: `<name>._S3rver_object` (the
 * bytes), `<name>._S3rver_object.md5` (the ETag) and `<name>._S3rver_metadata.json`. Its own
 * `putContent` resolves a Buffer's write before the bytes are on disk, and every write goes to
 * the final files in place, so a reader could see a short object, or new bytes with the old
 * ETag. Here, each file is written to a temporary file beside its target (a name s3rver never
 * lists as an object) and renamed into place once written and closed. The renames of one
 * object are synchronous, so no other call of the process runs between them, and a read that
 * overlapped them is made again: the store lives in this process alone.
 */
import { createHash, randomUUID } from 'node:crypto';
import { renameSync, rmSync, unlinkSync } from 'node:fs';
import { mkdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';

type Content = Buffer | string | Readable | AsyncIterable<Buffer | string> | null;

/** An object as s3rver's store takes it (its `S3Object` model). */
interface StoreObject {
  readonly bucket: string;
  readonly key: string;
  readonly content: Content;
  readonly metadata: Record<string, unknown>;
}

/** What a read gives back; a stream it opened is closed when the read is made again. */
interface ReadObject {
  readonly content?: Readable | null;
  readonly metadata?: Record<string, unknown>;
}

/** The methods of s3rver's `FilesystemStore` (lib/stores/filesystem.js) this module replaces. */
export interface FilesystemStoreInternals {
  getBucketPath(bucket: string): string;
  getResourcePath(bucket: string, key: string | undefined, resource: string): string;
  getMetadata(bucket: string, key: string): Promise<unknown>;
  getObject(bucket: string, key: string, options?: unknown): Promise<ReadObject | null>;
  putObject(object: StoreObject): Promise<{ size: number; md5: string }>;
  putPart(
    bucket: string,
    uploadId: string,
    partNumber: number | string,
    content: Content,
  ): Promise<{ size: number; md5: string }>;
  copyObject(
    sourceBucket: string,
    sourceKey: string,
    bucket: string,
    key: string,
    replacementMetadata: Record<string, unknown> | null,
  ): Promise<unknown>;
  deleteObject(bucket: string, key: string): Promise<void>;
}

/** Reads made again this many times at most while writes of the same object keep overlapping. */
const MAX_READ_ATTEMPTS = 100;

const temporaryPath = (target: string) => `${target}.${randomUUID()}.partial`;

function chunks(content: Content): AsyncIterable<Buffer | string> | Iterable<Buffer | string> {
  if (content === null) return [];
  if (typeof content === 'string' || Buffer.isBuffer(content)) return [content];
  return content;
}

/** Writes `content` to a new temporary file beside `target`; resolves once it is closed. */
async function stage(target: string, content: Content) {
  const path = temporaryPath(target);
  const md5 = createHash('md5');
  let size = 0;
  async function* counted() {
    for await (const chunk of chunks(content)) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      md5.update(bytes);
      size += bytes.length;
      yield bytes;
    }
  }
  try {
    await writeFile(path, counted(), { flag: 'wx' });
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, size, md5: md5.digest('hex') };
}

/**
 * Temporary files beside their targets, renamed onto them in the reverse order they were
 * written (what was written first lands last), with nothing of the process between.
 */
class StagedWrite {
  readonly #renames: [from: string, to: string][] = [];

  async file(target: string, content: Content) {
    const staged = await stage(target, content);
    this.#renames.push([staged.path, target]);
    return staged;
  }

  commit(): void {
    for (const [from, to] of [...this.#renames].reverse()) renameSync(from, to);
  }

  discard(): void {
    for (const [from] of this.#renames) rmSync(from, { force: true });
  }
}

/**
 * Replaces the store's writes of objects and parts with whole, renamed ones, and makes its
 * reads of an object again when a write or delete of that object landed while they ran.
 *
 * @param store - s3rver's `FilesystemStore` (`s3rver.store`)
 * @param allowedMetadata - the headers s3rver keeps with an object (`S3Object.ALLOWED_METADATA`)
 */
export function storeWholeObjects(
  store: FilesystemStoreInternals,
  allowedMetadata: readonly string[],
): void {
  /** Per object file: how many writes landed on it; a read that saw the count change is redone. */
  const generations = new Map<string, number>();
  const generation = (objectPath: string) => generations.get(objectPath) ?? 0;
  const landed = (objectPath: string) => generations.set(objectPath, generation(objectPath) + 1);

  async function consistently<T>(objectPath: string, read: () => Promise<T>): Promise<T> {
    for (let attempt = 1; attempt <= MAX_READ_ATTEMPTS; attempt++) {
      const before = generation(objectPath);
      const result = await read();
      if (generation(objectPath) === before) return result;
      (result as ReadObject | null)?.content?.destroy();
    }
    throw new Error(`${objectPath} was written again during each of ${MAX_READ_ATTEMPTS} reads`);
  }

  const storedMetadata = (metadata: Record<string, unknown>) =>
    JSON.stringify(
      Object.fromEntries(
        Object.entries(metadata).filter(
          ([name]) => allowedMetadata.includes(name) || name.startsWith('x-amz-meta-'),
        ),
      ),
      null,
      2,
    );

  /**
   * Writes `content` to `target` and the sidecar files its MD5 calls for, aside; then renames
   * the sidecars into place and `target` last, and calls `landed`, with nothing in between.
   */
  async function writeWhole(
    target: string,
    content: Content,
    sidecars: (md5: string) => readonly (readonly [target: string, content: string])[],
    landed?: () => void,
  ): Promise<{ size: number; md5: string }> {
    const write = new StagedWrite();
    try {
      const { size, md5 } = await write.file(target, content).catch(async (error) => {
        // No folder yet (a new key's, or one a delete removed meanwhile): the file could not
        // be opened, so none of `content` was read, and it is written again once it is made.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        await mkdir(dirname(target), { recursive: true });
        return write.file(target, content);
      });
      for (const [path, text] of sidecars(md5)) await write.file(path, text);
      write.commit();
      landed?.();
      return { size, md5 };
    } catch (error) {
      write.discard();
      throw error;
    }
  }

  const getMetadata = store.getMetadata.bind(store);
  const getObject = store.getObject.bind(store);

  store.getMetadata = (bucket, key) =>
    consistently(store.getResourcePath(bucket, key, 'object'), () => getMetadata(bucket, key));

  store.getObject = (bucket, key, options) =>
    consistently(store.getResourcePath(bucket, key, 'object'), () =>
      getObject(bucket, key, options),
    );

  // The object's bytes are written first and so land last: a new key has no object until its
  // ETag and metadata are in place.
  store.putObject = ({ bucket, key, content, metadata }) => {
    const objectPath = store.getResourcePath(bucket, key, 'object');
    return writeWhole(
      objectPath,
      content,
      (md5) => [
        [`${objectPath}.md5`, md5],
        [store.getResourcePath(bucket, key, 'metadata.json'), storedMetadata(metadata)],
      ],
      () => landed(objectPath),
    );
  };

  // A copy is a write of the copied bytes: read from the source object's file as it was when
  // its ETag and metadata were read, whatever lands on it meanwhile.
  store.copyObject = async (sourceBucket, sourceKey, bucket, key, replacementMetadata) => {
    const source = await store.getObject(sourceBucket, sourceKey);
    if (!source) {
      throw Object.assign(new Error(`no object ${sourceKey} in ${sourceBucket}`), {
        code: 'ENOENT',
      });
    }
    try {
      await store.putObject({
        bucket,
        key,
        content: source.content ?? null,
        metadata: replacementMetadata ?? source.metadata ?? {},
      });
    } finally {
      source.content?.destroy();
    }
    return store.getMetadata(bucket, key);
  };

  store.putPart = (bucket, uploadId, partNumber, content) => {
    const partPath = join(
      store.getResourcePath(bucket, undefined, 'uploads'),
      uploadId,
      String(partNumber),
    );
    return writeWhole(partPath, content, (md5) => [[`${partPath}.md5`, md5]]);
  };

  store.deleteObject = async (bucket, key) => {
    const objectPath = store.getResourcePath(bucket, key, 'object');
    for (const path of [
      objectPath,
      `${objectPath}.md5`,
      store.getResourcePath(bucket, key, 'metadata.json'),
    ]) {
      try {
        unlinkSync(path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    landed(objectPath);
    // The folders the key implied go once empty (one that another write is filling stays).
    const folders = key.split('/').slice(0, -1);
    for (; folders.length > 0; folders.pop()) {
      try {
        await rmdir(join(store.getBucketPath(bucket), ...folders));
      } catch {
        return;
      }
    }
  };
}
