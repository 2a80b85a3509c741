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
import type { JobProcessor, ProcessingContext } from '../processors/job-processor.js';
import type { MetricsSink } from './counters.js';
import type { Job } from './job.js';
import { type JobOutcome, LIMITS } from './outcome.js';

/** What the worker knows of an action execution's continuations, from its envelope. */
export interface ContinuationState {
  /** Continuations so far: the job carrying this state is the `count`-th. */
  readonly count: number;
  /** Epoch ms at which the execution's first job was processed; unknown for older tokens. */
  readonly startedAt?: number;
  /** The external execution id the processor gave, reported again unless it gives another. */
  readonly externalExecutionId?: string;
}

const PREFIX = 'cpjw1:';
const ENVELOPE = /^cpjw1:(\d{1,6}):(\d{1,15}):(\d{1,4}):/;
/** The longest envelope without an external execution id: prefix, count, time, length. */
const ENVELOPE_MAX = PREFIX.length + 6 + 1 + 15 + 1 + 4 + 1;

/**
 * The longest continuation token a processor may return: the API's limit less the
 * worker's envelope.
 */
export const PROCESSOR_TOKEN_LIMIT = LIMITS.continuationToken - ENVELOPE_MAX;

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

/** Options of {@link trackContinuations}. */
export interface ContinuationLimits {
  /** Continuations an execution may have; one more fails the job instead. */
  readonly maxContinuations: number;
  /** How long after its first job an execution may still continue (ms). */
  readonly maxAgeMs: number;
}

/**
 * Wraps a processor so that its continue outcomes carry the worker's envelope, and an
 * execution that would continue past a limit is failed with a message saying which (counted as
 * `ContinuationLimitsReached`). The wrapping runs after every check the processor registered,
 * on the outcome that is reported.
 *
 * @param processor - the processor to wrap
 * @param limits - how often and how long an execution may continue
 * @param metrics - where a reached limit is counted
 */
export function trackContinuations(
  processor: JobProcessor,
  limits: ContinuationLimits,
  metrics: MetricsSink,
): JobProcessor {
  return {
    name: processor.name,
    async process(job: Job, context: ProcessingContext): Promise<JobOutcome> {
      const firstRun = context.now();
      const outcome = await processor.process(job, context);
      context.beforeReport((final) =>
        final.kind === 'continue'
          ? envelope(final, job, firstRun, context, limits, metrics)
          : final,
      );
      return outcome;
    },
  };
}

function envelope(
  outcome: Extract<JobOutcome, { kind: 'continue' }>,
  job: Job,
  firstRun: number,
  context: ProcessingContext,
  limits: ContinuationLimits,
  metrics: MetricsSink,
): JobOutcome {
  const state = job.continuation;
  const count = (state?.count ?? 0) + 1;
  const startedAt = state?.startedAt ?? firstRun;
  const ageMs = context.now() - startedAt;
  const executionId = outcome.externalExecutionId || state?.externalExecutionId;
  const limit =
    count > limits.maxContinuations
      ? `it would be continuation ${count}, and MAX_CONTINUATIONS is ${limits.maxContinuations}`
      : ageMs >= limits.maxAgeMs
        ? `its first job ran ${Math.floor(ageMs / 60_000)} minutes ago, and MAX_CONTINUATION_MINUTES is ${limits.maxAgeMs / 60_000}`
        : undefined;
  if (limit) {
    metrics.addMetric(CONTINUATION_LIMIT_METRIC, 'Count', 1);
    context.logger.error('continuation limit reached; the job is failed', { count, ageMs });
    return {
      kind: 'failure',
      failureType: 'JobFailed',
      message: `The job processor asked to continue, but ${limit}`,
      ...(executionId ? { externalExecutionId: executionId } : {}),
    };
  }
  const token = outcome.continuationToken;
  if (typeof token === 'string' && token.length > PROCESSOR_TOKEN_LIMIT) {
    return {
      kind: 'failure',
      failureType: 'JobFailed',
      message: `The job processor returned an invalid result: continuationToken is ${token.length} characters; the limit is ${PROCESSOR_TOKEN_LIMIT} (the API's ${LIMITS.continuationToken} less the worker's own ${LIMITS.continuationToken - PROCESSOR_TOKEN_LIMIT})`,
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
