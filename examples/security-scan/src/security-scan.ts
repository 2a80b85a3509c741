/**
 * The SecurityScan action: lets a build artifact through only if it is no larger than
 * `MaxSizeMB` and (unless `RequireKms` is `false`) encrypted with a KMS key. It reads the
 * artifact's metadata with S3 HeadObject, signed with the artifact credentials CodePipeline
 * hands the job, so the worker's own role needs no access to the artifact store.
 */
import { HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  failure,
  type Job,
  JobFailureError,
  type JobOutcome,
  type JobProcessor,
  type ProcessingContext,
  success,
} from 'codepipeline-job-worker';
import { MAX_SIZE_PROPERTY, REQUIRE_KMS_PROPERTY } from './configuration.js';

const MB = 1024 * 1024;
/** CodePipeline artifacts are at most 5 GB. */
const MAX_LIMIT_MB = 5 * 1024;

export interface SecurityScanOptions {
  /**
   * Builds the S3 client that reads a job's artifact.
   * @default an S3Client signed with the job's artifact credentials, with the worker's SDK settings
   */
  readonly s3Client?: (job: Job, context: ProcessingContext) => S3Client;
}

interface Settings {
  readonly maxBytes: number;
  readonly requireKms: boolean;
}

function readSettings(job: Job): Settings | string {
  const raw = job.configuration[MAX_SIZE_PROPERTY]?.trim();
  if (!raw) return `${MAX_SIZE_PROPERTY} is required`;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIMIT_MB) {
    return `${MAX_SIZE_PROPERTY} must be a whole number of MB from 1 to ${MAX_LIMIT_MB}`;
  }
  const kms = job.configuration[REQUIRE_KMS_PROPERTY]?.trim().toLowerCase() ?? 'true';
  if (kms !== 'true' && kms !== 'false') return `${REQUIRE_KMS_PROPERTY} must be true or false`;
  return { maxBytes: Number(raw) * MB, requireKms: kms === 'true' };
}

function artifactClient(job: Job, context: ProcessingContext): S3Client {
  return new S3Client({
    credentials: job.artifactCredentials?.reveal(),
    maxAttempts: context.sdk.maxAttempts,
    requestHandler: { requestTimeout: context.sdk.requestTimeoutMs, throwOnRequestTimeout: true },
  });
}

/** An S3 error as the job's failure: the artifact store said no, or the artifact is gone. */
function artifactFailure(error: unknown, where: string): never {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode;
    if (status === 403) {
      throw new JobFailureError('PermissionError', `${where} refused the artifact credentials`, {
        cause: error,
      });
    }
    if (status === 404) {
      throw new JobFailureError('JobFailed', `${where} does not exist`, { cause: error });
    }
  }
  throw error;
}

/**
 * The SecurityScan processor.
 *
 * @param options - the S3 client factory to use instead of the default
 */
export function securityScan(options: SecurityScanOptions = {}): JobProcessor {
  const clientFor = options.s3Client ?? artifactClient;
  return {
    name: 'security-scan',
    async process(job, context): Promise<JobOutcome> {
      const settings = readSettings(job);
      if (typeof settings === 'string') return failure('ConfigurationError', settings);
      const artifact = job.inputArtifacts[0];
      if (!artifact) return success({ summary: 'No input artifact: nothing to scan' });
      if (!artifact.bucketName || !artifact.objectKey) {
        return failure('JobFailed', `Input artifact ${artifact.name} has no S3 location`);
      }
      const where = `s3://${artifact.bucketName}/${artifact.objectKey}`;
      context.logger.info('checking the artifact', { artifact: artifact.name });
      const client = clientFor(job, context);
      try {
        const head = await client
          .send(new HeadObjectCommand({ Bucket: artifact.bucketName, Key: artifact.objectKey }), {
            abortSignal: context.signal,
          })
          .catch((error: unknown) => artifactFailure(error, where));
        const size = head.ContentLength ?? 0;
        const encryption = head.ServerSideEncryption ?? 'none';
        const sizeMb = (size / MB).toFixed(1);
        if (size > settings.maxBytes) {
          return failure(
            'JobFailed',
            `${artifact.name} is ${sizeMb} MB, over ${MAX_SIZE_PROPERTY} (${settings.maxBytes / MB} MB)`,
          );
        }
        if (settings.requireKms && !encryption.startsWith('aws:kms')) {
          return failure(
            'JobFailed',
            `${artifact.name} is not encrypted with a KMS key (server-side encryption: ${encryption})`,
          );
        }
        return success({
          summary: `${artifact.name} passed: ${sizeMb} MB, encryption ${encryption}`,
          outputVariables: { ArtifactBytes: String(size), Encryption: encryption },
        });
      } finally {
        client.destroy();
      }
    },
  };
}
