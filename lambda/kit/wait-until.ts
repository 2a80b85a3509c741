/**
 * A processor that starts external work and waits for it: `start` once, then `check` on a
 * cadence that backs off (15 s, then longer, up to a minute by default), each wait asked of the
 * worker as `checkAfterSeconds` so that it checks again within the invocation when it has the
 * time, else in a continuation. The processor's typed state and the wait's own count travel in
 * the continuation token; `cancel` reads the state back when the pipeline stops the execution.
 */
import type { CancelContext, Cancellation, CancelReason } from '../job/cancellation.js';
import type { Job } from '../job/job.js';
import { CHECK_AFTER_SECONDS } from '../job/limits.js';
import type {
  ContinueOutcome,
  FailureOutcome,
  JobOutcome,
  SuccessOutcome,
} from '../job/outcome.js';
import { failure } from '../job/outcome.js';
import type { JobProcessor, ProcessingContext } from '../job/processor.js';
import {
  type ContinuationStateDefinition,
  type ContinueDetails,
  stateCodec,
} from './continuation-state.js';

/** How long to wait between checks: `firstSeconds`, then each wait `factor` times the last. */
export interface Cadence {
  /** The wait before the first check, in seconds. */
  readonly firstSeconds: number;
  /** How much longer each wait is than the one before (1 for a steady cadence). */
  readonly factor: number;
  /** The longest wait, in seconds. */
  readonly maxSeconds: number;
}

/**
 * The cadence unless one is given: 15 s before the first check, each wait 1.5 times the one
 * before (15, 23, 34, 51 s), then every 60 s.
 */
export const DEFAULT_CADENCE: Cadence = Object.freeze({
  firstSeconds: 15,
  factor: 1.5,
  maxSeconds: 60,
});

function cadenceProblems(cadence: Cadence): string[] {
  const { min, max } = CHECK_AFTER_SECONDS;
  const seconds = (value: number) => Number.isFinite(value) && value >= min && value <= max;
  const problems: string[] = [];
  if (!seconds(cadence.firstSeconds)) {
    problems.push(`firstSeconds must be from ${min} to ${max}, not ${cadence.firstSeconds}`);
  }
  if (!(Number.isFinite(cadence.factor) && cadence.factor >= 1)) {
    problems.push(`factor must be a number from 1, not ${cadence.factor}`);
  }
  if (!seconds(cadence.maxSeconds) || cadence.maxSeconds < cadence.firstSeconds) {
    problems.push(`maxSeconds must be from firstSeconds to ${max}, not ${cadence.maxSeconds}`);
  }
  return problems;
}

function checkCadence(cadence: Cadence): void {
  const problems = cadenceProblems(cadence);
  if (problems.length > 0) throw new RangeError(`The cadence is invalid: ${problems.join('; ')}`);
}

/**
 * How many seconds to wait before the next check, after `checksDone` checks (0 after `start`):
 * `firstSeconds` times `factor` to the power `checksDone`, at most `maxSeconds`, in whole
 * seconds: always a `checkAfterSeconds` the worker accepts, 1 to 900
 * ({@link CHECK_AFTER_SECONDS}.max), since the cadence must lie within those bounds.
 *
 * @param checksDone - the checks so far that said "not yet" (a negative or fractional count is
 *   taken as the whole number of checks below it, from 0)
 * @param cadence - @default {@link DEFAULT_CADENCE}
 * @throws RangeError for a cadence outside those bounds
 * @example
 * [0, 1, 2, 3, 4, 5].map((n) => nextCheckAfter(n)); // [15, 23, 34, 51, 60, 60]
 */
export function nextCheckAfter(checksDone: number, cadence: Cadence = DEFAULT_CADENCE): number {
  checkCadence(cadence);
  const done = Number.isFinite(checksDone) ? Math.max(0, Math.floor(checksDone)) : 0;
  return Math.round(Math.min(cadence.firstSeconds * cadence.factor ** done, cadence.maxSeconds));
}

/** What `start` or `check` says when the work is not done yet. */
export interface NotYet<S> {
  readonly kind: 'not-yet';
  /** The state to carry to the next check; the one checked is carried when it is absent. */
  readonly state?: S;
  readonly summary?: string;
  readonly percentComplete?: number;
  readonly externalExecutionId?: string;
}

/** The details of {@link notYet}. */
export type NotYetDetails<S> = Omit<NotYet<S>, 'kind'>;

/**
 * The work is not done yet: check again after the cadence's next wait.
 *
 * @param details - the state to carry (required from `start`), summary, percentComplete,
 *   externalExecutionId
 * @example
 * return notYet({ summary: `Build ${state.buildId}: ${build.currentPhase}` });
 */
export function notYet<S>(details: NotYetDetails<S> & { readonly state: S }): NotYet<S> & {
  readonly state: S;
};
export function notYet(details?: NotYetDetails<never>): NotYet<never>;
export function notYet<S>(details: NotYetDetails<S> = {}): NotYet<S> {
  return { kind: 'not-yet', ...details };
}

/** Where the wait stands, for `check`. */
export interface WaitProgress {
  /** This check's number: 1 for the first check after `start`. */
  readonly check: number;
  /** Epoch ms at which `start` ran (as far as the token tells). */
  readonly startedAt: number;
}

/** Why a wait's external work should stop: the execution was stopped, or the wait timed out. */
export type WaitStopReason = CancelReason | 'timed-out';

/** What `cancel` learns of a stop: the worker's {@link Cancellation}, or the wait's timeout. */
export interface WaitStop extends Omit<Cancellation, 'reason' | 'actionExecutionId'> {
  readonly reason: WaitStopReason;
  readonly actionExecutionId?: string;
}

/** The work's end, or not yet. */
export type CheckResult<S> = NotYet<S> | SuccessOutcome | FailureOutcome;

/** What {@link waitUntil} builds a processor from. */
export interface WaitUntilOptions<S> {
  /** The processor's name. */
  readonly name: string;
  /** The state carried from `start` to every check: a {@link ContinuationStateDefinition}. */
  readonly state: ContinuationStateDefinition<S>;
  /**
   * Starts the external work, in the execution's first job: `notYet({ state })` with what
   * the checks need, or a success or failure when there is nothing to wait for.
   */
  start(
    job: Job,
    context: ProcessingContext,
  ): Promise<(NotYet<S> & { readonly state: S }) | SuccessOutcome | FailureOutcome>;
  /**
   * Looks at the external work once: a success or failure when it has ended, else
   * `notYet(...)` (with a new state, or none to keep this one).
   */
  check(
    state: S,
    job: Job,
    context: ProcessingContext,
    progress: WaitProgress,
  ): Promise<CheckResult<S>>;
  /**
   * Stops the external work: called by the worker, with the state of the last check, when the
   * pipeline stops the execution while it waits; and by the wait itself when `maxWaitSeconds`
   * passes (reason `timed-out`), before the job fails.
   */
  cancel?(state: S, stop: WaitStop, context: CancelContext): Promise<void>;
  /** How long to wait between checks. @default {@link DEFAULT_CADENCE} */
  readonly cadence?: Cadence;
  /**
   * How long after `start` a check that says "not yet" fails the job instead (after `cancel`).
   * @default no limit but the worker's own on continuations
   */
  readonly maxWaitSeconds?: number;
}

/** The wait's own fields in the token, beside the state. */
interface WaitFields {
  /** Checks done that said not yet. */
  readonly n: number;
  /** Epoch ms at which `start` ran. */
  readonly t: number;
}

function waitFields(extra: Readonly<Record<string, unknown>>): WaitFields | undefined {
  const fields = extra.w as Partial<WaitFields> | undefined;
  return typeof fields === 'object' &&
    fields !== null &&
    Number.isSafeInteger(fields.n) &&
    Number.isSafeInteger(fields.t)
    ? (fields as WaitFields)
    : undefined;
}

function isNotYet<S>(result: unknown): result is NotYet<S> {
  return (result as { kind?: unknown } | null | undefined)?.kind === 'not-yet';
}

function continueDetails(result: NotYet<unknown>, checkAfterSeconds: number): ContinueDetails {
  return {
    checkAfterSeconds,
    ...(result.summary === undefined ? {} : { summary: result.summary }),
    ...(result.percentComplete === undefined ? {} : { percentComplete: result.percentComplete }),
    ...(result.externalExecutionId === undefined
      ? {}
      : { externalExecutionId: result.externalExecutionId }),
  };
}

/** `1 h 5 min`, `2 min 30 s`, `45 s`. */
function duration(seconds: number): string {
  const whole = Math.round(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = whole % 60;
  const parts = [
    hours ? `${hours} h` : '',
    minutes ? `${minutes} min` : '',
    rest ? `${rest} s` : '',
  ];
  return parts.filter(Boolean).join(' ') || '0 s';
}

/**
 * A processor that starts external work and checks it until it ends: `start` in the action
 * execution's first job, then `check` after each wait of the cadence (15 s, 23 s, 34 s, 51 s,
 * then every 60 s by default), each wait asked of the worker as `checkAfterSeconds` (so that it
 * checks again within the invocation when it has the time, else in a continuation). The state
 * `start` gives (and each `check` may replace) travels in the continuation token with the count
 * of checks; `cancel` gets it back when the pipeline stops the execution.
 *
 * @param options - name, state definition, start, check, cancel, cadence, maxWaitSeconds
 * @throws RangeError for an invalid cadence or maxWaitSeconds
 * @example
 * import { continuationState, notYet, waitUntil } from 'codepipeline-job-worker/kit';
 *
 * const BuildState = continuationState<{ buildId: string }>({ version: 1 });
 *
 * export const processor = waitUntil({
 *   name: 'codebuild-runner',
 *   state: BuildState,
 *   async start(job, context) {
 *     const buildId = await startBuild(job, context);
 *     return notYet({ state: { buildId }, externalExecutionId: buildId });
 *   },
 *   async check({ buildId }, job, context) {
 *     const build = await getBuild(buildId, context);
 *     if (build.status === 'SUCCEEDED') return success({ summary: `Build ${buildId} succeeded` });
 *     if (build.status !== 'IN_PROGRESS') return failure('JobFailed', `Build ${buildId} ${build.status}`);
 *     return notYet({ summary: `Build ${buildId}: ${build.phase}` });
 *   },
 *   async cancel({ buildId }, stop, context) {
 *     await stopBuild(buildId, context);
 *   },
 * });
 */
export function waitUntil<S>(options: WaitUntilOptions<S>): JobProcessor {
  const cadence = options.cadence ?? DEFAULT_CADENCE;
  checkCadence(cadence);
  const { maxWaitSeconds } = options;
  if (maxWaitSeconds !== undefined && !(Number.isFinite(maxWaitSeconds) && maxWaitSeconds > 0)) {
    throw new RangeError(`maxWaitSeconds must be a number above 0, not ${maxWaitSeconds}`);
  }
  const codec = stateCodec(options.state);

  const waiting = (state: S, fields: WaitFields, result: NotYet<unknown>): ContinueOutcome => ({
    kind: 'continue',
    continuationToken: codec.encode(state, { w: fields }),
    ...continueDetails(result, nextCheckAfter(fields.n, cadence)),
  });

  const timedOut = async (
    state: S,
    fields: WaitFields,
    job: Job,
    context: ProcessingContext,
    result: NotYet<unknown>,
  ): Promise<FailureOutcome> => {
    const waited = (context.now() - fields.t) / 1000;
    const externalExecutionId = result.externalExecutionId ?? job.continuation?.externalExecutionId;
    let stopped = '';
    if (options.cancel !== undefined) {
      const { pipelineName, pipelineExecutionId, stageName, actionName, actionExecutionId } =
        job.pipelineContext;
      const stop: WaitStop = {
        reason: 'timed-out',
        continuationToken: codec.encode(state, { w: fields }),
        ...(externalExecutionId === undefined ? {} : { externalExecutionId }),
        ...(actionExecutionId === undefined ? {} : { actionExecutionId }),
        ...(pipelineName === undefined ? {} : { pipelineName }),
        ...(pipelineExecutionId === undefined ? {} : { pipelineExecutionId }),
        ...(stageName === undefined ? {} : { stageName }),
        ...(actionName === undefined ? {} : { actionName }),
      };
      try {
        await options.cancel(state, stop, context);
        stopped = '; cancel was called to stop its work';
      } catch (error) {
        context.logger.error('cancel failed after the wait timed out', {
          error: (error as Error)?.message,
        });
        stopped = '; cancel failed to stop its work (see the log)';
      }
    }
    return failure(
      'JobFailed',
      `${options.name}: the work was not done after ${duration(waited)}, past the wait's limit of ${duration(maxWaitSeconds ?? 0)} (maxWaitSeconds)${stopped}`,
      externalExecutionId === undefined ? {} : { externalExecutionId },
    );
  };

  const ended = (result: unknown, step: 'start' | 'check'): JobOutcome => {
    if ((result as { kind?: unknown } | null | undefined)?.kind === 'continue') {
      throw new TypeError(
        `${options.name}: ${step} returned a continue outcome; return notYet(...) to wait, so that the wait keeps its state and cadence`,
      );
    }
    // Anything else is the worker's to check (and to refuse with its message).
    return result as JobOutcome;
  };

  const processor: JobProcessor = {
    name: options.name,
    async process(job, context) {
      if (job.continuationToken === undefined) {
        const result = await options.start(job, context);
        if (!isNotYet<S>(result)) return ended(result, 'start');
        if (!('state' in result) || result.state === undefined) {
          throw new TypeError(
            `${options.name}: start returned notYet() without a state: give the state the checks need, notYet({ state })`,
          );
        }
        return waiting(result.state, { n: 0, t: context.now() }, result);
      }
      const decoded = codec.decode(job.continuationToken);
      const fields = waitFields(decoded.extra) ?? {
        n: 0,
        t: job.continuation?.startedAt ?? context.now(),
      };
      const result = await options.check(decoded.value, job, context, {
        check: fields.n + 1,
        startedAt: fields.t,
      });
      if (!isNotYet<S>(result)) return ended(result, 'check');
      const state = result.state === undefined ? decoded.value : result.state;
      const waited = (context.now() - fields.t) / 1000;
      if (maxWaitSeconds !== undefined && waited >= maxWaitSeconds) {
        return timedOut(state, { n: fields.n + 1, t: fields.t }, job, context, result);
      }
      return waiting(state, { n: fields.n + 1, t: fields.t }, result);
    },
  };
  const { cancel } = options;
  if (cancel !== undefined) {
    processor.cancel = async (cancellation, context) => {
      const { value } = codec.decode(cancellation.continuationToken);
      await cancel(value, cancellation, context);
    };
  }
  return processor;
}
