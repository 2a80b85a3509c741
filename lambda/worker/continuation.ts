/**
 * Continuation tracking without a database write: the worker wraps the processor's
 * continuation token in an envelope of its own that counts the action execution's
 * continuations, remembers when its first job ran, and carries the external execution id the
 * processor gave (so that every log line of the later jobs carries it). CodePipeline hands the
 * envelope back in the next job; the adapter unwraps it, and the processor sees only its own
 * token. A token without the envelope (written by an earlier version of the worker) is the
 * processor's own, and its execution is counted from the job that carries it.
 */

import { CONTINUATION_LIMIT_METRIC } from '../contract.js';
import type { ContinuationState, Job } from '../job/job.js';
import { LIMITS, PROCESSOR_TOKEN_LIMIT } from '../job/limits.js';
import type { JobOutcome } from '../job/outcome.js';
import type { MetricsSink } from './counters.js';
import type { WorkerLogger } from './logging.js';
import { checkOutcome, InvalidOutcomeError } from './outcome-check.js';

const PREFIX = 'cpjw1:';
const ENVELOPE = /^cpjw1:(\d{1,6}):(\d{1,15}):(\d{1,4}):/;
/**
 * The longest envelope without an external execution id: prefix, count, time, length. It is
 * what `TOKEN_ENVELOPE_RESERVE` (lambda/job/limits.ts) keeps of the API's limit.
 */
export const ENVELOPE_MAX = PREFIX.length + 6 + 1 + 15 + 1 + 4 + 1;

export { PROCESSOR_TOKEN_LIMIT };

/**
 * Splits a job's continuation token into the worker's state and the processor's token.
 *
 * @param token - `data.continuationToken` as CodePipeline handed it out
 */
export function unwrapToken(token: string | undefined): {
  continuationToken?: string;
  continuation?: ContinuationState;
} {
  if (token === undefined) return {};
  const match = ENVELOPE.exec(token);
  const idLength = Number(match?.[3]);
  if (!match || token.length < match[0].length + idLength) {
    return { continuationToken: token, continuation: { count: 1 } };
  }
  const idEnd = match[0].length + idLength;
  const id = token.slice(match[0].length, idEnd);
  return {
    continuationToken: token.slice(idEnd),
    continuation: {
      count: Number(match[1]),
      startedAt: Number(match[2]),
      ...(id ? { externalExecutionId: id } : {}),
    },
  };
}

/**
 * The envelope around a processor's token; the external execution id is left out when the
 * token would not fit with it.
 *
 * @param state - the execution's state after this continuation
 * @param processorToken - what the processor returned, at most {@link PROCESSOR_TOKEN_LIMIT}
 */
export function wrapToken(
  state: Required<Omit<ContinuationState, 'externalExecutionId'>> & ContinuationState,
  processorToken: string,
): string {
  const withId = state.externalExecutionId ?? '';
  const head = (id: string) => `${PREFIX}${state.count}:${state.startedAt}:${id.length}:${id}`;
  const full = `${head(withId)}${processorToken}`;
  return full.length <= LIMITS.continuationToken ? full : `${head('')}${processorToken}`;
}

/** The limits a {@link ContinuationTracker} holds an execution to. */
export interface ContinuationLimits {
  /** Continuations an execution may have; one more fails the job instead. */
  readonly maxContinuations: number;
  /** How long after its first job an execution may still continue (ms). */
  readonly maxAgeMs: number;
}

/**
 * Puts the worker's envelope around continue outcomes, and fails an execution that would
 * continue past a limit with a message saying which (counted as `ContinuationLimitsReached`).
 *
 * The worker calls it on the outcome as it is reported: after every check the processor
 * registered and after secret values are removed from the processor's parts, so that the
 * envelope is built last and nothing rewrites it (a secret value that happens to match digits
 * of the start time, or the envelope's head, cannot change the count).
 */
export class ContinuationTracker {
  readonly #limits: ContinuationLimits;
  readonly #metrics: MetricsSink;

  /**
   * @param limits - how often and how long an execution may continue
   * @param metrics - where a reached limit is counted
   */
  constructor(limits: ContinuationLimits, metrics: MetricsSink) {
    this.#limits = limits;
    this.#metrics = metrics;
  }

  /**
   * The outcome to report: a continue outcome with its token wrapped, or a failure when a
   * limit is reached; any other outcome as it is.
   *
   * @param outcome - the processor's outcome, checked and without secret values
   * @param job - the job it answers (its continuation state came with its token)
   * @param times - when the processor started on this job, and now (epoch ms)
   * @param log - the job's logger
   */
  envelope(
    outcome: JobOutcome,
    job: Job,
    times: { readonly started: number; readonly now: number },
    log: WorkerLogger,
  ): JobOutcome {
    if (typeof outcome !== 'object' || outcome === null || outcome.kind !== 'continue') {
      return outcome;
    }
    const limits = this.#limits;
    const state = job.continuation;
    const count = (state?.count ?? 0) + 1;
    const startedAt = state?.startedAt ?? times.started;
    const ageMs = times.now - startedAt;
    const executionId = outcome.externalExecutionId || state?.externalExecutionId;
    const limit =
      count > limits.maxContinuations
        ? `it would be continuation ${count}, and MAX_CONTINUATIONS is ${limits.maxContinuations}`
        : ageMs >= limits.maxAgeMs
          ? `its first job ran ${Math.floor(ageMs / 60_000)} minutes ago, and MAX_CONTINUATION_MINUTES is ${limits.maxAgeMs / 60_000}`
          : undefined;
    if (limit) {
      this.#metrics.addMetric(CONTINUATION_LIMIT_METRIC, 'Count', 1);
      log.error('continuation limit reached; the job is failed', { count, ageMs });
      return {
        kind: 'failure',
        failureType: 'JobFailed',
        message: `The job processor asked to continue, but ${limit}`,
        ...(executionId ? { externalExecutionId: executionId } : {}),
      };
    }
    const token = outcome.continuationToken;
    try {
      // Checked already when the worker runs it; the envelope must never hold a longer token.
      checkOutcome(outcome);
    } catch (error) {
      if (!(error instanceof InvalidOutcomeError)) throw error;
      return {
        kind: 'failure',
        failureType: 'JobFailed',
        message: error.message,
        ...(executionId ? { externalExecutionId: executionId } : {}),
      };
    }
    if (typeof token !== 'string' || token === '') return outcome;
    return {
      ...outcome,
      continuationToken: wrapToken(
        { count, startedAt, ...(executionId ? { externalExecutionId: executionId } : {}) },
        token,
      ),
      ...(executionId ? { externalExecutionId: executionId } : {}),
    };
  }
}
