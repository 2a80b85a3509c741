/**
 * What a processor learns when the action execution it works for is stopped: while `process`
 * runs, its context's `signal` aborts with a {@link JobCanceledError}; between continuations
 * (the external work started, no job of the execution running), the processor's `cancel` hook
 * is called once with the last continuation token the worker recorded for the execution.
 */
import type { JobLogger, SdkSettings } from './context.js';

/**
 * Why an action execution's work should stop:
 * - `abandoned`: the pipeline execution was stopped with "Stop and abandon" (an ABANDONED
 *   action execution event);
 * - `canceled`: the action execution was canceled (a CANCELED event: the pipeline execution was
 *   superseded or stopped);
 * - `failed`: the action execution failed without this worker failing it (a FAILED event for an
 *   execution that was waiting for its next continuation: the action's timeout);
 * - `refused`: CodePipeline refused the job's report because the job is no longer in progress
 *   (`InvalidJobStateException`), or answered a status other than InProgress for it.
 */
export type CancelReason = 'abandoned' | 'canceled' | 'failed' | 'refused';

export const CANCEL_REASONS: readonly CancelReason[] = [
  'abandoned',
  'canceled',
  'failed',
  'refused',
] as const;

const JOB_CANCELED = Symbol.for('codepipeline-job-worker.JobCanceledError');

/**
 * The reason a processor's `signal` aborts when its action execution is stopped while it runs
 * (`context.signal.reason`). The job's report will be refused: return as soon as the work is
 * stopped, with `continueLater(token)` when there is external work that `cancel` should stop.
 */
export class JobCanceledError extends Error {
  readonly reason: CancelReason;

  constructor(reason: CancelReason, message?: string) {
    super(message ?? `The action execution was stopped (${reason})`);
    this.name = 'JobCanceledError';
    this.reason = reason;
    Object.defineProperty(this, JOB_CANCELED, { value: true });
  }

  /** Whether `error` is a JobCanceledError of any copy of this module. */
  static is(error: unknown): error is JobCanceledError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[JOB_CANCELED] === true
    );
  }
}

/** An action execution that was stopped while its external work may still run. */
export interface Cancellation {
  readonly reason: CancelReason;
  /**
   * The processor's own continuation token (without the worker's envelope) that the worker last
   * recorded for the execution: what the processor returned with its last continue outcome.
   */
  readonly continuationToken: string;
  /** The external execution id the processor last gave, if any. */
  readonly externalExecutionId?: string;
  readonly actionExecutionId: string;
  readonly pipelineName?: string;
  readonly pipelineExecutionId?: string;
  readonly stageName?: string;
  readonly actionName?: string;
}

/** What the worker hands a processor's `cancel` hook. */
export interface CancelContext {
  /** Epoch ms by which `cancel` must have returned. */
  readonly deadline: number;
  /** Aborted when the deadline passes. */
  readonly signal: AbortSignal;
  readonly logger: JobLogger;
  readonly sdk: SdkSettings;
  /** The worker's clock (epoch ms). */
  now(): number;
}
