/**
 * runLocally with scheduled stops: each chain's execution is stopped (or its action timed out)
 * at the planned moment, the report says so, and the stop events reach the handler as
 * EventBridge would send them (here to a handler that records them; test/integration/
 * cancellation-local.test.ts runs them through the worker).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ActionExecutionEvent } from '../../local/emulator/index.js';
import { runLocally, runReport } from '../../local/testing/index.js';

const ENTRY = 'test/integration/fixtures/stop-events-handler.ts';
const ACTION_TYPE = {
  category: 'Build',
  provider: 'LongSteps',
  configurationProperties: [
    { name: 'Steps', required: false },
    { name: 'SlowAt', required: false },
    { name: 'Mode', required: false },
  ],
} as const;
const holder = globalThis as { stopEventsSeen?: ActionExecutionEvent[] };
const base = { entry: ENTRY, actionType: ACTION_TYPE, duplicateRate: 0, tickMs: 100 } as const;

describe('runLocally with scheduled stops', () => {
  afterEach(() => {
    holder.stopEventsSeen = undefined;
  });

  it('stops each chain as planned, reports how, and delivers every stop event of the action type', async () => {
    const result = await runLocally({
      ...base,
      jobs: [
        {
          name: 'waiting',
          configuration: { Steps: '5' },
          stop: { afterContinuations: 2, while: 'waiting', mode: 'abandon' },
          expect: { outcome: 'stopped' },
        },
        {
          name: 'running',
          configuration: { Steps: '1', SlowAt: '0' },
          stop: { afterContinuations: 0, while: 'running', mode: 'supersede' },
          expect: { outcome: 'stopped' },
        },
        {
          name: 'timeout',
          configuration: { Steps: '3', SlowAt: '1' },
          stop: { afterContinuations: 1, while: 'running', mode: 'timeout', delayMs: 200 },
          expect: { outcome: 'stopped' },
        },
        { name: 'broken', configuration: { Mode: 'broken' }, expect: { outcome: 'failure' } },
      ],
    });

    expect(result.problems).toEqual([]);
    const [waiting, running, timedOut, broken] = result.jobs;
    expect(waiting).toMatchObject({
      outcome: 'Failed',
      endedBy: 'abandoned',
      jobs: 3,
      results: 2,
      stopped: { mode: 'abandon', while: 'waiting', afterContinuations: 2 },
    });
    // The abandoned continuation was never handed out.
    expect(waiting?.nonces).toBe(2);
    expect(running).toMatchObject({ outcome: 'Failed', endedBy: 'canceled', jobs: 1 });
    expect(timedOut).toMatchObject({ outcome: 'TimedOut', endedBy: 'timed-out', jobs: 2 });
    expect(waiting?.stopped?.at).toEqual(expect.any(String));
    const seen = holder.stopEventsSeen ?? [];
    expect(seen.map((event) => event.detail.state).sort()).toEqual([
      'ABANDONED',
      'CANCELED',
      'FAILED',
      'FAILED',
    ]);
    expect(new Set(seen.map((event) => event.detail['action-execution-id'])).size).toBe(4);
    for (const event of seen) {
      expect(event).toMatchObject({
        version: '0',
        source: 'aws.codepipeline',
        'detail-type': 'CodePipeline Action Execution State Change',
        detail: {
          pipeline: 'emulator',
          stage: 'Build',
          action: 'LongSteps',
          type: { owner: 'Custom', category: 'Build', provider: 'LongSteps', version: '1' },
        },
      });
    }
    expect(result.stopEvents).toEqual({ delivered: 4, failed: 0 });
    expect(broken?.outcome).toBe('Failed');
    const report = runReport(result);
    expect(report).toContain('Failed (abandoned)');
    expect(report).toContain('TimedOut (timed-out)');
    expect(report).toContain('4 of them stop events (0 failed)');
  }, 90_000);

  it('counts a failed invocation for each stop event the handler refuses', async () => {
    const result = await runLocally({
      ...base,
      env: { STOP_EVENTS: 'throw' },
      jobs: [
        {
          configuration: { Steps: '2' },
          stop: { afterContinuations: 1, while: 'waiting', mode: 'supersede' },
        },
      ],
    });

    expect(result.stopEvents).toEqual({ delivered: 1, failed: 1 });
    expect(result.totals.failedInvocations).toBe(1);
    expect(result.invocationErrors).toEqual(['stop event refused']);
  }, 90_000);

  it('lets the chain run to its end after a stop without abandon, and delivers stop events unless told not to', async () => {
    const stopped = await runLocally({
      ...base,
      jobs: [
        {
          configuration: { Steps: '2' },
          stop: { afterContinuations: 1, while: 'waiting', mode: 'stop' },
          expect: { outcome: 'stopped' },
        },
      ],
    });
    const broken = [{ configuration: { Mode: 'broken' }, expect: { outcome: 'failure' } }] as const;
    const plain = await runLocally({ ...base, jobs: [...broken] });
    const seen = holder.stopEventsSeen?.map((event) => event.detail.state);
    holder.stopEventsSeen = undefined;
    const silent = await runLocally({ ...base, jobs: [...broken], deliverStopEvents: false });

    expect(stopped.ok).toBe(true);
    expect(stopped.jobs[0]).toMatchObject({ outcome: 'Succeeded', jobs: 3, continuations: 2 });
    expect(stopped.jobs[0]?.endedBy).toBeUndefined();
    expect(stopped.stopEvents.delivered).toBe(0);
    // A job that fails ends its action execution FAILED: the function gets that event too, as
    // the construct's stop event rule sends it in AWS.
    expect(plain.ok).toBe(true);
    expect(plain.stopEvents).toEqual({ delivered: 1, failed: 0 });
    expect(seen).toEqual(['FAILED']);
    expect(silent.ok).toBe(true);
    expect(silent.stopEvents).toEqual({ delivered: 0, failed: 0 });
    expect(holder.stopEventsSeen).toBeUndefined();
  }, 90_000);

  it('fails the run when the planned stop never happens', async () => {
    const result = await runLocally({
      ...base,
      jobs: [
        {
          configuration: { Steps: '1' },
          stop: { afterContinuations: 3, while: 'waiting', mode: 'abandon' },
        },
      ],
    });

    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([
      expect.stringContaining(
        'the planned stop (abandon after 3 continuations, while waiting) never happened: the chain ended Succeeded',
      ),
    ]);
  }, 90_000);
});
