/**
 * From the service's job (the AWS SDK's `Job`, or `JobDetails` with the nonce the ledger
 * holds) to the worker's {@link Job}: parsed once, with artifact credentials and secret
 * configuration values wrapped in {@link Secret}. The SDK's types say what the service sends;
 * every field is still checked, because a job is untrusted input.
 */

import type {
  Artifact as SdkArtifact,
  AWSSessionCredentials as SdkCredentials,
  Job as SdkJob,
} from '@aws-sdk/client-codepipeline';
import { JobWorkerError } from '../errors.js';
import type { Artifact, ArtifactCredentials, Job } from '../job/job.js';
import { Secret } from '../job/secret.js';
import { unwrapToken } from '../worker/continuation.js';

/** Raised when the service hands out a job the worker cannot even identify. */
export class MalformedJobError extends JobWorkerError {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedJobError';
  }
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseArtifacts(value: readonly SdkArtifact[] | undefined): Artifact[] {
  if (!Array.isArray(value)) return [];
  return value.map((artifact: SdkArtifact | undefined) => {
    const s3 = artifact?.location?.s3Location;
    return {
      name: text(artifact?.name) ?? '',
      revision: text(artifact?.revision),
      bucketName: text(s3?.bucketName),
      objectKey: text(s3?.objectKey),
    };
  });
}

function parseCredentials(
  value: SdkCredentials | undefined,
): Secret<ArtifactCredentials> | undefined {
  const accessKeyId = text(value?.accessKeyId);
  const secretAccessKey = text(value?.secretAccessKey);
  const sessionToken = text(value?.sessionToken);
  if (!accessKeyId || !secretAccessKey || !sessionToken) return undefined;
  return new Secret({ accessKeyId, secretAccessKey, sessionToken });
}

function parseConfiguration(
  value: Record<string, string> | undefined,
  secretKeys: ReadonlySet<string>,
) {
  const configuration: Record<string, string> = {};
  const secrets: Record<string, Secret<string>> = {};
  const entries = typeof value === 'object' && value !== null ? Object.entries(value) : [];
  for (const [key, entry] of entries) {
    if (typeof entry !== 'string') continue;
    if (secretKeys.has(key)) secrets[key] = new Secret(entry);
    else configuration[key] = entry;
  }
  return { configuration, secrets };
}

/**
 * Parses a job as `PollForJobs` hands it out into a {@link Job}.
 *
 * @param raw - a `Job` from PollForJobs, or `JobDetails` plus the nonce from the ledger
 * @param secretKeys - configuration properties whose values are secret
 * @param credentialsIssuedAt - epoch ms at which the call that handed out the job answered
 *   (its `credentialsIssuedAt`); omitted, the job carries none
 * @throws MalformedJobError when the id or nonce is missing
 */
export function parseJob(
  raw: SdkJob,
  secretKeys: ReadonlySet<string>,
  credentialsIssuedAt?: number,
): Job {
  const job: SdkJob = typeof raw === 'object' && raw !== null ? raw : {};
  const id = text(job.id);
  const nonce = text(job.nonce);
  if (!id || !nonce) throw new MalformedJobError('job without an id or a nonce');
  const data = job.data ?? {};
  const type = data.actionTypeId;
  const context = data.pipelineContext;
  const keyId = text(data.encryptionKey?.id);
  return {
    id,
    nonce,
    accountId: text(job.accountId) ?? '',
    actionTypeId: {
      owner: text(type?.owner) ?? '',
      category: text(type?.category) ?? '',
      provider: text(type?.provider) ?? '',
      version: text(type?.version) ?? '',
    },
    ...parseConfiguration(data.actionConfiguration?.configuration, secretKeys),
    pipelineContext: {
      pipelineName: text(context?.pipelineName),
      pipelineArn: text(context?.pipelineArn),
      pipelineExecutionId: text(context?.pipelineExecutionId),
      stageName: text(context?.stage?.name),
      actionName: text(context?.action?.name),
      actionExecutionId: text(context?.action?.actionExecutionId),
    },
    inputArtifacts: parseArtifacts(data.inputArtifacts),
    outputArtifacts: parseArtifacts(data.outputArtifacts),
    artifactCredentials: parseCredentials(data.artifactCredentials),
    ...(credentialsIssuedAt === undefined ? {} : { credentialsIssuedAt }),
    encryptionKey: keyId ? { id: keyId, type: text(data.encryptionKey?.type) ?? 'KMS' } : undefined,
    // The worker's envelope comes off here: the processor sees only its own token.
    ...unwrapToken(text(data.continuationToken)),
  };
}
