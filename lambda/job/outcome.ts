/**
 * What a job processor returns: the outcome vocabulary, and the error a processor throws to
 * fail its job with a failure type of its choosing. The worker checks every outcome before it
 * reports it (`checkOutcome`): one CodePipeline would refuse fails the job with a message that
 * says what is wrong, and `processingContext().checked()` gives a unit test the same message.
 */
import type { CHECK_AFTER_SECONDS, PROCESSOR_TOKEN_LIMIT } from './limits.js';

export const FAILURE_TYPES = [
  'JobFailed',
  'ConfigurationError',
  'PermissionError',
  'RevisionOutOfSync',
  'RevisionUnavailable',
  'SystemUnavailable',
] as const;
/** How CodePipeline classifies a failed job. */
export type FailureType = (typeof FAILURE_TYPES)[number];

const JOB_FAILURE = Symbol.for('codepipeline-job-worker.JobFailureError');

/**
 * Thrown by a processor (or a helper it uses) to fail the job with a given failure type and
 * message, instead of the `JobFailed` any other error gives.
 *
 * @example
 * throw new JobFailureError('PermissionError', 'The artifact store refused the job credentials');
 */
export class JobFailureError extends Error {
  readonly failureType: FailureType;

  constructor(failureType: FailureType, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'JobFailureError';
    this.failureType = failureType;
    // Recognised across copies of this module (a processor may bundle its own).
    Object.defineProperty(this, JOB_FAILURE, { value: true });
  }

  /** Whether `error` is a JobFailureError of any copy of this module. */
  static is(error: unknown): error is JobFailureError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[JOB_FAILURE] === true &&
      FAILURE_TYPES.includes((error as JobFailureError).failureType)
    );
  }
}

/** The revision a source-like action reports with its success (`currentRevision`). */
export interface CurrentRevision {
  readonly revision: string;
  readonly changeIdentifier: string;
  readonly created?: Date;
  readonly revisionSummary?: string;
}

/** The job is done and succeeded. */
export interface SuccessOutcome {
  readonly kind: 'success';
  readonly summary?: string;
  readonly externalExecutionId?: string;
  readonly outputVariables?: Readonly<Record<string, string>>;
  readonly currentRevision?: CurrentRevision;
}

/**
 * The job needs more time: CodePipeline creates a new job that carries the token (at most
 * 2,014 characters: {@link PROCESSOR_TOKEN_LIMIT}).
 */
export interface ContinueOutcome {
  readonly kind: 'continue';
  readonly continuationToken: string;
  readonly percentComplete?: number;
  readonly summary?: string;
  readonly externalExecutionId?: string;
  /**
   * Check the job again after this many seconds (1 to 900: {@link CHECK_AFTER_SECONDS}.max). When
   * the invocation still has that time (and the processor's time) left, the worker runs the
   * processor again on the same job after the wait, with this token, holding no concurrency
   * slot while it waits and making no CodePipeline call; otherwise the job continues as a
   * continuation (a new job, at the next invocation). Without it, the job always continues as
   * a continuation.
   */
  readonly checkAfterSeconds?: number;
}

/** The job failed. */
export interface FailureOutcome {
  readonly kind: 'failure';
  readonly failureType: FailureType;
  readonly message: string;
  readonly externalExecutionId?: string;
}

/** How a processor says a job ended: {@link success}, {@link continueLater} or {@link failure}. */
export type JobOutcome = SuccessOutcome | ContinueOutcome | FailureOutcome;

/**
 * A success outcome.
 *
 * @param details - summary, external execution id, output variables, current revision
 * @example
 * return success({ summary: 'Deployed to prod', outputVariables: { Version: '42' } });
 */
export function success(details: Omit<SuccessOutcome, 'kind'> = {}): SuccessOutcome {
  return { kind: 'success', ...details };
}

/**
 * A failure outcome.
 *
 * @param failureType - `JobFailed`, `ConfigurationError`, `PermissionError`, ...
 * @param message - what went wrong, for the pipeline's console (no secret values)
 * @param details - the external execution id
 * @example
 * return failure('ConfigurationError', 'Severity must be one of low, high');
 */
export function failure(
  failureType: FailureType,
  message: string,
  details: Omit<FailureOutcome, 'kind' | 'failureType' | 'message'> = {},
): FailureOutcome {
  return { kind: 'failure', failureType, message, ...details };
}

/**
 * A continue outcome: the job needs more time, and CodePipeline hands `continuationToken` to a
 * new job of this action once this one is reported.
 *
 * @param continuationToken - what the next job needs to resume: 1 to 2,014 characters
 * ({@link PROCESSOR_TOKEN_LIMIT}, CodePipeline's 2,048 of `LIMITS.continuationToken` less the
 * 34 of `TOKEN_ENVELOPE_RESERVE` the worker keeps for its own state); a longer one fails the job
 * @param details - progress (`percentComplete`, 0 to 100), summary, external execution id, and
 * `checkAfterSeconds` (1 to 900: {@link CHECK_AFTER_SECONDS}.max) to be checked again within the
 * invocation when it has the time
 * @example
 * return continueLater(JSON.stringify({ buildId }), { percentComplete: 40, checkAfterSeconds: 15 });
 */
export function continueLater(
  continuationToken: string,
  details: Omit<ContinueOutcome, 'kind' | 'continuationToken'> = {},
): ContinueOutcome {
  return { kind: 'continue', continuationToken, ...details };
}
