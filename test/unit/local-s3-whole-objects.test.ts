/**
 * The local S3 stand-in stores every object whole before the call or request that stored it
 * is answered, and a reader sees an object, its ETag and its size from one write, never a
 * part of one: through the stand-in's own `putObject`, PutObject, a multipart upload, an
 * overwrite read while it runs, and a write that fails half way.
 */
import { readdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningS3Server, startS3Server } from '../../local/s3/index.js';
import { md5, seededBytes, sha256 } from '../helpers/seeded-bytes.js';

const KEYS = { accessKeyId: 'AKIAWHOLEOBJECTS', secretAccessKey: 'whole-objects-secret' };
const BUCKET = 'artifacts';
const MB = 1024 * 1024;
const LARGE = seededBytes('local-s3-whole-objects', 50 * MB);

/** A stream of `bytes` in chunks of 256 KiB, pausing `pauseMs` before each: a slow upload. */
function slowly(bytes: Buffer, pauseMs: number, failAfter = Number.POSITIVE_INFINITY): Readable {
  const chunk = MB / 4;
  return Readable.from(
    (async function* () {
      for (let at = 0; at < bytes.length; at += chunk) {
        if (at >= failAfter) throw new Error('the upload broke off');
        await sleep(pauseMs);
        yield bytes.subarray(at, at + chunk);
      }
    })(),
  );
}

/** Every file under the stand-in's storage, relative to it. */
async function storedFiles(s3: RunningS3Server): Promise<string[]> {
  return (await readdir(s3.directory, { recursive: true })).map(String).sort();
}

describe('the local S3 stand-in, storing whole objects', () => {
  let s3: RunningS3Server;
  let client: S3Client;

  /** What HeadObject and GetObject answer, sent one after the other. */
  async function read(Key: string) {
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key }));
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key }));
    const body = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    return {
      headBytes: head.ContentLength,
      headETag: head.ETag,
      getETag: got.ETag,
      bytes: body.length,
      sha256: sha256(body),
      md5: md5(body),
    };
  }

  const whole = (bytes: Buffer) => ({
    headBytes: bytes.length,
    headETag: `"${md5(bytes)}"`,
    getETag: `"${md5(bytes)}"`,
    bytes: bytes.length,
    sha256: sha256(bytes),
    md5: md5(bytes),
  });

  beforeAll(async () => {
    s3 = await startS3Server({ buckets: [BUCKET], credentials: [KEYS] });
    client = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: KEYS,
    });
  });
  afterAll(async () => {
    client.destroy();
    await s3.close();
  });

  it('resolves putObject of a 50 MB buffer only once every byte is stored, time after time', async () => {
    for (const key of ['a/large', 'a/large']) {
      await s3.putObject(BUCKET, key, LARGE);

      expect(await read(key)).toEqual(whole(LARGE));
    }
  }, 30_000);

  it('resolves putObject of a stream only once the stream ended and its bytes are stored', async () => {
    const bytes = LARGE.subarray(0, 8 * MB);

    await s3.putObject(BUCKET, 'streamed', slowly(bytes, 2));

    expect(await read('streamed')).toEqual(whole(bytes));
  });

  it('answers a 50 MB PutObject once the object is whole: a GetObject right after reads all of it', async () => {
    const put = await client.send(
      new PutObjectCommand({ Bucket: BUCKET, Key: 'put', Body: LARGE }),
    );

    expect(put.ETag).toBe(`"${md5(LARGE)}"`);
    expect(await read('put')).toEqual(whole(LARGE));
  }, 30_000);

  it('answers a 50 MB multipart upload once the object is whole: a GetObject right after reads all of it', async () => {
    await new Upload({
      client,
      params: { Bucket: BUCKET, Key: 'multipart', Body: LARGE },
      partSize: 8 * MB,
      queueSize: 4,
    }).done();

    const seen = await read('multipart');

    expect(seen).toMatchObject({ headBytes: LARGE.length, bytes: LARGE.length });
    expect(seen.sha256).toBe(sha256(LARGE));
  }, 30_000);

  it('shows a reader the old object or the new one while it is overwritten, each whole with its own ETag', async () => {
    const before = seededBytes('before', 2 * MB);
    const after = seededBytes('after', 2 * MB);
    await s3.putObject(BUCKET, 'overwritten', before);

    let done = false;
    const overwrite = s3.putObject(BUCKET, 'overwritten', slowly(after, 200)).finally(() => {
      done = true;
    });
    const seen = [];
    while (!done) seen.push(await read('overwritten'));
    await overwrite;
    seen.push(await read('overwritten'));

    // A HEAD and the GET after it are two requests: the overwrite may end between them, so
    // each answer is judged alone: whole, with the ETag of the bytes it describes.
    const heads = [before, after].map((bytes) => {
      const { headBytes, headETag } = whole(bytes);
      return { headBytes, headETag };
    });
    const gets = [before, after].map((bytes) => {
      const { getETag, bytes: length, sha256: hash, md5: digest } = whole(bytes);
      return { getETag, bytes: length, sha256: hash, md5: digest };
    });
    expect(seen.length).toBeGreaterThan(2);
    for (const { headBytes, headETag, ...got } of seen) {
      expect(heads).toContainEqual({ headBytes, headETag });
      expect(gets).toContainEqual(got);
    }
    expect(seen.at(0)).toEqual(whole(before));
    expect(seen.at(-1)).toEqual(whole(after));
  }, 30_000);

  it('has no object under a key whose first write is still running, and no temporary file once it ends', async () => {
    const bytes = LARGE.subarray(0, 4 * MB);
    const writing = s3.putObject(BUCKET, 'fresh/object', slowly(bytes, 50));
    await sleep(25);

    // s3rver lists as objects the files whose names end so.
    const objectFilesDuring = (await storedFiles(s3)).filter(
      (file) => file.startsWith(`${BUCKET}/fresh/`) && file.endsWith('._S3rver_object'),
    );
    const headDuring = await client
      .send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'fresh/object' }))
      .then(
        () => 'found',
        (error: Error) => error.name,
      );
    await writing;

    expect(objectFilesDuring).toEqual([]);
    expect(headDuring).toBe('NotFound');
    expect((await storedFiles(s3)).filter((file) => file.startsWith(`${BUCKET}/fresh/`))).toEqual([
      `${BUCKET}/fresh/object._S3rver_metadata.json`,
      `${BUCKET}/fresh/object._S3rver_object`,
      `${BUCKET}/fresh/object._S3rver_object.md5`,
    ]);
    expect(await read('fresh/object')).toEqual(whole(bytes));
  });

  it('keeps the stored object and leaves no temporary file when a write breaks off', async () => {
    const kept = seededBytes('kept', 2 * MB);
    await s3.putObject(BUCKET, 'kept', kept);

    const broken = await s3
      .putObject(BUCKET, 'kept', slowly(LARGE.subarray(0, 4 * MB), 1, 2 * MB))
      .then(
        () => 'stored',
        (error: Error) => error.message,
      );

    expect(broken).toBe('the upload broke off');
    expect(await read('kept')).toEqual(whole(kept));
    expect((await storedFiles(s3)).filter((file) => file.includes('.partial'))).toEqual([]);
  });

  it('copies an object over another with the copied bytes, their ETag and the replacing metadata', async () => {
    const source = seededBytes('copy-source', 2 * MB);
    await s3.putObject(BUCKET, 'copy/source', source);
    await s3.putObject(BUCKET, 'copy/target', seededBytes('copy-target', 3 * MB));

    await client.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'copy/target',
        CopySource: `${BUCKET}/copy/source`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
      }),
    );
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'copy/target' }));

    expect(await read('copy/target')).toEqual(whole(source));
    expect(head.ContentType).toBe('text/plain');
  });

  it('deletes an object with its ETag and metadata, and the folders its key implied', async () => {
    await s3.putObject(BUCKET, 'gone/deep/object', 'short-lived');

    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'gone/deep/object' }));

    expect(await s3.getObject(BUCKET, 'gone/deep/object')).toBeUndefined();
    expect((await storedFiles(s3)).filter((file) => file.includes('gone'))).toEqual([]);
  });
});
