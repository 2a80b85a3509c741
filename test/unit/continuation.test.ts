import { describe, expect, it } from 'vitest';
import { TOKEN_ENVELOPE_RESERVE } from '../../lambda/job/limits.js';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import {
  ContinuationTracker,
  ENVELOPE_MAX,
  PROCESSOR_TOKEN_LIMIT,
  unwrapToken,
  wrapToken,
} from '../../lambda/worker/continuation.js';
import { LIMITS } from '../../lambda/worker/report.js';
import { T0 } from '../../local/testing/index.js';
import { parsedJob } from '../helpers/jobs.js';
import { RecordingMetrics } from '../helpers/telemetry.js';
import { type LogRecord, recordingLogger } from '../helpers/worker-harness.js';

const MINUTE = 60_000;
const LIMITS_OF = { maxContinuations: 3, maxAgeMs: 60 * MINUTE };

/** The outcome as the worker reports it for a job carrying `token`, processed at `now`. */
function run(outcome: JobOutcome, token?: string, now = T0) {
  const metrics = new RecordingMetrics();
  const logs: LogRecord[] = [];
  const job = parsedJob(token === undefined ? {} : { continuationToken: token });
  const reported = new ContinuationTracker(LIMITS_OF, metrics).envelope(
    outcome,
    job,
    { started: now, now },
    recordingLogger(logs),
  );
  return { job, reported, metrics, logs };
}

const proceed = (token = 'step-2', externalExecutionId?: string): JobOutcome => ({
  kind: 'continue',
  continuationToken: token,
  ...(externalExecutionId ? { externalExecutionId } : {}),
});

describe('the continuation envelope', () => {
  it('gives the processor back exactly its own token, with the count, start and id', () => {
    const token = wrapToken({ count: 4, startedAt: T0, externalExecutionId: 'build-9' }, 'a:b:c');

    expect(unwrapToken(token)).toEqual({
      continuationToken: 'a:b:c',
      continuation: { count: 4, startedAt: T0, externalExecutionId: 'build-9' },
    });
  });

  it('reads a token of an earlier version as the processor own, its first continuation', () => {
    expect(unwrapToken('{"v":1,"startedAt":5}')).toEqual({
      continuationToken: '{"v":1,"startedAt":5}',
      continuation: { count: 1 },
    });
  });

  it('reads a token whose declared id runs past its end as the processor own', () => {
    expect(unwrapToken('cpjw1:2:5:40:short')).toEqual({
      continuationToken: 'cpjw1:2:5:40:short',
      continuation: { count: 1 },
    });
  });

  it('keeps a processor token of the documented limit within the API limit', () => {
    const longest = wrapToken(
      { count: 100_000, startedAt: 8.64e15 },
      'x'.repeat(PROCESSOR_TOKEN_LIMIT),
    );

    expect(longest.length).toBeLessThanOrEqual(LIMITS.continuationToken);
  });

  it('drops the external execution id rather than the token when both do not fit', () => {
    const token = wrapToken(
      { count: 1, startedAt: T0, externalExecutionId: 'i'.repeat(200) },
      't'.repeat(PROCESSOR_TOKEN_LIMIT),
    );

    expect(token.length).toBeLessThanOrEqual(LIMITS.continuationToken);
    expect(unwrapToken(token).continuation?.externalExecutionId).toBeUndefined();
    expect(unwrapToken(token).continuationToken).toBe('t'.repeat(PROCESSOR_TOKEN_LIMIT));
  });
});

describe('ContinuationTracker', () => {
  it('counts from the first job and keeps its start time and the processor id', () => {
    const first = run(proceed('s1', 'build-9'), undefined, T0);
    const firstToken = (first.reported as { continuationToken: string }).continuationToken;
    const second = run(proceed('s2'), firstToken, T0 + 5 * MINUTE);

    expect(unwrapToken(firstToken).continuation).toEqual({
      count: 1,
      startedAt: T0,
      externalExecutionId: 'build-9',
    });
    const secondToken = (second.reported as { continuationToken: string }).continuationToken;
    expect(second.job.continuationToken).toBe('s1');
    expect(unwrapToken(secondToken)).toEqual({
      continuationToken: 's2',
      continuation: { count: 2, startedAt: T0, externalExecutionId: 'build-9' },
    });
    // Reported with the processor's id, although this job's processor gave none.
    expect(second.reported).toMatchObject({ externalExecutionId: 'build-9' });
  });

  it('fails the job, counted, when it would continue more often than allowed', () => {
    const third = wrapToken({ count: 3, startedAt: T0 }, 's3');

    const { reported, metrics } = run(proceed('s4'), third, T0 + MINUTE);

    expect(reported).toMatchObject({
      kind: 'failure',
      failureType: 'JobFailed',
      message: expect.stringMatching(/continuation 4, and MAX_CONTINUATIONS is 3/),
    });
    expect(metrics.total('ContinuationLimitsReached')).toBe(1);
  });

  it('fails the job, counted, when its execution started longer ago than allowed', () => {
    const token = wrapToken({ count: 1, startedAt: T0 }, 's1');

    const { reported, metrics } = run(proceed('s2'), token, T0 + 61 * MINUTE);

    expect(reported).toMatchObject({
      kind: 'failure',
      message: expect.stringMatching(/61 minutes ago, and MAX_CONTINUATION_MINUTES is 60/),
    });
    expect(metrics.total('ContinuationLimitsReached')).toBe(1);
  });

  it('lets an execution continue up to both limits, uncounted', () => {
    const token = wrapToken({ count: 2, startedAt: T0 }, 's2');

    const { reported, metrics } = run(proceed('s3'), token, T0 + 59 * MINUTE);

    expect(reported.kind).toBe('continue');
    expect(metrics.values.size).toBe(0);
  });

  it('counts an earlier version token from the job that carries it', () => {
    const { reported } = run(proceed('next'), 'legacy-token', T0);

    const token = (reported as { continuationToken: string }).continuationToken;
    expect(unwrapToken(token).continuation).toEqual({ count: 2, startedAt: T0 });
  });

  it('fails a processor token longer than the envelope leaves, naming both limits', () => {
    const { reported } = run(proceed('x'.repeat(PROCESSOR_TOKEN_LIMIT + 1)));

    expect(reported).toMatchObject({
      kind: 'failure',
      message: `The job processor returned an invalid result: continuationToken is ${PROCESSOR_TOKEN_LIMIT + 1} characters, 1 over the limit of ${PROCESSOR_TOKEN_LIMIT} (CodePipeline's ${LIMITS.continuationToken} less the ${LIMITS.continuationToken - PROCESSOR_TOKEN_LIMIT} the worker keeps for its own state)`,
    });
  });

  it('leaves success and failure outcomes as they are', () => {
    const done: JobOutcome = { kind: 'success', summary: 'done' };

    expect(run(done, wrapToken({ count: 3, startedAt: T0 }, 's')).reported).toEqual(done);
  });
});

describe('the token the worker keeps for itself', () => {
  it('is the envelope at its longest, as the processor contract states it', () => {
    expect(TOKEN_ENVELOPE_RESERVE).toBe(ENVELOPE_MAX);
    expect(PROCESSOR_TOKEN_LIMIT).toBe(LIMITS.continuationToken - ENVELOPE_MAX);
  });

  it('fits the longest processor token in the API limit with the largest count and time', () => {
    const token = wrapToken(
      { count: 999_999, startedAt: 999_999_999_999_999 },
      't'.repeat(PROCESSOR_TOKEN_LIMIT),
    );

    expect(token.length).toBeLessThanOrEqual(LIMITS.continuationToken);
    expect(unwrapToken(token).continuationToken).toBe('t'.repeat(PROCESSOR_TOKEN_LIMIT));
  });
});
