/**
 * The job as the worker sees it (parsed once by the CodePipeline adapter), with artifact
 * credentials and secret configuration values wrapped in {@link Secret}.
 */
import type { Secret } from './secret.js';

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
  /**
   * Epoch ms, on the worker's clock, at which CodePipeline handed out `artifactCredentials`
   * (the PollForJobs or GetJobDetails that returned this job): their age is counted from it.
   */
  readonly credentialsIssuedAt?: number;
  readonly encryptionKey?: { readonly id: string; readonly type: string };
  /** The processor's own continuation token, when this job continues an earlier one. */
  readonly continuationToken?: string;
  /** The worker's record of the execution's continuations (read from the token it wrapped). */
  readonly continuation?: ContinuationState;
}

/** What the worker knows of an action execution's continuations, from its envelope. */
export interface ContinuationState {
  /** Continuations so far: the job carrying this state is the `count`-th. */
  readonly count: number;
  /** Epoch ms at which the execution's first job was processed; unknown for older tokens. */
  readonly startedAt?: number;
  /** The external execution id the processor gave, reported again unless it gives another. */
  readonly externalExecutionId?: string;
}
