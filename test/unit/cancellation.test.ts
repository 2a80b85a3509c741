/**
 * Cancellation through the worker: a real drain on dynalite, the fake CodePipeline, and the
 * execution ledger in memory (its DynamoDB adapter has the same contract, see
 * dynamodb-execution-ledger.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { type Cancellation, JobCanceledError } from '../../lambda/job/cancellation.js';
import { continueLater } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { MemoryExecutionLedger } from '../helpers/memory-execution-ledger.js';
import { countingProcessor, uniqueJob, workerOnDynalite } from '../helpers/worker-harness.js';

const CHECK_MS = 100;
const LIMITS = { maxContinuations: 100, maxAgeMs: 3_600_000 };
const ENVELOPE = 'cpjw1:1:1800000000000:0:build-7';

/** A processor with a cancel hook that records its calls. */
function withCancel(process: JobProcessor['process']) {
  const cancels: Cancellation[] = [];
  const processor = {
    ...countingProcessor(process),
    async cancel(cancellation: Cancellation) {
      cancels.push(cancellation);
    },
  };
  return { processor, cancels };
}

describe('cancellation in the worker', () => {
  const dynalite = workerOnDynalite();
  const deadlineIn = (ms: number) => ({ deadline: Date.now() + ms });

  it('aborts a running processor with the reason within one check interval, and cancels its continue', async () => {
    const executions = new MemoryExecutionLedger();
    let aborted: { reason: unknown; at: number } | undefined;
    let started: () => void = () => {};
    const running = new Promise<void>((resolve) => {
      started = resolve;
    });
    const { processor, cancels } = withCancel(async (_job, context) => {
      started();
      await new Promise<void>((resolve) =>
        context.signal.addEventListener('abort', () => resolve(), { once: true }),
      );
      aborted = { reason: context.signal.reason, at: Date.now() };
      return continueLater('build-7');
    });
    const { codePipeline, worker, ledgerState } = await dynalite.setup({
      processor,
      executionLedger: executions,
      cancelCheckMs: CHECK_MS,
      continuations: LIMITS,
    });
    const job = uniqueJob({ actionExecutionId: 'exec-running' });
    codePipeline.enqueue(job);

    const draining = worker.drain(deadlineIn(30_000));
    await running;
    const noted = Date.now();
    await executions.canceled('exec-running', 'abandoned', noted);
    const summary = await draining;

    expect(JobCanceledError.is(aborted?.reason)).toBe(true);
    expect(aborted?.reason).toMatchObject({ name: 'JobCanceledError', reason: 'abandoned' });
    // One interval, and room for a busy machine's timers.
    expect((aborted?.at ?? Number.POSITIVE_INFINITY) - noted).toBeLessThan(CHECK_MS + 400);
    expect(codePipeline.resultsFor(job.id as string)).toEqual([]);
    expect(await ledgerState(job.id as string)).toBe('abandoned');
    expect(summary.abandoned).toBe(1);
    expect(cancels).toEqual([
      expect.objectContaining({
        reason: 'abandoned',
        continuationToken: 'build-7',
        actionExecutionId: 'exec-running',
      }),
    ]);
  });

  it('leaves the signal alone when the execution is not stopped', async () => {
    const executions = new MemoryExecutionLedger();
    let aborted = false;
    const { processor } = withCancel(async (_job, context) => {
      await new Promise((resolve) => setTimeout(resolve, CHECK_MS * 3));
      aborted = context.signal.aborted;
      return { kind: 'success', summary: 'done' };
    });
    const { codePipeline, worker } = await dynalite.setup({
      processor,
      executionLedger: executions,
      cancelCheckMs: CHECK_MS,
    });
    const job = uniqueJob();
    codePipeline.enqueue(job);

    await worker.drain(deadlineIn(30_000));

    expect(aborted).toBe(false);
    expect(codePipeline.resultsFor(job.id as string)).toHaveLength(1);
    expect(executions.calls.filter((call) => call.startsWith('read')).length).toBeGreaterThan(0);
  });

  it('cancels with the processor token (not the envelope) when a waiting execution is stopped', async () => {
    const executions = new MemoryExecutionLedger();
    const { processor, cancels } = withCancel(async () => continueLater('build-7'));
    const { codePipeline, worker, stops } = await dynalite.setup({
      processor,
      executionLedger: executions,
      continuations: LIMITS,
    });
    codePipeline.enqueue(uniqueJob({ actionExecutionId: 'exec-waiting' }));
    await worker.drain(deadlineIn(30_000));
    expect(executions.records.get('exec-waiting')?.continuationToken).toMatch(/^cpjw1:1:/);

    const result = await stops?.stopEvent(
      { state: 'ABANDONED', actionExecutionId: 'exec-waiting' },
      Date.now() + 5_000,
      processorLogger(),
    );

    expect(result).toBe('canceled');
    expect(cancels).toEqual([
      expect.objectContaining({
        reason: 'abandoned',
        continuationToken: 'build-7',
        actionExecutionId: 'exec-waiting',
        pipelineName: 'checkout-service',
      }),
    ]);
  });

  it('cancels with the processor token when a continue report is refused', async () => {
    const executions = new MemoryExecutionLedger();
    const { processor, cancels } = withCancel(async () => continueLater('build-8'));
    const { codePipeline, worker, ledgerState } = await dynalite.setup({
      processor,
      executionLedger: executions,
      continuations: LIMITS,
    });
    const job = uniqueJob({ actionExecutionId: 'exec-refused' });
    codePipeline.enqueue(job);
    codePipeline.failResults(job.id as string, 'InvalidJobState');

    await worker.drain(deadlineIn(30_000));

    expect(await ledgerState(job.id as string)).toBe('abandoned');
    expect(cancels).toEqual([
      expect.objectContaining({ reason: 'refused', continuationToken: 'build-8' }),
    ]);
  });

  it('cancels a continuation job that acknowledges as TimedOut, with its processor token', async () => {
    const executions = new MemoryExecutionLedger();
    const { processor, cancels } = withCancel(async () => ({ kind: 'success', summary: 'x' }));
    const { codePipeline, worker } = await dynalite.setup({
      processor,
      executionLedger: executions,
      continuations: LIMITS,
    });
    const job = uniqueJob({ actionExecutionId: 'exec-timed-out', continuationToken: ENVELOPE });
    codePipeline.enqueue(job);
    codePipeline.answerAcknowledge(job.id as string, 'TimedOut');

    await worker.drain(deadlineIn(30_000));

    expect(processor.runs).toEqual([]);
    expect(cancels).toEqual([
      expect.objectContaining({ reason: 'refused', continuationToken: 'build-7' }),
    ]);
  });

  it("does not cancel on the FAILED event the worker's own failure report causes", async () => {
    const executions = new MemoryExecutionLedger();
    const { processor, cancels } = withCancel(async () => {
      throw new Error('the build failed');
    });
    const { codePipeline, worker, stops } = await dynalite.setup({
      processor,
      executionLedger: executions,
      continuations: LIMITS,
    });
    // The execution continued once: the ledger holds its token.
    await executions.continued(
      { actionExecutionId: 'exec-own-failure', jobId: 'first-job' },
      ENVELOPE,
      Date.now(),
    );
    const job = uniqueJob({ actionExecutionId: 'exec-own-failure', continuationToken: ENVELOPE });
    codePipeline.enqueue(job);
    // The FAILED event is handled as soon as the failure report reaches CodePipeline, before
    // the worker hears back.
    const events: (string | undefined)[] = [];
    codePipeline.beforeResult = async () => {
      events.push(
        await stops?.stopEvent(
          { state: 'FAILED', actionExecutionId: 'exec-own-failure' },
          Date.now() + 5_000,
          processorLogger(),
        ),
      );
    };

    await worker.drain(deadlineIn(30_000));

    expect(codePipeline.resultsFor(job.id as string)[0]?.kind).toBe('failure');
    expect(events).toEqual(['finished']);
    expect(cancels).toEqual([]);
  });
});

function processorLogger() {
  const ignore = () => {};
  return { debug: ignore, info: ignore, warn: ignore, error: ignore };
}
