/**
 * What the S3 stand-in reads from each request before s3rver handles it: the operation, the
 * object it names, the access key that signed it and the encryption headers it was sent with.
 */
import type { IncomingMessage } from 'node:http';

/** The S3 operations the stand-in tells apart; anything else is `Other`. */
export type S3Operation =
  | 'GetObject'
  | 'HeadObject'
  | 'PutObject'
  | 'CopyObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'Other';

/** One request the stand-in received. */
export interface S3Request {
  readonly operation: S3Operation;
  readonly method: string;
  readonly bucket?: string;
  readonly key?: string;
  /** The access key id the request was signed with, if it was signed. */
  readonly accessKeyId?: string;
  /** `x-amz-server-side-encryption`, as sent. */
  readonly serverSideEncryption?: string;
  /** `x-amz-server-side-encryption-aws-kms-key-id`, as sent. */
  readonly kmsKeyId?: string;
  /** The HTTP status answered; undefined until the answer is sent. */
  status?: number;
}

/** The operations that write an object, with the headers that say how it is encrypted. */
export const UPLOAD_OPERATIONS: ReadonlySet<S3Operation> = new Set([
  'PutObject',
  'CreateMultipartUpload',
  'CompleteMultipartUpload',
]);

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function operationOf(method: string, query: URLSearchParams, copy: boolean): S3Operation {
  const upload = query.has('uploadId');
  switch (method) {
    case 'GET':
      return upload ? 'Other' : 'GetObject';
    case 'HEAD':
      return 'HeadObject';
    case 'PUT':
      if (upload && query.has('partNumber')) return 'UploadPart';
      return copy ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      return upload ? 'CompleteMultipartUpload' : 'Other';
    case 'DELETE':
      return upload ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return 'Other';
  }
}

/** The access key id and session token of a SigV4 request (header or query signing). */
export function signingKeys(request: IncomingMessage): {
  accessKeyId?: string;
  sessionToken?: string;
} {
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const credential =
    /Credential=([^/,\s]+)\//.exec(header(request, 'authorization') ?? '')?.[1] ??
    url.searchParams.get('X-Amz-Credential')?.split('/')[0];
  return {
    accessKeyId: credential || undefined,
    sessionToken:
      header(request, 'x-amz-security-token') ??
      url.searchParams.get('X-Amz-Security-Token') ??
      undefined,
  };
}

/** Reads a path-style request (`/bucket/key`). */
export function describeRequest(request: IncomingMessage): S3Request {
  const method = (request.method ?? 'GET').toUpperCase();
  const url = new URL(request.url ?? '/', 'http://stand-in');
  const [bucket, ...keyParts] = url.pathname.slice(1).split('/').map(decodeURIComponent);
  const object = keyParts.join('/');
  const isObject = object !== '';
  return {
    operation: isObject
      ? operationOf(method, url.searchParams, header(request, 'x-amz-copy-source') !== undefined)
      : 'Other',
    method,
    bucket: bucket || undefined,
    key: isObject ? object : undefined,
    accessKeyId: signingKeys(request).accessKeyId,
    serverSideEncryption: header(request, 'x-amz-server-side-encryption'),
    kmsKeyId: header(request, 'x-amz-server-side-encryption-aws-kms-key-id'),
  };
}

/**
 * The request that last wrote the object successfully, which carries the encryption headers
 * it was stored with: PutObject, or CreateMultipartUpload for a multipart upload (its parts
 * and completion carry none). Undefined when nothing wrote it.
 */
export function lastWrite(
  requests: readonly S3Request[],
  bucket: string,
  key: string,
): S3Request | undefined {
  return requests.findLast(
    (request) =>
      request.bucket === bucket &&
      request.key === key &&
      (request.operation === 'PutObject' || request.operation === 'CreateMultipartUpload') &&
      request.status !== undefined &&
      request.status < 300,
  );
}
