import { GetJobDetailsCommand, PutJobSuccessResultCommand } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { decodeReport } from '../../lambda/adapters/recorded-report.js';
import type { Claim } from '../../lambda/ports.js';
import { MAX_ATTEMPTS } from '../../lambda/worker/job-runner.js';
import type { Report } from '../../lambda/worker/report.js';
import { countingProcessor, uniqueJob, workerOnDynalite } from '../helpers/worker-harness.js';

const SECOND = 1_000;
const deadlineIn = (ms: number) => ({ deadline: Date.now() + ms });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** What CodePipeline answers when it throttles a call (the SDK's shape of the error). */
function throttling(): Error {
  return Object.assign(new Error('Rate exceeded'), {
    name: 'ThrottlingException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });
}

const RECORDED: Report = {
  kind: 'success',
  executionDetails: { summary: 'deployed before the worker died', externalExecutionId: 'exec-7' },
  outputVariables: { Url: 'https://example.com/7' },
};

describe('Worker.drain: each processor runs once', () => {
  const dynalite = workerOnDynalite();
  const setup = dynalite.setup;

  /** A job acknowledged by a worker that then died: its claim's lease is over. */
  async function deadWorkersClaim(
    harness: Awaited<ReturnType<typeof setup>>,
    claims = 1,
  ): Promise<{ jobId: string; claim: Claim }> {
    const job = uniqueJob();
    const jobId = job.id as string;
    harness.codePipeline.register(job, 'InProgress');
    const past = Date.now() - 600 * SECOND;
    const claimed = await harness.ledger.claim({
      jobId,
      nonce: job.nonce as string,
      now: past,
      leaseExpiresAt: past + 1,
    });
    if (claimed.kind !== 'claimed') throw new Error(`setup: ${claimed.kind}`);
    let claim = claimed.claim;
    for (let attempt = 2; attempt <= claims; attempt++) {
      const taken = await harness.ledger.takeOver(jobId, past + attempt * 10, past + attempt * 10);
      if (!taken) throw new Error('setup: take-over failed');
      claim = taken;
    }
    return { jobId, claim };
  }

  it('records the report in the ledger before it is sent, and removes it once the job is finished', async () => {
    const harness = await setup();
    const { codePipeline, worker, ledgerItem } = harness;
    const job = uniqueJob();
    const jobId = job.id as string;
    codePipeline.enqueue(job);
    const atSend: (Report | undefined)[] = [];
    codePipeline.beforeResult = async (id) => {
      atSend.push(decodeReport((await ledgerItem(id)).report));
    };

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(atSend).toEqual([
      expect.objectContaining({ kind: 'success', executionDetails: expect.anything() }),
    ]);
    const [result] = codePipeline.resultsFor(jobId);
    expect(result?.kind === 'success' && result.input.executionDetails).toEqual(
      atSend[0]?.kind === 'success' ? atSend[0].executionDetails : 'not recorded',
    );
    const item = await ledgerItem(jobId);
    expect(item.state?.S).toBe('succeeded');
    expect(item.report).toBeUndefined();
    expect(summary).toMatchObject({ succeeded: 1, processorRuns: 1 });
  });

  it('sends the report a dead worker recorded, without running the processor or reading the job again', async () => {
    const harness = await setup();
    const { codePipeline, worker, ledger, processor, ledgerItem, metrics } = harness;
    const { jobId, claim } = await deadWorkersClaim(harness);
    expect(await ledger.record(claim, RECORDED, Date.now() - 500 * SECOND)).toBe(true);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(processor.runs).toEqual([]);
    expect(codePipeline.mock.commandCalls(GetJobDetailsCommand)).toHaveLength(0);
    const [result] = codePipeline.resultsFor(jobId);
    expect(result?.input).toMatchObject({
      jobId,
      executionDetails: RECORDED.kind === 'success' ? RECORDED.executionDetails : {},
      outputVariables: { Url: 'https://example.com/7' },
    });
    expect(summary).toMatchObject({ recovered: 1, succeeded: 1, processorRuns: 0 });
    expect(metrics.total('ProcessorRuns')).toBe(0);
    expect((await ledgerItem(jobId)).state?.S).toBe('succeeded');
  });

  it('runs the processor again, telling it the attempt, when its worker died while it ran', async () => {
    const attempts: number[] = [];
    const processor = countingProcessor(async (_job, context) => {
      attempts.push(context.attempt);
      return { kind: 'success', summary: 'done' };
    });
    const harness = await setup({ processor });
    const { jobId } = await deadWorkersClaim(harness);

    const summary = await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(attempts).toEqual([2]);
    expect(harness.codePipeline.resultsFor(jobId)).toHaveLength(1);
    expect(summary).toMatchObject({ recovered: 1, processorRuns: 1 });
    expect(harness.metrics.total('ProcessorRuns')).toBe(1);
  });

  it('never gives up a job whose processor returned: its recorded report is sent at any attempt', async () => {
    const harness = await setup();
    const { jobId, claim } = await deadWorkersClaim(harness, MAX_ATTEMPTS);
    await harness.ledger.record(claim, RECORDED, Date.now() - 500 * SECOND);

    await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(harness.processor.runs).toEqual([]);
    const [result] = harness.codePipeline.resultsFor(jobId);
    expect(result?.kind).toBe('success');
    expect(result?.input).toMatchObject({ outputVariables: { Url: 'https://example.com/7' } });
  });

  it(`still gives up a job whose workers died ${MAX_ATTEMPTS} times while its processor ran`, async () => {
    const harness = await setup();
    const { jobId } = await deadWorkersClaim(harness, MAX_ATTEMPTS);

    const summary = await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(harness.processor.runs).toEqual([]);
    expect(summary.processorRuns).toBe(0);
    const [result] = harness.codePipeline.resultsFor(jobId);
    expect(result?.kind === 'failure' && result.input.failureDetails?.message).toContain(
      `given up after ${MAX_ATTEMPTS} workers stopped`,
    );
  });

  it('sends the recorded report when a new dispatch claims a job whose report was recorded', async () => {
    const harness = await setup();
    const { codePipeline, worker, ledger, processor } = harness;
    const job = uniqueJob();
    const jobId = job.id as string;
    codePipeline.register(job, 'Dispatched');
    const past = Date.now() - 600 * SECOND;
    const claimed = await ledger.claim({
      jobId,
      nonce: job.nonce as string,
      now: past,
      leaseExpiresAt: past + 1,
    });
    if (claimed.kind !== 'claimed') throw new Error('setup');
    await ledger.record(claimed.claim, RECORDED, past + 1);
    await ledger.release(claimed.claim, past + 2);
    const fresh = codePipeline.redispatch(jobId, 'fresh-nonce');

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(codePipeline.acknowledged).toEqual([{ jobId, nonce: fresh.nonce }]);
    expect(processor.runs).toEqual([]);
    expect(codePipeline.resultsFor(jobId)[0]?.input).toMatchObject({
      outputVariables: { Url: 'https://example.com/7' },
    });
    expect(summary).toMatchObject({ succeeded: 1, processorRuns: 0 });
  });

  it("sends a throttled report again with backoff, outside the job's slot, until it is accepted", async () => {
    const waits: number[] = [];
    const harness = await setup({
      settings: { concurrency: 1, batchSize: 1 },
      random: () => 0.5,
      sleep: async (ms) => {
        waits.push(ms);
        await sleep(60);
      },
    });
    const { codePipeline, worker, processor, ledgerItem } = harness;
    const [slow, next] = [uniqueJob(), uniqueJob()];
    const slowId = slow.id as string;
    codePipeline.enqueue(slow, next);
    codePipeline.failResults(slowId, throttling(), 3);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    // Each wait is drawn below a cap that doubles from the SDK's throttling base (1 s).
    expect(waits).toEqual([500, 1_000, 2_000]);
    const calls = codePipeline.mock
      .commandCalls(PutJobSuccessResultCommand)
      .map((call) => call.args[0].input.jobId);
    expect(calls.filter((id) => id === slowId)).toHaveLength(4);
    // One slot: the next job was processed and reported while the first one waited.
    expect(codePipeline.results.map((result) => result.jobId)).toEqual([next.id, slowId]);
    expect(processor.runs).toHaveLength(2);
    expect(summary).toMatchObject({ succeeded: 2, reportErrors: 3, processorRuns: 2 });
    expect((await ledgerItem(slowId)).state?.S).toBe('succeeded');
  });

  it('sends a report refused for good only once, and records the job as abandoned', async () => {
    const harness = await setup({ random: () => 0 });
    const { codePipeline, worker, ledgerItem } = harness;
    const job = uniqueJob();
    const jobId = job.id as string;
    codePipeline.enqueue(job);
    codePipeline.failResults(jobId, 'InvalidJobState');

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(codePipeline.mock.commandCalls(PutJobSuccessResultCommand)).toHaveLength(1);
    expect(summary).toMatchObject({ reportErrors: 1, abandoned: 1 });
    const item = await ledgerItem(jobId);
    expect(item.state?.S).toBe('abandoned');
    expect(item.report).toBeUndefined();
  });

  it('does not send again a report refused for a reason a retry would not change', async () => {
    const harness = await setup({ random: () => 0 });
    const { codePipeline, worker, ledgerItem } = harness;
    const job = uniqueJob();
    const jobId = job.id as string;
    codePipeline.enqueue(job);
    codePipeline.failResults(
      jobId,
      Object.assign(new Error('not allowed'), {
        name: 'AccessDeniedException',
        $metadata: { httpStatusCode: 400 },
      }),
    );

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(codePipeline.mock.commandCalls(PutJobSuccessResultCommand)).toHaveLength(1);
    expect(summary.reportErrors).toBe(1);
    const item = await ledgerItem(jobId);
    expect(item.state?.S).toBe('claimed');
    expect(decodeReport(item.report)?.kind).toBe('success');
  });

  it('stops sending at the report deadline, and a later invocation sends the recorded report', async () => {
    const harness = await setup({
      settings: { deadlineMarginMs: 2_000, leaseGraceMs: 0 },
      random: () => 1,
    });
    const { codePipeline, worker, processor, ledgerItem } = harness;
    const job = uniqueJob();
    const jobId = job.id as string;
    codePipeline.enqueue(job);
    codePipeline.failResults(jobId, throttling());
    const deadline = Date.now() + 3_500;

    const first = await worker.drain({ deadline });

    // The report deadline is a quarter of the margin before the invocation's end.
    expect(Date.now()).toBeLessThanOrEqual(deadline - 500 + 100);
    expect(first).toMatchObject({ succeeded: 0, processorRuns: 1 });
    expect(first.reportErrors).toBeGreaterThanOrEqual(2);
    const left = await ledgerItem(jobId);
    expect(left.state?.S).toBe('claimed');
    expect(decodeReport(left.report)).toMatchObject({ kind: 'success' });

    codePipeline.failResults(jobId, throttling(), 0);
    await sleep(Math.max(0, Number(left.leaseExpiresAt?.N) - Date.now()) + 10);
    const second = await worker.drain(deadlineIn(30 * SECOND));

    expect(second).toMatchObject({ recovered: 1, succeeded: 1, processorRuns: 0 });
    expect(processor.runs).toHaveLength(1);
    expect(codePipeline.results).toHaveLength(1);
    expect((await ledgerItem(jobId)).state?.S).toBe('succeeded');
  });
});
