/**
 * The job as the worker sees it (parsed once by the CodePipeline adapter), with artifact
 * credentials and secret configuration values wrapped in {@link Secret}.
 */
import type { ContinuationState } from './continuation.js';
import { MIN_SECRET_LENGTH, type Secret } from './secrets.js';

/** The custom action type a job belongs to (owner `Custom`). */
export interface JobActionTypeId {
  readonly owner: string;
  readonly category: string;
  readonly provider: string;
  readonly version: string;
}

/** Where the job comes from: the pipeline, its execution, the stage and the action. */
export interface PipelineContext {
  readonly pipelineName?: string;
  readonly pipelineArn?: string;
  readonly pipelineExecutionId?: string;
  readonly stageName?: string;
  readonly actionName?: string;
  readonly actionExecutionId?: string;
}

/** An input or output artifact of the job, and where it lies in the artifact store (S3). */
export interface Artifact {
  readonly name: string;
  readonly revision?: string;
  readonly bucketName?: string;
  readonly objectKey?: string;
}

/** Temporary credentials CodePipeline hands the job for its artifact store, wrapped in `Secret`. */
export interface ArtifactCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** A job, parsed and redacted. The same object flows through claim, processor and report. */
export interface Job {
  readonly id: string;
  readonly nonce: string;
  readonly accountId: string;
  readonly actionTypeId: JobActionTypeId;
  /** Configuration properties that are not secret. */
  readonly configuration: Readonly<Record<string, string>>;
  /** Configuration properties declared secret, wrapped. */
  readonly secrets: Readonly<Record<string, Secret<string>>>;
  readonly pipelineContext: PipelineContext;
  readonly inputArtifacts: readonly Artifact[];
  readonly outputArtifacts: readonly Artifact[];
  readonly artifactCredentials?: Secret<ArtifactCredentials>;
  readonly encryptionKey?: { readonly id: string; readonly type: string };
  /** The processor's own continuation token, when this job continues an earlier one. */
  readonly continuationToken?: string;
  /** The worker's record of the execution's continuations (read from the token it wrapped). */
  readonly continuation?: ContinuationState;
}

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
