/**
 * The worker's collaborators, as small interfaces named for their role. Adapters in
 * `adapters/` implement them with the AWS SDK; the worker never touches the SDK itself.
 */
import { JobWorkerError } from './errors.js';
import type { CancelReason } from './job/cancellation.js';
import type { Job } from './job/job.js';
import type { FailureReport, Report, SuccessReport } from './worker/report.js';

/** `AcknowledgeJob` statuses. */
export type JobStatus =
  | 'Created'
  | 'Queued'
  | 'Dispatched'
  | 'InProgress'
  | 'TimedOut'
  | 'Succeeded'
  | 'Failed';

/** What a caller may say about one service call. */
export interface CallOptions {
  /** Aborts the call (its SDK retries included) when it fires. */
  readonly signal?: AbortSignal;
}

/** CodePipeline's job-worker API. */
export interface JobService {
  /** `PollForJobs` for this worker's action type; jobs come back parsed and redacted. */
  poll(maxBatchSize: number): Promise<Job[]>;
  /** `AcknowledgeJob`; throws {@link JobRejectedError} for a stale nonce or a vanished job. */
  acknowledge(jobId: string, nonce: string): Promise<JobStatus>;
  /** `GetJobDetails`: the job's data again, with fresh credentials. */
  getJob(jobId: string, nonce: string): Promise<Job>;
  /**
   * `PutJobSuccessResult`; throws {@link JobRejectedError} when the job no longer takes
   * results, {@link JobServiceUnavailableError} when the same call may succeed later.
   */
  succeed(jobId: string, report: SuccessReport, options?: CallOptions): Promise<void>;
  /**
   * `PutJobFailureResult`; throws {@link JobRejectedError} when the job no longer takes
   * results, {@link JobServiceUnavailableError} when the same call may succeed later.
   */
  fail(jobId: string, report: FailureReport, options?: CallOptions): Promise<void>;
}

/** The service refused a job operation for a reason that retrying will not change. */
export class JobRejectedError extends JobWorkerError {
  readonly jobId: string;
  readonly reason: 'InvalidNonce' | 'JobNotFound' | 'InvalidJobState';

  constructor(jobId: string, reason: JobRejectedError['reason'], options?: ErrorOptions) {
    super(`CodePipeline rejected job ${jobId}: ${reason}`, options);
    this.name = 'JobRejectedError';
    this.jobId = jobId;
    this.reason = reason;
  }
}

/**
 * The service could not take a call now, after the SDK's own retries: it throttled the call,
 * answered with a server error, or did not answer in time. The same call may succeed later.
 */
export class JobServiceUnavailableError extends JobWorkerError {
  readonly jobId: string;
  /** Whether the service throttled the call: the caller should back off longer. */
  readonly throttled: boolean;

  constructor(jobId: string, throttled: boolean, reason: string, options?: ErrorOptions) {
    super(`CodePipeline could not take the call for job ${jobId} now: ${reason}`, options);
    this.name = 'JobServiceUnavailableError';
    this.jobId = jobId;
    this.throttled = throttled;
  }
}

/** A live claim on a job, held by this invocation. */
export interface Claim {
  readonly jobId: string;
  readonly nonce: string;
  /** Unique per claim: only its holder can complete or release it. */
  readonly token: string;
  /** How many claims (including this one) the job has had: the ledger's order of them. */
  readonly attempt: number;
  /**
   * How many of those claims (including this one) may have run the job's processor: every
   * claim but those given back unused (released before the job was acknowledged).
   */
  readonly tries: number;
  readonly leaseExpiresAt: number;
  /**
   * The report recorded when the job's processor returned under an earlier claim: the holder
   * sends it as it is and does not run the processor again.
   */
  readonly recorded?: Report;
}

export type ClaimResult =
  | { readonly kind: 'claimed'; readonly claim: Claim }
  /** This (jobId, nonce) was claimed before. */
  | { readonly kind: 'duplicate' }
  /** Another worker holds a live claim on the job. */
  | { readonly kind: 'held' }
  /** The job is already finished. */
  | { readonly kind: 'finished' };

/** How a claimed job ended. `abandoned`: the service no longer wanted a result. */
export type LedgerOutcome = 'succeeded' | 'failed' | 'continued' | 'abandoned';

export interface ClaimRequest {
  readonly jobId: string;
  readonly nonce: string;
  readonly actionExecutionId?: string;
  /** Epoch ms. */
  readonly now: number;
  readonly leaseExpiresAt: number;
}

/** A claim whose worker died: its job, and when its lease ended (epoch ms). */
export interface ExpiredClaim {
  readonly jobId: string;
  readonly leaseExpiresAt: number;
}

/** The nonce ledger: conditional writes that make sure a job is worked on once at a time. */
export interface NonceLedger {
  /** Claims (jobId, nonce), or says why not. */
  claim(request: ClaimRequest): Promise<ClaimResult>;
  /** Takes over a claim whose lease expired before `now`; undefined if another got it first. */
  takeOver(jobId: string, now: number, leaseExpiresAt: number): Promise<Claim | undefined>;
  /**
   * Records the report the claim's processor produced, before it is sent, so that whoever
   * holds the job next sends it instead of running the processor again; false if the claim
   * was lost meanwhile.
   */
  record(claim: Claim, report: Report, now: number, options?: CallOptions): Promise<boolean>;
  /** Records how the job ended; false if the claim was lost meanwhile. */
  complete(claim: Claim, outcome: LedgerOutcome, now: number): Promise<boolean>;
  /** Gives the claim up at once, so another dispatch of the job can be claimed. */
  release(claim: Claim, now: number): Promise<boolean>;
  /**
   * Claims whose lease expired before `now` without an outcome (their worker died), the
   * longest expired first.
   */
  findExpired(now: number, limit: number): Promise<ExpiredClaim[]>;
}

/**
 * What the ledger knows of one action execution that continued or was stopped (an item of its
 * own, keyed by the action execution id): the last continuation token the worker sent for it,
 * whether it was stopped, and whether the processor's `cancel` was called.
 */
export interface ExecutionRecord {
  readonly actionExecutionId: string;
  /** The last continue report's token as it was sent (the worker's envelope around it). */
  readonly continuationToken?: string;
  /** The job that sent it. */
  readonly jobId?: string;
  readonly pipelineName?: string;
  readonly pipelineExecutionId?: string;
  readonly stageName?: string;
  readonly actionName?: string;
  /** Set once the execution was stopped: why, and when it was noted (epoch ms). */
  readonly canceled?: { readonly reason: CancelReason; readonly at: number };
  /** Whether the right to call the processor's `cancel` was taken (it is taken once). */
  readonly cancelTaken: boolean;
  /** Whether a job of the execution reported a final result (success or failure). */
  readonly finished: boolean;
}

/** Where an action execution's continuation stands, as a job of it reports it. */
export interface ExecutionProgress {
  readonly actionExecutionId: string;
  readonly jobId: string;
  readonly pipelineName?: string;
  readonly pipelineExecutionId?: string;
  readonly stageName?: string;
  readonly actionName?: string;
}

/**
 * The action executions' side of the ledger: conditional writes on one item per action
 * execution, so that a stop is noted once, and the processor's `cancel` is called once.
 */
export interface ExecutionLedger {
  /**
   * Notes that a job of the execution continued with `continuationToken` (its report was
   * accepted). Returns the record after the write: `canceled` set when the execution was
   * stopped meanwhile.
   */
  continued(
    progress: ExecutionProgress,
    continuationToken: string,
    now: number,
  ): Promise<ExecutionRecord>;
  /** Notes that a job of the execution reported a final result: a later stop is not ours to act on. */
  finished(progress: ExecutionProgress, now: number): Promise<void>;
  /**
   * Notes that the execution was stopped (the first reason noted is kept). Returns the record
   * after the write.
   */
  canceled(
    actionExecutionId: string,
    reason: CancelReason,
    now: number,
    context?: Omit<ExecutionProgress, 'actionExecutionId' | 'jobId'>,
  ): Promise<ExecutionRecord>;
  /** Takes the one right to call the processor's `cancel` for the execution: true once. */
  takeCancel(actionExecutionId: string, now: number): Promise<boolean>;
  /** The execution's record; undefined when the ledger has none. */
  read(actionExecutionId: string): Promise<ExecutionRecord | undefined>;
}
