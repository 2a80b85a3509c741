import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import { fakeClock, processingContext, T0 } from '../../local/testing/index.js';
import { BAKE_TIME_PROPERTY, bakeTimeGate } from '../../samples/processors/bake-time-gate.js';
import { parsedJob } from '../helpers/jobs.js';

const SECOND = 1_000;

/** A job of the gate with this `BakeTimeSeconds` (undefined: not configured). */
function bakeJob(bakeTimeSeconds: string | undefined, continuationToken?: string) {
  return parsedJob({ configuration: { [BAKE_TIME_PROPERTY]: bakeTimeSeconds }, continuationToken });
}

/** Follows a promise so that a test can see whether it settled while fake time stood still. */
function track(promise: Promise<JobOutcome>) {
  const state: { settled: boolean; outcome?: JobOutcome } = { settled: false };
  void promise.then((outcome) => {
    state.settled = true;
    state.outcome = outcome;
  });
  return state;
}

/** The continuation token of a `continue` outcome. */
function tokenOf(outcome: JobOutcome): string {
  if (outcome.kind !== 'continue') throw new Error(`expected continue, got ${outcome.kind}`);
  return outcome.continuationToken;
}

describe('bakeTimeGate', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('is named bake-time-gate', () => {
    expect(bakeTimeGate().name).toBe('bake-time-gate');
  });

  describe('configuration', () => {
    it.each([
      ['missing', undefined, 'is required'],
      ['empty', '', 'is required'],
      ['blank', '   ', 'is required'],
      ['negative', '-5', 'must be a whole number of seconds from 0 to 86400'],
      ['fractional', '1.5', 'must be a whole number of seconds from 0 to 86400'],
      ['non-numeric', 'ten', 'must be a whole number of seconds from 0 to 86400'],
      ['in exponent notation', '1e3', 'must be a whole number of seconds from 0 to 86400'],
      ['hexadecimal', '0x1F', 'must be a whole number of seconds from 0 to 86400'],
      ['over a day', '86401', 'must be a whole number of seconds from 0 to 86400'],
      ['huge', '123456789012345678901234567', 'must be a whole number of seconds from 0 to 86400'],
    ])(
      'fails with ConfigurationError when BakeTimeSeconds is %s, without echoing the value',
      async (_label, value, problem) => {
        const context = processingContext();

        const outcome = await bakeTimeGate().process(bakeJob(value), context);

        expect(outcome).toEqual({
          kind: 'failure',
          failureType: 'ConfigurationError',
          message: `BakeTimeSeconds ${problem}`,
        });
        if (value?.trim()) {
          expect(outcome.kind === 'failure' && outcome.message).not.toContain(value.trim());
        }
      },
    );

    it('checks the configuration before the continuation token', async () => {
      const outcome = await bakeTimeGate().process(
        bakeJob('soon', 'not-a-token'),
        processingContext(),
      );

      expect(outcome.kind === 'failure' && outcome.failureType).toBe('ConfigurationError');
    });

    it('accepts a value with surrounding whitespace', async () => {
      const outcome = await bakeTimeGate().process(bakeJob(' 0 '), processingContext());

      expect(outcome.kind).toBe('success');
    });

    it('accepts the longest bake, a day', async () => {
      const outcome = await bakeTimeGate().process(bakeJob('86400'), processingContext());

      expect(outcome).toMatchObject({ kind: 'continue', percentComplete: 0 });
    });
  });

  it('succeeds at once for a bake of 0 s, with its output variables', async () => {
    const clock = fakeClock();

    const outcome = await bakeTimeGate().process(
      bakeJob('0'),
      processingContext({ now: clock.now }),
    );

    expect(outcome).toEqual({
      kind: 'success',
      summary: 'Baked for 0 s',
      outputVariables: { BakeTimeSeconds: '0', BakeStartedAt: '2025-01-15T10:00:00.000Z' },
    });
  });

  it('waits a short bake out inside the invocation, then succeeds', async () => {
    const context = processingContext();

    const run = track(bakeTimeGate().process(bakeJob('1'), context));
    await vi.advanceTimersByTimeAsync(999);
    const settledEarly = run.settled;
    await vi.advanceTimersByTimeAsync(1);

    expect(settledEarly).toBe(false);
    expect(run.settled).toBe(true);
    expect(run.outcome).toEqual({
      kind: 'success',
      summary: 'Baked for 1 s',
      outputVariables: { BakeTimeSeconds: '1', BakeStartedAt: new Date(T0).toISOString() },
    });
    expect(context.logs).toContainEqual({
      level: 'debug',
      message: 'baking inside this invocation',
      attributes: { waitMs: 1_000 },
    });
  });

  it('continues a long bake at once, with a token and its progress', async () => {
    const context = processingContext();

    const run = track(bakeTimeGate().process(bakeJob('3600'), context));
    await vi.advanceTimersByTimeAsync(0);

    expect(run.settled).toBe(true);
    expect(run.outcome).toMatchObject({
      kind: 'continue',
      continuationToken: expect.any(String),
      percentComplete: 0,
      summary: 'Baking: 3600 s of 3600 s left',
    });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('issues a token the API accepts (1-2048 characters)', async () => {
    const outcome = await bakeTimeGate().process(bakeJob('3600'), processingContext());

    const token = tokenOf(outcome);

    expect(token.length).toBeGreaterThanOrEqual(1);
    expect(token.length).toBeLessThanOrEqual(2048);
  });

  it('continues a bake longer than maxInlineWaitMs instead of waiting', async () => {
    const gate = bakeTimeGate({ maxInlineWaitMs: 2 * SECOND });

    const run = track(gate.process(bakeJob('5'), processingContext()));
    await vi.advanceTimersByTimeAsync(0);

    expect(run.outcome).toMatchObject({ kind: 'continue', summary: 'Baking: 5 s of 5 s left' });
  });

  it('continues instead of waiting past its deadline (less one second)', async () => {
    const context = processingContext({ deadline: Date.now() + 5_500 });

    const run = track(bakeTimeGate().process(bakeJob('5'), context));
    await vi.advanceTimersByTimeAsync(0);

    expect(run.outcome?.kind).toBe('continue');
  });

  it('waits when the bake ends a second before its deadline', async () => {
    const context = processingContext({ deadline: Date.now() + 6_000 });

    const run = track(bakeTimeGate().process(bakeJob('5'), context));
    await vi.advanceTimersByTimeAsync(5 * SECOND);

    expect(run.outcome?.kind).toBe('success');
  });

  it('resumes from its token, keeping the start time, and succeeds once the bake is over', async () => {
    const clock = fakeClock();
    const gate = bakeTimeGate();
    const first = await gate.process(bakeJob('3600'), processingContext({ now: clock.now }));

    clock.advance(1_800 * SECOND);
    const second = await gate.process(
      bakeJob('3600', tokenOf(first)),
      processingContext({ now: clock.now }),
    );
    clock.advance(1_800 * SECOND);
    const third = await gate.process(
      bakeJob('3600', tokenOf(second)),
      processingContext({ now: clock.now }),
    );

    expect(second).toMatchObject({
      kind: 'continue',
      percentComplete: 50,
      summary: 'Baking: 1800 s of 3600 s left',
    });
    expect(third).toEqual({
      kind: 'success',
      summary: 'Baked for 3600 s',
      outputVariables: { BakeTimeSeconds: '3600', BakeStartedAt: new Date(T0).toISOString() },
    });
  });

  it('waits out the last seconds of a resumed bake inside the invocation', async () => {
    const gate = bakeTimeGate();
    const first = await gate.process(bakeJob('60'), processingContext());
    vi.setSystemTime(T0 + 57 * SECOND);

    const run = track(gate.process(bakeJob('60', tokenOf(first)), processingContext()));
    await vi.advanceTimersByTimeAsync(3 * SECOND);

    expect(run.outcome).toMatchObject({
      kind: 'success',
      outputVariables: { BakeStartedAt: new Date(T0).toISOString() },
    });
  });

  it.each([
    ['not JSON', 'garbled-token'],
    ['empty', ''],
    ['JSON null', 'null'],
    ['a number', '1736935200000'],
    ['another version', '{"v":2,"startedAt":1736935200000}'],
    ['without a start', '{"v":1}'],
    ['with a text start', '{"v":1,"startedAt":"2025-01-15T10:00:00Z"}'],
    ['with a fractional start', '{"v":1,"startedAt":1736935200000.5}'],
    ['from another processor', '{"step":3,"deploymentId":"d-ABC123"}'],
  ])('fails with JobFailed on a token that is %s', async (_label, token) => {
    const outcome = await bakeTimeGate().process(bakeJob('60', token), processingContext());

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message: 'The continuation token was not issued by the bake-time gate',
    });
  });

  it('stops waiting when the signal is aborted, and continues', async () => {
    const context = processingContext();
    const run = track(bakeTimeGate().process(bakeJob('5'), context));
    await vi.advanceTimersByTimeAsync(2 * SECOND);

    context.abort();
    await vi.advanceTimersByTimeAsync(0);

    expect(run.settled).toBe(true);
    expect(run.outcome).toMatchObject({
      kind: 'continue',
      percentComplete: 40,
      summary: 'Baking: 3 s of 5 s left',
    });
    expect(vi.getTimerCount()).toBe(0);
  });
});
