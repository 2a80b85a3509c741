/**
 * One output artifact's upload: streamed in parts (lib-storage), server-side encrypted with
 * KMS, sent again once with fresh credentials when S3 says they expired and the source can be
 * read again (a file, a directory), never holding the whole artifact in memory.
 */
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { JobCredentials } from './credentials.js';
import { ArtifactPermissionError } from './errors.js';
import { fileError } from './file-errors.js';
import {
  type ArtifactTarget,
  artifactErrorFromS3,
  describeTarget,
  isCredentialExpiry,
  safeCause,
} from './s3-errors.js';

/** What an upload wrote. */
export interface UploadResult {
  /** The output artifact's name. */
  readonly name: string;
  readonly bucketName: string;
  readonly objectKey: string;
  /** Bytes uploaded. */
  readonly bytes: number;
  /** Parts sent: 1 for a single PutObject, more for a multipart upload. */
  readonly parts: number;
}

/** What an upload sends. */
export interface UploadSource {
  /** Opens the bytes to send; called again for a second attempt when `restartable`. */
  open(): Readable;
  readonly restartable: boolean;
  readonly contentType?: string;
}

/** How an upload is sent. */
export interface UploadSettings {
  readonly client: S3Client;
  readonly credentials: JobCredentials;
  readonly partSizeBytes: number;
  readonly queueSize: number;
  readonly signal: AbortSignal;
  /** Key id or ARN of the KMS key; S3's default KMS key when undefined. */
  readonly kmsKeyId?: string;
}

type Attempt =
  | { readonly ok: true; readonly bytes: number; readonly parts: number }
  | { readonly ok: false; readonly error: unknown; readonly sourceError: unknown };

/** Sends `source` to `target` once; S3 errors come back as they are. */
async function attempt(
  target: ArtifactTarget,
  source: UploadSource,
  settings: UploadSettings,
): Promise<Attempt> {
  const input = source.open();
  let bytes = 0;
  let parts = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  // The source's own failure (a file that vanished, a link refused) is told apart from S3's.
  let sourceError: unknown;
  const feeding = pipeline(input, counter).catch((error: unknown) => {
    sourceError ??= error;
  });
  const upload = new Upload({
    client: settings.client,
    partSize: settings.partSizeBytes,
    queueSize: settings.queueSize,
    leavePartsOnError: false,
    params: {
      Bucket: target.bucketName,
      Key: target.objectKey,
      Body: counter,
      ContentType: source.contentType,
      ServerSideEncryption: 'aws:kms',
      ...(settings.kmsKeyId ? { SSEKMSKeyId: settings.kmsKeyId } : {}),
    },
  });
  upload.on('httpUploadProgress', (progress) => {
    parts = Math.max(parts, progress.part ?? 1);
  });
  const abort = () => void upload.abort().catch(() => undefined);
  settings.signal.addEventListener('abort', abort, { once: true });
  try {
    await upload.done();
    await feeding;
    return { ok: true, bytes, parts: Math.max(parts, 1) };
  } catch (error) {
    // Read before the streams are destroyed here, which fails the feeding pipeline too.
    const failedSource = sourceError;
    input.destroy();
    counter.destroy();
    await feeding;
    return { ok: false, error, sourceError: failedSource };
  } finally {
    settings.signal.removeEventListener('abort', abort);
  }
}

/**
 * Uploads `source` to the output artifact `target`.
 *
 * @throws ArtifactError naming the artifact: S3's refusal mapped to its failure type, or the
 *   source's own failure
 */
export async function uploadObject(
  target: ArtifactTarget,
  source: UploadSource,
  settings: UploadSettings,
): Promise<UploadResult> {
  const { name, bucketName, objectKey } = target;
  for (let round = 1; ; round++) {
    const generation = settings.credentials.generation;
    const result = await attempt(target, source, settings);
    if (result.ok) return { name, bucketName, objectKey, bytes: result.bytes, parts: result.parts };
    if (result.sourceError !== undefined) {
      throw fileError(
        result.sourceError,
        `${describeTarget(target)}: reading what to upload`,
        { artifactName: name },
        false,
      );
    }
    if (round === 1 && isCredentialExpiry(result.error)) {
      // Refreshed either way, so that the job's next requests are signed with fresh ones.
      await settings.credentials.refreshAfterExpiry(generation);
      if (source.restartable) continue;
      throw new ArtifactPermissionError(
        `${describeTarget(target)}: the job's credentials expired during the upload, and a stream cannot be sent again (upload a file instead)`,
        { artifactName: name, cause: safeCause(result.error) },
      );
    }
    throw artifactErrorFromS3(result.error, target);
  }
}
