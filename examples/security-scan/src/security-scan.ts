/**
 * The SecurityScan action: lets a build artifact through only if it is no larger than
 * `MaxSizeMB` and carries no secret files (`.env`, private keys). It reads the artifact's size
 * with its own S3 `HeadObject` before downloading anything, then extracts the artifact with the
 * package's artifact API and checks every file name. When the action has an output artifact,
 * it writes the findings there. Every S3 call is signed with the artifact credentials
 * CodePipeline hands the job, so the worker's own role needs no access to the artifact store.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import {
  type Artifact,
  failure,
  type Job,
  JobFailureError,
  type JobOutcome,
  type JobProcessor,
  type ProcessingContext,
  success,
} from 'codepipeline-job-worker';
import { type JobArtifacts, jobArtifacts } from 'codepipeline-job-worker/artifacts';
import { FINDINGS_FILE, MAX_SIZE_PROPERTY } from './configuration.js';
import { isForbidden, listFiles } from './forbidden-files.js';

const MB = 1024 * 1024;
/** CodePipeline artifacts are at most 5 GB. */
const MAX_LIMIT_MB = 5 * 1024;
/** Forbidden files named in a failure message; the report lists them all. */
const NAMED_IN_MESSAGE = 5;

/** The largest artifact allowed, in bytes, or why the configuration is wrong. */
function readMaxBytes(job: Job): number | string {
  const raw = job.configuration[MAX_SIZE_PROPERTY]?.trim();
  if (!raw) return `${MAX_SIZE_PROPERTY} is required`;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > MAX_LIMIT_MB) {
    return `${MAX_SIZE_PROPERTY} must be a whole number of MB from 1 to ${MAX_LIMIT_MB}`;
  }
  return Number(raw) * MB;
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
      throw new JobFailureError('RevisionUnavailable', `${where} does not exist`, {
        cause: error,
      });
    }
  }
  throw error;
}

/**
 * The artifact's size in bytes, from S3 `HeadObject`. The client takes its endpoint and region
 * from the standard variables (`AWS_ENDPOINT_URL_S3`, `AWS_REGION`), as the artifact API does:
 * tests and local runs point them at a local artifact store.
 */
async function artifactSize(job: Job, artifact: Artifact, context: ProcessingContext) {
  const where = `s3://${artifact.bucketName}/${artifact.objectKey}`;
  const client = new S3Client({
    credentials: job.artifactCredentials?.reveal(),
    maxAttempts: context.sdk.maxAttempts,
    requestHandler: { requestTimeout: context.sdk.requestTimeoutMs, throwOnRequestTimeout: true },
  });
  try {
    const head = await client
      .send(new HeadObjectCommand({ Bucket: artifact.bucketName, Key: artifact.objectKey }), {
        abortSignal: context.signal,
      })
      .catch((error: unknown) => artifactFailure(error, where));
    return head.ContentLength ?? 0;
  } finally {
    client.destroy();
  }
}

/** Writes the findings as the only file of the action's output artifact, if it has one. */
async function writeReport(
  artifacts: JobArtifacts,
  context: ProcessingContext,
  report: Record<string, unknown>,
): Promise<void> {
  // The action declares at most one output; the pipeline names it.
  const [output] = artifacts.outputNames;
  if (output === undefined) return;
  const directory = join(context.workDirectory, 'security-scan-report');
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, FINDINGS_FILE), `${JSON.stringify(report, null, 2)}\n`);
  // A zip, as pipeline artifacts are: the next action unzips it.
  await artifacts.uploadDirectory(output, directory);
}

/** The SecurityScan processor. */
export function securityScan(): JobProcessor {
  return {
    name: 'security-scan',
    async process(job, context): Promise<JobOutcome> {
      const maxBytes = readMaxBytes(job);
      if (typeof maxBytes === 'string') return failure('ConfigurationError', maxBytes);
      const artifact = job.inputArtifacts[0];
      if (!artifact) return success({ summary: 'No input artifact: nothing to scan' });

      // Refuse an oversized artifact before downloading it into the function's storage.
      const bytes = await artifactSize(job, artifact, context);
      const sizeMb = (bytes / MB).toFixed(1);
      if (bytes > maxBytes) {
        return failure(
          'JobFailed',
          `${artifact.name} is ${sizeMb} MB, over ${MAX_SIZE_PROPERTY} (${maxBytes / MB} MB)`,
        );
      }

      const artifacts = jobArtifacts(job, context);
      const files = await listFiles(await artifacts.extract(artifact.name));
      const forbidden = files.filter(isForbidden);
      context.logger.info('artifact scanned', { files: files.length, forbidden: forbidden.length });
      await writeReport(artifacts, context, {
        artifact: artifact.name,
        revision: artifact.revision ?? null,
        bytes,
        filesScanned: files.length,
        forbidden,
      });

      if (forbidden.length > 0) {
        const named = forbidden.slice(0, NAMED_IN_MESSAGE).join(', ');
        const more = forbidden.length - NAMED_IN_MESSAGE;
        return failure(
          'JobFailed',
          `${artifact.name} carries ${forbidden.length} forbidden file${forbidden.length === 1 ? '' : 's'}: ${named}${more > 0 ? ` and ${more} more` : ''}`,
        );
      }
      return success({
        summary: `${artifact.name} passed: ${files.length} files, ${sizeMb} MB, no secret files`,
        outputVariables: { ArtifactBytes: String(bytes), FilesScanned: String(files.length) },
      });
    },
  };
}
