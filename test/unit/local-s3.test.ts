import { existsSync } from 'node:fs';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningS3Server, startS3Server } from '../../local/s3/index.js';

const KEYS = { accessKeyId: 'AKIALOCALTEST', secretAccessKey: 'local-secret', sessionToken: 'tok' };

describe('the local S3 stand-in', () => {
  let s3: RunningS3Server;
  const clients: S3Client[] = [];

  function client(credentials: { accessKeyId: string; secretAccessKey: string } = KEYS) {
    const created = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    clients.push(created);
    return created;
  }

  async function failure(promise: Promise<unknown>): Promise<string> {
    return promise.then(
      () => 'no error',
      (error: Error) => error.name,
    );
  }

  beforeEach(async () => {
    s3 = await startS3Server({ buckets: ['artifacts'], credentials: [KEYS] });
  });
  afterEach(async () => {
    for (const created of clients.splice(0)) created.destroy();
    await s3.close();
  });

  it('serves objects through the SDK and records how uploads asked to be encrypted', async () => {
    await client().send(
      new PutObjectCommand({
        Bucket: 'artifacts',
        Key: 'p/out.zip',
        Body: 'zip bytes',
        ServerSideEncryption: 'aws:kms',
        SSEKMSKeyId: 'key-1',
      }),
    );
    await s3.putObject('artifacts', 'p/in.zip', 'put server-side');

    const got = await client().send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'p/in.zip' }));

    expect(await got.Body?.transformToString()).toBe('put server-side');
    expect((await s3.getObject('artifacts', 'p/out.zip'))?.toString()).toBe('zip bytes');
    expect(await s3.getObject('artifacts', 'missing')).toBeUndefined();
    expect(s3.uploads).toEqual([
      expect.objectContaining({
        operation: 'PutObject',
        bucket: 'artifacts',
        key: 'p/out.zip',
        accessKeyId: KEYS.accessKeyId,
        serverSideEncryption: 'aws:kms',
        kmsKeyId: 'key-1',
        status: 200,
      }),
    ]);
  });

  it('records a multipart upload as its create and complete requests', async () => {
    await new Upload({
      client: client(),
      params: {
        Bucket: 'artifacts',
        Key: 'big',
        Body: Buffer.alloc(11 * 1024 * 1024),
        ServerSideEncryption: 'aws:kms',
      },
    }).done();

    expect(s3.uploads.map((upload) => [upload.operation, upload.serverSideEncryption])).toEqual([
      ['CreateMultipartUpload', 'aws:kms'],
      ['CompleteMultipartUpload', undefined],
    ]);
    expect(s3.requests.filter((request) => request.operation === 'UploadPart')).toHaveLength(3);
    expect((await s3.getObject('artifacts', 'big'))?.length).toBe(11 * 1024 * 1024);
  });

  it('verifies signatures, session tokens, revoked and expired keys as S3 does', async () => {
    const get = (c: S3Client) => c.send(new GetObjectCommand({ Bucket: 'artifacts', Key: 'k' }));
    await s3.putObject('artifacts', 'k', 'v');

    expect(await failure(get(client({ ...KEYS, secretAccessKey: 'wrong' })))).toBe(
      'SignatureDoesNotMatch',
    );
    expect(await failure(get(client({ ...KEYS, sessionToken: 'other' } as typeof KEYS)))).toBe(
      'InvalidToken',
    );
    expect(await failure(get(client()))).toBe('no error');
    s3.expireCredentials(KEYS.accessKeyId);
    expect(await failure(get(client()))).toBe('ExpiredToken');
    s3.revokeCredentials(KEYS.accessKeyId);
    expect(await failure(get(client()))).toBe('InvalidAccessKeyId');
  });

  it('answers NoSuchKey and NoSuchBucket', async () => {
    const get = (Bucket: string) => client().send(new GetObjectCommand({ Bucket, Key: 'none' }));

    expect(await failure(get('artifacts'))).toBe('NoSuchKey');
    expect(await failure(get('no-bucket'))).toBe('NoSuchBucket');
  });

  it('removes its storage and forgets its keys when closed', async () => {
    const other = await startS3Server({
      buckets: ['b'],
      credentials: [{ ...KEYS, accessKeyId: 'AKIAOTHER' }],
    });
    await other.putObject('b', 'k', 'v');
    expect(existsSync(other.directory)).toBe(true);
    await other.close();
    await s3.putObject('artifacts', 'k', 'v');

    const get = client({ ...KEYS, accessKeyId: 'AKIAOTHER' }).send(
      new GetObjectCommand({ Bucket: 'artifacts', Key: 'k' }),
    );

    expect(await failure(get)).toBe('InvalidAccessKeyId');
    expect(existsSync(other.directory)).toBe(false);
  });
});
