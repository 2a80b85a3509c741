/**
 * What the worker reads off a job: the secret values it must keep out of every line, the
 * secret properties too short to keep out, and the keys every log line about it carries.
 */
import type { Job } from '../job/job.js';
import { MIN_SECRET_LENGTH } from '../job/secret.js';

/** Every secret value the job carries, for the scrubber. */
export function secretValues(job: Job): string[] {
  const values = Object.values(job.secrets).map((secret) => secret.reveal());
  const creds = job.artifactCredentials?.reveal();
  if (creds) values.push(creds.accessKeyId, creds.secretAccessKey, creds.sessionToken);
  return values;
}

/**
 * The secret configuration properties whose value is shorter than {@link MIN_SECRET_LENGTH}
 * (an empty value holds nothing to leak, and is allowed): such a job is refused.
 */
export function tooShortSecrets(job: Job): string[] {
  return Object.entries(job.secrets)
    .filter(([, secret]) => {
      const length = secret.reveal().length;
      return length > 0 && length < MIN_SECRET_LENGTH;
    })
    .map(([name]) => name);
}

/**
 * The external execution id the job is reported with unless its processor gives another: the
 * one an earlier job of the execution reported, else the pipeline's action execution id
 * (stable across continuations), else the job id.
 */
export function reportedExecutionId(job: Job): string {
  return job.continuation?.externalExecutionId ?? job.pipelineContext.actionExecutionId ?? job.id;
}

/**
 * The keys every log line about this job carries. `externalExecutionId` is the id the job is
 * reported with, which the action's Details link searches the logs for.
 */
export function jobLogKeys(job: Job): {
  jobId: string;
  actionExecutionId?: string;
  externalExecutionId: string;
} {
  return {
    jobId: job.id,
    actionExecutionId: job.pipelineContext.actionExecutionId,
    externalExecutionId: reportedExecutionId(job),
  };
}
