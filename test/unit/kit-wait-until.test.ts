/**
 * waitUntil: start, then checks on a cadence that backs off, the state and the check count
 * carried in the token, the wait's time limit, and cancel given back the state; and
 * nextCheckAfter, the cadence as a pure function.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Cancellation } from '../../lambda/job/cancellation.js';
import { CHECK_AFTER_SECONDS } from '../../lambda/job/limits.js';
import {
  type ContinueOutcome,
  continueLater,
  failure,
  type JobOutcome,
  success,
} from '../../lambda/job/outcome.js';
import type { CancelContext, Job } from '../../lambda/job/processor.js';
import { stateCodec } from '../../lambda/kit/continuation-state.js';
import {
  type CheckResult,
  ContinuationStateError,
  continuationState,
  DEFAULT_CADENCE,
  nextCheckAfter,
  notYet,
  type WaitProgress,
  type WaitStop,
  type WaitUntilOptions,
  waitUntil,
} from '../../lambda/kit/index.js';
import { wrapToken } from '../../lambda/worker/continuation.js';
import {
  type FakeClock,
  fakeClock,
  jobFixture,
  processingContext,
  T0,
  type TestProcessingContext,
} from '../../local/testing/index.js';

describe('nextCheckAfter', () => {
  it('waits 15 s, then 1.5 times longer each check, up to 60 s, by default', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => nextCheckAfter(n))).toEqual([
      15, 23, 34, 51, 60, 60, 60, 60,
    ]);
    expect(DEFAULT_CADENCE).toEqual({ firstSeconds: 15, factor: 1.5, maxSeconds: 60 });
    expect(Object.isFrozen(DEFAULT_CADENCE)).toBe(true);
  });

  it('stays at its longest wait however many checks there were', () => {
    const cadence = { firstSeconds: 60, factor: 10, maxSeconds: CHECK_AFTER_SECONDS.max };

    expect([0, 1, 2, 1_000_000].map((n) => nextCheckAfter(n, cadence))).toEqual([
      60, 600, 900, 900,
    ]);
  });

  it('keeps a steady cadence with factor 1, at the shortest wait the worker takes', () => {
    const cadence = { firstSeconds: CHECK_AFTER_SECONDS.min, factor: 1, maxSeconds: 5 };

    expect([0, 1, 9].map((n) => nextCheckAfter(n, cadence))).toEqual([1, 1, 1]);
  });

  it('takes a negative, fractional or unknown count as the whole checks below it, from 0', () => {
    expect(nextCheckAfter(-3)).toBe(15);
    expect(nextCheckAfter(1.7)).toBe(23);
    expect(nextCheckAfter(Number.NaN)).toBe(15);
  });

  it.each([
    [
      { firstSeconds: 0.5, factor: 2, maxSeconds: 60 },
      'firstSeconds must be from 1 to 900, not 0.5',
    ],
    [{ firstSeconds: 15, factor: 0.9, maxSeconds: 60 }, 'factor must be a number from 1, not 0.9'],
    [
      { firstSeconds: 15, factor: Number.POSITIVE_INFINITY, maxSeconds: 60 },
      'factor must be a number from 1, not Infinity',
    ],
    [
      { firstSeconds: 15, factor: 2, maxSeconds: 901 },
      'maxSeconds must be from firstSeconds to 900, not 901',
    ],
    [
      { firstSeconds: 30, factor: 2, maxSeconds: 20 },
      'maxSeconds must be from firstSeconds to 900, not 20',
    ],
    [
      { firstSeconds: Number.NaN, factor: 2, maxSeconds: 60 },
      'firstSeconds must be from 1 to 900, not NaN',
    ],
  ])('refuses a cadence outside the waits the worker takes (case %#)', (cadence, problem) => {
    expect(() => nextCheckAfter(0, cadence)).toThrow(
      new RangeError(`The cadence is invalid: ${problem}`),
    );
  });
});

interface BuildState {
  readonly buildId: string;
  readonly phase: string;
}
const BuildStateV1 = continuationState<BuildState>({ version: 1 });

/** A build that answers `checks` in order, one per check, and records what each check saw. */
function buildWaiter(
  checks: readonly CheckResult<BuildState>[],
  extra: Partial<WaitUntilOptions<BuildState>> = {},
) {
  const seen: { state: BuildState; progress: WaitProgress; jobId: string }[] = [];
  const stopped: { state: BuildState; stop: WaitStop }[] = [];
  let started = 0;
  const answers = [...checks];
  const processor = waitUntil<BuildState>({
    name: 'build-waiter',
    state: BuildStateV1,
    async start() {
      started++;
      return notYet({ state: { buildId: 'b-1', phase: 'QUEUED' }, externalExecutionId: 'b-1' });
    },
    async check(state, job, _context, progress) {
      seen.push({ state, progress, jobId: job.id });
      const answer = answers.shift();
      if (answer === undefined) throw new Error('checked once too often');
      return answer;
    },
    async cancel(state, stop) {
      stopped.push({ state, stop });
    },
    ...extra,
  });
  return {
    processor,
    seen,
    stopped,
    get started() {
      return started;
    },
  };
}

/** The job that carries `outcome`'s token, as CodePipeline hands it over. */
function nextJob(outcome: JobOutcome, id: string): Job {
  expect(outcome.kind).toBe('continue');
  return jobFixture({ id, continuationToken: (outcome as ContinueOutcome).continuationToken });
}

describe('waitUntil', () => {
  let clock: FakeClock;
  let context: TestProcessingContext;

  beforeEach(() => {
    clock = fakeClock();
    context = processingContext({ now: clock.now });
  });

  afterEach(() => context.end());

  it('starts the work, then checks it on the cadence, carrying the state, until it ends', async () => {
    const waiter = buildWaiter([
      notYet({
        state: { buildId: 'b-1', phase: 'BUILD' },
        summary: 'Build b-1: BUILD',
        percentComplete: 40,
      }),
      notYet(),
      success({ summary: 'Build b-1 succeeded', externalExecutionId: 'b-1' }),
    ]);
    const first = jobFixture({ id: 'job-1' });

    const afterStart = await waiter.processor.process(first, context);
    clock.advance(15_000);
    const afterCheck1 = await waiter.processor.process(nextJob(afterStart, 'job-2'), context);
    clock.advance(23_000);
    const afterCheck2 = await waiter.processor.process(nextJob(afterCheck1, 'job-3'), context);
    clock.advance(34_000);
    const done = await waiter.processor.process(nextJob(afterCheck2, 'job-4'), context);

    expect(waiter.started).toBe(1);
    expect(afterStart).toMatchObject({
      kind: 'continue',
      checkAfterSeconds: 15,
      externalExecutionId: 'b-1',
    });
    expect(afterCheck1).toMatchObject({
      kind: 'continue',
      checkAfterSeconds: 23,
      summary: 'Build b-1: BUILD',
      percentComplete: 40,
    });
    expect(afterCheck2).toEqual({
      kind: 'continue',
      continuationToken: expect.any(String),
      checkAfterSeconds: 34,
    });
    expect(waiter.seen).toEqual([
      {
        state: { buildId: 'b-1', phase: 'QUEUED' },
        progress: { check: 1, startedAt: T0 },
        jobId: 'job-2',
      },
      {
        state: { buildId: 'b-1', phase: 'BUILD' },
        progress: { check: 2, startedAt: T0 },
        jobId: 'job-3',
      },
      // notYet() without a state keeps the one it checked.
      {
        state: { buildId: 'b-1', phase: 'BUILD' },
        progress: { check: 3, startedAt: T0 },
        jobId: 'job-4',
      },
    ]);
    expect(done).toEqual({
      kind: 'success',
      summary: 'Build b-1 succeeded',
      externalExecutionId: 'b-1',
    });
  });

  it('keeps the check count beside the state in the token, which the state definition still reads', async () => {
    const waiter = buildWaiter([notYet()]);

    const afterStart = (await waiter.processor.process(jobFixture(), context)) as ContinueOutcome;
    const afterCheck = (await waiter.processor.process(
      nextJob(afterStart, 'job-2'),
      context,
    )) as ContinueOutcome;

    expect(stateCodec(BuildStateV1).decode(afterStart.continuationToken).extra).toEqual({
      w: { n: 0, t: T0 },
    });
    expect(stateCodec(BuildStateV1).decode(afterCheck.continuationToken).extra).toEqual({
      w: { n: 1, t: T0 },
    });
    expect(BuildStateV1.decode(afterCheck.continuationToken)).toEqual({
      buildId: 'b-1',
      phase: 'QUEUED',
    });
  });

  it('follows the cadence it is given', async () => {
    const waiter = buildWaiter([notYet(), notYet()], {
      cadence: { firstSeconds: 5, factor: 2, maxSeconds: 8 },
    });

    const afterStart = await waiter.processor.process(jobFixture(), context);
    const afterCheck1 = await waiter.processor.process(nextJob(afterStart, 'job-2'), context);
    const afterCheck2 = await waiter.processor.process(nextJob(afterCheck1, 'job-3'), context);

    expect(
      [afterStart, afterCheck1, afterCheck2].map((o) => (o as ContinueOutcome).checkAfterSeconds),
    ).toEqual([5, 8, 8]);
  });

  it('gives the worker an outcome it accepts after the first check', async () => {
    const waiter = buildWaiter([notYet({ summary: 'still building' })]);

    const afterStart = await waiter.processor.process(jobFixture(), context);
    const afterCheck = (await waiter.processor.process(
      nextJob(afterStart, 'job-2'),
      context,
    )) as ContinueOutcome;

    expect(afterCheck.checkAfterSeconds).toBe(23);
    await expect(context.checked(afterCheck)).resolves.toEqual(afterCheck);
  });

  it('reports a failure the check returns as it is', async () => {
    const waiter = buildWaiter([
      failure('JobFailed', 'Build b-1 ended FAILED', { externalExecutionId: 'b-1' }),
    ]);

    const afterStart = await waiter.processor.process(jobFixture(), context);
    const outcome = await waiter.processor.process(nextJob(afterStart, 'job-2'), context);

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message: 'Build b-1 ended FAILED',
      externalExecutionId: 'b-1',
    });
  });

  it('ends at once when start has nothing to wait for', async () => {
    const processor = waitUntil<BuildState>({
      name: 'build-waiter',
      state: BuildStateV1,
      start: async () => success({ summary: 'nothing to build' }),
      check: async () => {
        throw new Error('no check without a start');
      },
    });

    await expect(processor.process(jobFixture(), context)).resolves.toEqual({
      kind: 'success',
      summary: 'nothing to build',
    });
  });

  it('refuses a start that says not yet without a state', async () => {
    const processor = waitUntil<BuildState>({
      name: 'build-waiter',
      state: BuildStateV1,
      start: async () => notYet() as never,
      check: async () => notYet(),
    });

    await expect(processor.process(jobFixture(), context)).rejects.toThrow(
      new TypeError(
        'build-waiter: start returned notYet() without a state: give the state the checks need, notYet({ state })',
      ),
    );
  });

  it('refuses a continue outcome from check, which would lose the wait', async () => {
    const waiter = buildWaiter([continueLater('raw') as never]);

    const afterStart = await waiter.processor.process(jobFixture(), context);

    await expect(waiter.processor.process(nextJob(afterStart, 'job-2'), context)).rejects.toThrow(
      new TypeError(
        'build-waiter: check returned a continue outcome; return notYet(...) to wait, so that the wait keeps its state and cadence',
      ),
    );
  });

  it('refuses a continue outcome from start too', async () => {
    const processor = waitUntil<BuildState>({
      name: 'build-waiter',
      state: BuildStateV1,
      start: async () => continueLater('raw') as never,
      check: async () => notYet(),
    });

    await expect(processor.process(jobFixture(), context)).rejects.toThrow(
      /start returned a continue outcome/,
    );
  });

  it('fails a job whose token is not a state, without checking', async () => {
    const waiter = buildWaiter([notYet()]);

    await expect(
      waiter.processor.process(jobFixture({ continuationToken: '{"buildId":"b-1"}' }), context),
    ).rejects.toThrow(ContinuationStateError);
    expect(waiter.seen).toEqual([]);
  });

  it('takes a state token without the wait fields as check 1 of a wait that started with the execution', async () => {
    const waiter = buildWaiter([notYet()]);
    const token = BuildStateV1.encode({ buildId: 'b-9', phase: 'BUILD' });
    const job = jobFixture({
      continuationToken: wrapToken({ count: 3, startedAt: T0 - 60_000 }, token),
    });

    const outcome = await waiter.processor.process(job, context);

    expect(waiter.seen[0]?.progress).toEqual({ check: 1, startedAt: T0 - 60_000 });
    expect(
      stateCodec(BuildStateV1).decode((outcome as ContinueOutcome).continuationToken).extra,
    ).toEqual({
      w: { n: 1, t: T0 - 60_000 },
    });
  });

  it.each([
    ['a count', { n: 'seven', t: T0 - 5_000 }],
    ['a start time', { n: 2, t: 1.5 }],
    ['no object', 7],
  ])('takes wait fields with %s that is no whole number as none', async (_, fields) => {
    const waiter = buildWaiter([notYet()]);
    const token = stateCodec(BuildStateV1).encode(
      { buildId: 'b-9', phase: 'BUILD' },
      { w: fields },
    );

    await waiter.processor.process(jobFixture({ continuationToken: token }), context);

    expect(waiter.seen[0]?.progress).toEqual({ check: 1, startedAt: clock.now() });
  });

  it('counts a wait without the wait fields or the worker start time from now', async () => {
    const waiter = buildWaiter([notYet()]);
    const job = jobFixture({
      continuationToken: BuildStateV1.encode({ buildId: 'b-9', phase: 'BUILD' }),
    });

    await waiter.processor.process(job, context);

    expect(waiter.seen[0]?.progress).toEqual({ check: 1, startedAt: clock.now() });
  });

  it.each([0, -5, Number.NaN])('refuses maxWaitSeconds %s', (maxWaitSeconds) => {
    expect(() => buildWaiter([], { maxWaitSeconds })).toThrow(
      new RangeError(`maxWaitSeconds must be a number above 0, not ${maxWaitSeconds}`),
    );
  });

  it('refuses an invalid cadence when the processor is built', () => {
    expect(() =>
      buildWaiter([], { cadence: { firstSeconds: 15, factor: 2, maxSeconds: 1000 } }),
    ).toThrow(RangeError);
  });

  it('refuses a state that no continuationState made', () => {
    expect(() => buildWaiter([], { state: { ...BuildStateV1 } })).toThrow(TypeError);
  });
});

describe('waitUntil: the time limit', () => {
  let clock: FakeClock;
  let context: TestProcessingContext;

  beforeEach(() => {
    clock = fakeClock();
    context = processingContext({ now: clock.now });
  });

  afterEach(() => context.end());

  /** The job of the first check of a wait `waiter` started at T0. */
  async function waitedJob(waiter: ReturnType<typeof buildWaiter>): Promise<Job> {
    const startContext = processingContext({ now: fakeClock().now });
    const afterStart = await waiter.processor.process(jobFixture(), startContext);
    await startContext.end();
    return nextJob(afterStart, 'job-2');
  }

  it('stops the work with cancel and fails the job once a check past the limit says not yet', async () => {
    const waiter = buildWaiter([notYet({ state: { buildId: 'b-1', phase: 'POST_BUILD' } })], {
      maxWaitSeconds: 3_600,
    });
    const job = await waitedJob(waiter);
    clock.advance(T0 + 3_600_000 - clock.now());

    const outcome = await waiter.processor.process(job, context);

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message:
        "build-waiter: the work was not done after 1 h, past the wait's limit of 1 h (maxWaitSeconds); cancel was called to stop its work",
    });
    expect(waiter.stopped).toEqual([
      {
        state: { buildId: 'b-1', phase: 'POST_BUILD' },
        stop: expect.objectContaining({
          reason: 'timed-out',
          actionExecutionId: job.pipelineContext.actionExecutionId,
        }),
      },
    ]);
    expect(BuildStateV1.read(waiter.stopped[0]?.stop as WaitStop)).toEqual({
      buildId: 'b-1',
      phase: 'POST_BUILD',
    });
  });

  it('keeps waiting a second before the limit', async () => {
    const waiter = buildWaiter([notYet()], { maxWaitSeconds: 3_600 });
    const job = await waitedJob(waiter);
    clock.advance(T0 + 3_599_000 - clock.now());

    const outcome = await waiter.processor.process(job, context);

    expect(outcome.kind).toBe('continue');
    expect(waiter.stopped).toEqual([]);
  });

  it('reports the end a check finds after the limit', async () => {
    const waiter = buildWaiter([success({ summary: 'done late' })], { maxWaitSeconds: 60 });
    const job = await waitedJob(waiter);
    clock.advance(T0 + 7_200_000 - clock.now());

    await expect(waiter.processor.process(job, context)).resolves.toEqual({
      kind: 'success',
      summary: 'done late',
    });
    expect(waiter.stopped).toEqual([]);
  });

  it('still fails the job when cancel fails, saying so, and logs why', async () => {
    const waiter = buildWaiter([notYet({ externalExecutionId: 'b-1' })], {
      maxWaitSeconds: 90,
      cancel: async () => {
        throw new Error('StopBuild refused');
      },
    });
    const job = await waitedJob(waiter);
    clock.advance(T0 + 150_000 - clock.now());

    const outcome = await waiter.processor.process(job, context);

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message:
        "build-waiter: the work was not done after 2 min 30 s, past the wait's limit of 1 min 30 s (maxWaitSeconds); cancel failed to stop its work (see the log)",
      externalExecutionId: 'b-1',
    });
    expect(context.logs).toContainEqual({
      level: 'error',
      message: 'cancel failed after the wait timed out',
      attributes: { error: 'StopBuild refused' },
    });
  });

  it('fails with the external execution id the worker carried, when the check gives none', async () => {
    const waiter = buildWaiter([notYet()], { maxWaitSeconds: 60, cancel: undefined });
    const token = stateCodec(BuildStateV1).encode(
      { buildId: 'b-1', phase: 'BUILD' },
      { w: { n: 4, t: T0 } },
    );
    const job = jobFixture({
      continuationToken: wrapToken({ count: 2, startedAt: T0, externalExecutionId: 'b-1' }, token),
    });
    clock.advance(120_000);

    const outcome = await waiter.processor.process(job, context);

    expect(outcome).toMatchObject({ kind: 'failure', externalExecutionId: 'b-1' });
  });

  it('fails without a cancel to call, saying nothing of one', async () => {
    const waiter = buildWaiter([notYet()], { maxWaitSeconds: 60, cancel: undefined });
    const job = await waitedJob(waiter);
    clock.advance(T0 + 61_000 - clock.now());

    const outcome = await waiter.processor.process(job, context);

    expect(outcome).toMatchObject({
      kind: 'failure',
      message:
        "build-waiter: the work was not done after 1 min 1 s, past the wait's limit of 1 min (maxWaitSeconds)",
    });
  });
});

describe('waitUntil: cancel', () => {
  const cancelContext: CancelContext = {
    deadline: T0 + 10_000,
    signal: new AbortController().signal,
    logger: processingContext().logger,
    sdk: { maxAttempts: 1, requestTimeoutMs: 1_000 },
    now: () => T0,
  };

  it('gives the cancel hook the state of the last check, decoded, with the cancellation', async () => {
    const waiter = buildWaiter([notYet({ state: { buildId: 'b-1', phase: 'BUILD' } })]);
    const context = processingContext();
    const afterStart = await waiter.processor.process(jobFixture(), context);
    const afterCheck = (await waiter.processor.process(
      nextJob(afterStart, 'job-2'),
      context,
    )) as ContinueOutcome;
    const cancellation: Cancellation = {
      reason: 'abandoned',
      continuationToken: afterCheck.continuationToken,
      actionExecutionId: 'a1b2c3d4',
      externalExecutionId: 'b-1',
    };

    await waiter.processor.cancel?.(cancellation, cancelContext);

    expect(waiter.stopped).toEqual([
      { state: { buildId: 'b-1', phase: 'BUILD' }, stop: cancellation },
    ]);
    await context.end();
  });

  it('fails a cancellation whose token is not a state, without calling the hook', async () => {
    const waiter = buildWaiter([]);

    await expect(
      waiter.processor.cancel?.(
        { reason: 'canceled', continuationToken: 'b-1', actionExecutionId: 'a1b2c3d4' },
        cancelContext,
      ),
    ).rejects.toThrow(ContinuationStateError);
    expect(waiter.stopped).toEqual([]);
  });

  it('has no cancel hook when none is given, so that the worker calls none', () => {
    const processor = waitUntil<BuildState>({
      name: 'build-waiter',
      state: BuildStateV1,
      start: async () => notYet({ state: { buildId: 'b', phase: 'Q' } }),
      check: async () => notYet(),
    });

    expect(processor.cancel).toBeUndefined();
    expect(processor.name).toBe('build-waiter');
  });
});
