/**
 * Cancellation end to end in local runs: the emulator stops executions as CodePipeline does
 * and delivers the stop events to the real worker, which aborts a running processor with the
 * reason and calls `cancel` once for an execution stopped between continuations, with the
 * processor's own token; never for the FAILED event of a failure the worker reported itself.
 */
import { describe, expect, it } from 'vitest';
import { type Cancellation, JobCanceledError } from '../../lambda/job/cancellation.js';
import { continueLater, failure, success } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { runLocally } from '../../local/testing/index.js';

const ACTION_TYPE = {
  category: 'Build',
  provider: 'CancelSteps',
  configurationProperties: [
    { name: 'Steps', required: false },
    { name: 'SlowAt', required: false },
    { name: 'FailAt', required: false },
  ],
} as const;

/**
 * Continues `Steps` times (its token counts them), then succeeds; the job whose place in the
 * chain is `SlowAt` waits for its signal (at most 5 s) and continues; `FailAt` fails there.
 */
function steps() {
  const cancels: Cancellation[] = [];
  const aborts: unknown[] = [];
  const processor: JobProcessor = {
    name: 'steps',
    async process(job, context) {
      const done = job.continuationToken === undefined ? 0 : Number(job.continuationToken);
      if (String(done) === job.configuration.FailAt) return failure('JobFailed', 'it broke');
      if (String(done) === job.configuration.SlowAt) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 5_000);
          context.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        if (context.signal.aborted) aborts.push(context.signal.reason);
        return continueLater(String(done + 1));
      }
      if (done < Number(job.configuration.Steps ?? '0')) return continueLater(String(done + 1));
      return success({ summary: `done after ${done}` });
    },
    async cancel(cancellation) {
      cancels.push(cancellation);
    },
  };
  return { processor, cancels, aborts };
}

const base = {
  actionType: ACTION_TYPE,
  duplicateRate: 0,
  tickMs: 100,
  env: { CANCEL_CHECK_SECONDS: '1' },
} as const;

describe('cancellation in local runs', () => {
  it('calls cancel once, with the processor token, for an execution abandoned between continuations', async () => {
    const { processor, cancels } = steps();

    const result = await runLocally({
      ...base,
      processor,
      jobs: [
        {
          configuration: { Steps: '5' },
          stop: { afterContinuations: 2, while: 'waiting', mode: 'abandon' },
          expect: { outcome: 'stopped' },
        },
      ],
    });

    expect(result.problems).toEqual([]);
    expect(cancels).toEqual([
      expect.objectContaining({ reason: 'abandoned', continuationToken: '2' }),
    ]);
  });

  it('aborts a running processor with the reason, and cancels the work it continued with', async () => {
    const { processor, cancels, aborts } = steps();

    const result = await runLocally({
      ...base,
      processor,
      jobs: [
        {
          configuration: { Steps: '3', SlowAt: '0' },
          stop: { afterContinuations: 0, while: 'running', mode: 'supersede', delayMs: 100 },
          expect: { outcome: 'stopped' },
        },
      ],
    });

    expect(result.problems).toEqual([]);
    expect(aborts).toHaveLength(1);
    expect(JobCanceledError.is(aborts[0])).toBe(true);
    expect(aborts[0]).toMatchObject({ reason: 'canceled' });
    expect(cancels).toEqual([
      expect.objectContaining({ reason: 'canceled', continuationToken: '1' }),
    ]);
  });

  it("does not call cancel for the FAILED event of the worker's own failure report", async () => {
    const { processor, cancels } = steps();

    const result = await runLocally({
      ...base,
      processor,
      deliverStopEvents: true,
      jobs: [{ configuration: { Steps: '3', FailAt: '1' }, expect: { outcome: 'failure' } }],
    });

    expect(result.problems).toEqual([]);
    expect(result.stopEvents?.delivered).toBeGreaterThan(0);
    expect(cancels).toEqual([]);
  });
});
