/**
 * A local S3 stand-in: s3rver embedded in-process behind an HTTP server of our own, which
 * records every request (with the encryption headers uploads were sent with, which s3rver
 * ignores) and answers for expired or mismatched session credentials as S3 does.
 *
 * Every object (and part) is stored whole before the call or request that stored it is
 * answered, written aside and renamed into place: see `whole-objects.ts`.
 *
 * What s3rver does not do: CreateBucket through the SDK (buckets are made here, in its
 * store), server-side encryption, and a streamed PutObject body sent aws-chunked with a
 * trailing checksum (the SDK's default for a streamed body): it answers
 * InvalidArgument. lib-storage's Upload sends buffered parts, which it takes.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { importPeer } from '../../lib/optional-peer.js';
import { describeRequest, type S3Request, signingKeys, UPLOAD_OPERATIONS } from './requests.js';
import { type FilesystemStoreInternals, storeWholeObjects } from './whole-objects.js';

/** A key pair the stand-in accepts. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** When set, requests signed with this key must carry this session token. */
  readonly sessionToken?: string;
}

/** Options of {@link startS3Server}; all optional. */
export interface S3ServerOptions {
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** Buckets created at start. @default none */
  readonly buckets?: readonly string[];
  /** Key pairs whose signatures are accepted. @default none */
  readonly credentials?: readonly S3Credentials[];
}

/** A started stand-in. */
export interface RunningS3Server {
  /** `http://host:port`: an S3 client's `endpoint`, with path-style addressing. */
  readonly endpoint: string;
  /** Where s3rver stores buckets and objects; removed by `close()`. */
  readonly directory: string;
  /** Creates a bucket (S3's CreateBucket through the SDK does not work against s3rver). */
  createBucket(name: string): Promise<void>;
  /** Accepts requests signed with this key pair (and carrying its session token, if set). */
  registerCredentials(credentials: S3Credentials): void;
  /** Refuses the key from now on, as S3 does an unknown key (`InvalidAccessKeyId`). */
  revokeCredentials(accessKeyId: string): void;
  /** Refuses the key from now on, as S3 does expired session credentials (`ExpiredToken`). */
  expireCredentials(accessKeyId: string): void;
  /** Stores an object directly (no request is recorded); resolves once it is whole. */
  putObject(bucket: string, key: string, body: Buffer | string | Readable): Promise<void>;
  /** An object's bytes, or undefined when there is none. */
  getObject(bucket: string, key: string): Promise<Buffer | undefined>;
  /** Every request received, in order. */
  readonly requests: readonly S3Request[];
  /** The requests that wrote objects: PutObject, CreateMultipartUpload, CompleteMultipartUpload. */
  readonly uploads: readonly S3Request[];
  /** Stops the server, forgets its keys and deletes its storage. */
  close(): Promise<void>;
}

function sendError(response: ServerResponse, code: string, message: string): void {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><RequestId>${randomUUID()}</RequestId></Error>`;
  response.writeHead(400, {
    'content-type': 'application/xml',
    'content-length': Buffer.byteLength(body),
    'x-amz-request-id': randomUUID(),
  });
  response.end(body);
}

/**
 * Starts s3rver in-process on a free loopback port, storing objects in a temporary directory
 * that `close()` removes. Its logs are silent.
 *
 * s3rver's key registry is global to the process: a key registered on one stand-in is
 * accepted by every stand-in of the process until it is revoked (or its stand-in closed).
 *
 * @throws MissingPeerDependencyError when @20minutes/s3rver (an optional peer) is not installed
 * @example
 * const s3 = await startS3Server({ buckets: ['artifacts'], credentials: [{ accessKeyId: 'AK', secretAccessKey: 'SK' }] });
 * const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials });
 */
export async function startS3Server(options: S3ServerOptions = {}): Promise<RunningS3Server> {
  const [{ default: S3rver }, { default: AWSAccount }, { default: S3Object }] = await importPeer(
    '@20minutes/s3rver',
    'The local S3 artifact store',
    () =>
      Promise.all([
        import('@20minutes/s3rver'),
        import('@20minutes/s3rver/lib/models/account.js'),
        import('@20minutes/s3rver/lib/models/object.js'),
      ]),
  );
  const directory = await mkdtemp(join(tmpdir(), 'local-s3-'));
  const s3rver = new S3rver({ directory, silent: true, vhostBuckets: false, resetOnClose: false });
  // The store's internals and the model's list of kept headers are not in s3rver's typings.
  storeWholeObjects(
    s3rver.store as unknown as FilesystemStoreInternals,
    (S3Object as unknown as { ALLOWED_METADATA: readonly string[] }).ALLOWED_METADATA,
  );
  const handle = s3rver.callback();
  const account = new AWSAccount(123456789012, 'local-s3');
  const sessionTokens = new Map<string, string | undefined>();
  const expired = new Set<string>();
  const requests: S3Request[] = [];

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const record = describeRequest(request);
    requests.push(record);
    response.once('finish', () => {
      record.status = response.statusCode;
    });
    const { accessKeyId, sessionToken } = signingKeys(request);
    const refusal =
      accessKeyId && expired.has(accessKeyId)
        ? (['ExpiredToken', 'The provided token has expired.'] as const)
        : accessKeyId &&
            sessionTokens.get(accessKeyId) !== undefined &&
            sessionTokens.get(accessKeyId) !== sessionToken
          ? (['InvalidToken', 'The provided token is malformed or otherwise invalid.'] as const)
          : undefined;
    if (!refusal) {
      handle(request, response);
      return;
    }
    // Read the body first: answering before it is sent can reset the client's connection.
    request.resume();
    request.once('end', () => sendError(response, refusal[0], refusal[1]));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;

  const stand: RunningS3Server = {
    endpoint: `http://${address}:${port}`,
    directory,
    async createBucket(name) {
      await s3rver.store.putBucket(name);
    },
    registerCredentials(credentials) {
      account.createKeyPair(credentials.accessKeyId, credentials.secretAccessKey);
      sessionTokens.set(credentials.accessKeyId, credentials.sessionToken);
      expired.delete(credentials.accessKeyId);
    },
    revokeCredentials(accessKeyId) {
      account.revokeAccessKey(accessKeyId);
      sessionTokens.delete(accessKeyId);
      expired.delete(accessKeyId);
    },
    expireCredentials(accessKeyId) {
      expired.add(accessKeyId);
    },
    async putObject(bucket, key, body) {
      if (!(await s3rver.store.getBucket(bucket))) throw new Error(`no bucket ${bucket}`);
      const content = typeof body === 'string' ? Buffer.from(body) : body;
      await s3rver.store.putObject(
        new S3Object(bucket, key, content, { 'content-type': 'binary/octet-stream' }),
      );
    },
    async getObject(bucket, key) {
      const object = await s3rver.store.getObject(bucket, key);
      if (!object?.content) return undefined;
      const chunks: Buffer[] = [];
      for await (const chunk of object.content) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
    requests,
    get uploads() {
      return requests.filter((request) => UPLOAD_OPERATIONS.has(request.operation));
    },
    async close() {
      for (const accessKeyId of sessionTokens.keys()) account.revokeAccessKey(accessKeyId);
      sessionTokens.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      s3rver.logger.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
  for (const bucket of options.buckets ?? []) await stand.createBucket(bucket);
  for (const credentials of options.credentials ?? []) stand.registerCredentials(credentials);
  return stand;
}
