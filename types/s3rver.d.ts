/** Minimal typings for @20minutes/s3rver (an S3-compatible server), which ships none. */
declare module '@20minutes/s3rver' {
  import type { IncomingMessage, ServerResponse } from 'node:http';
  import type { Readable } from 'node:stream';

  interface S3rverOptions {
    /** Where buckets and objects are stored. */
    directory?: string;
    silent?: boolean;
    resetOnClose?: boolean;
    /** Treat `<bucket>.<host>` requests as virtual-hosted. */
    vhostBuckets?: boolean;
    allowMismatchedSignatures?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }

  interface StoredObject {
    readonly content: Readable | null;
    readonly metadata: Record<string, string>;
  }

  interface FilesystemStore {
    putBucket(name: string): Promise<unknown>;
    getBucket(name: string): Promise<unknown | null>;
    getObject(bucket: string, key: string): Promise<StoredObject | null>;
    putObject(object: unknown): Promise<{ size: number; md5: string }>;
  }

  class S3rver {
    constructor(options?: S3rverOptions);
    readonly store: FilesystemStore;
    readonly logger: { close(): void };
    /** The Koa request listener. */
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
  }
  export default S3rver;
}

declare module '@20minutes/s3rver/lib/models/account.js' {
  /** s3rver's key registry: one per process, shared by every server in it. */
  class AWSAccount {
    constructor(id: number | string, displayName: string);
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
    revokeAccessKey(accessKeyId: string): void;
  }
  export default AWSAccount;
}

declare module '@20minutes/s3rver/lib/models/object.js' {
  import type { Readable } from 'node:stream';

  class S3Object {
    constructor(
      bucket: string,
      key: string,
      content: Buffer | Readable,
      metadata: Record<string, string>,
    );
  }
  export default S3Object;
}
