/**
 * The job processor: the pluggable part of the worker that does one job's work.
 */
import type { CancelContext, Cancellation } from './cancellation.js';
import type { JobLogger, SdkSettings } from './context.js';
import type { Job } from './job.js';
import type { JobOutcome } from './outcome.js';

export type { CancelContext, Cancellation, CancelReason } from './cancellation.js';
export type { JobLogger, SdkSettings } from './context.js';

export type { Job } from './job.js';
export type { FailureType, JobOutcome } from './outcome.js';

/**
 * Looks at the processor's outcome before it is reported, and may replace it (for example,
 * a success that did not write a declared output artifact becomes a failure).
 */
export type OutcomeCheck = (outcome: JobOutcome) => JobOutcome | Promise<JobOutcome>;

/** What the worker hands a processor with each job, besides the job itself. */
export interface ProcessingContext {
  /** Epoch ms by which `process` must have returned; past it the job is failed. */
  readonly deadline: number;
  /**
   * Aborted when the deadline passes, or when the action execution is stopped while the
   * processor runs: then its `reason` is a `JobCanceledError` that says why.
   */
  readonly signal: AbortSignal;
  /**
   * 1 for the job's first claim; more when earlier claims of the job ended without a recorded
   * report (their worker died after acknowledging the job): the processor may have run, in part
   * or in full, under one of them. Claims given back before the job was acknowledged (no free
   * slot, the invocation's stop time) are not counted: the processor never ran under them.
   */
  readonly attempt: number;
  readonly logger: JobLogger;
  /**
   * A directory of this job's own under the function's temporary storage. Nothing creates
   * it in advance (`mkdir` it with `recursive: true` before use); the worker removes it, with
   * everything in it, when the job ends, whatever the outcome.
   */
  readonly workDirectory: string;
  /** The worker's AWS SDK retry and timeout settings. */
  readonly sdk: SdkSettings;
  /** The worker's clock (epoch ms). */
  now(): number;
  /**
   * Reads the job again (`GetJobDetails`): the same job with fresh artifact credentials, for
   * work that outlives the ones it was handed. The new secret values are kept out of every
   * log line and message, as the first ones are.
   */
  refreshJob(): Promise<Job>;
  /** Registers a check that runs on the outcome after `process` returns, in order. */
  beforeReport(check: OutcomeCheck): void;
}

/**
 * Does one job's work and says how it ended. Throwing is allowed: the job is then failed
 * with the error's `failureType` when it is a {@link JobFailureError}, else with `JobFailed`,
 * and the error's message (with every secret value removed).
 *
 * Once `process` returns, its outcome is recorded before it is reported, and once recorded it
 * is never run again for the job: a worker that dies later leaves the recorded report to the
 * next. It runs again only if its worker stopped before the outcome was recorded (while it
 * ran, or while the record was written, or when the record failed and the report was not
 * accepted either): the claim's lease expires and a later invocation takes the job over, with
 * `attempt` one higher. Make side effects that cannot be repeated look for their own earlier
 * run when `attempt > 1`.
 *
 * @example
 * const hello: JobProcessor = {
 *   name: 'hello',
 *   async process(job) {
 *     return { kind: 'success', summary: `hello from ${job.pipelineContext.pipelineName}` };
 *   },
 * };
 */
export interface JobProcessor {
  readonly name: string;
  process(job: Job, context: ProcessingContext): Promise<JobOutcome>;
  /**
   * Stops the external work of an action execution that was stopped (abandoned, canceled,
   * timed out) while it waited for its next check or continuation: called once per action
   * execution, with the processor token of its last continue outcome. Put what stopping the
   * work needs (a build id, a deployment id) in that token. A `cancel` that throws is logged
   * and not called again.
   */
  cancel?(cancellation: Cancellation, context: CancelContext): Promise<void>;
}
