import { describe, expect, it } from 'vitest';
import type { NonceLedger } from '../../lambda/ports.js';
import { MAX_RECORD_ATTEMPTS } from '../../lambda/worker/job-runner.js';
import {
  countingProcessor,
  uniqueJob,
  type WorkerSetupOptions,
  workerOnDynalite,
} from '../helpers/worker-harness.js';

const SECOND = 1_000;
const deadlineIn = (ms: number) => ({ deadline: Date.now() + ms });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The ledger's methods, bound, so a test can replace one of them. */
function delegate(ledger: NonceLedger): NonceLedger {
  return {
    claim: (request) => ledger.claim(request),
    takeOver: (jobId, now, lease) => ledger.takeOver(jobId, now, lease),
    record: (claim, report, now, options) => ledger.record(claim, report, now, options),
    complete: (claim, outcome, now) => ledger.complete(claim, outcome, now),
    release: (claim, now) => ledger.release(claim, now),
    findExpired: (now, limit) => ledger.findExpired(now, limit),
  };
}

describe('Worker.drain pipeline', () => {
  const dynalite = workerOnDynalite();
  const { ledgerState } = dynalite;

  /** A harness whose worker uses `wrap(ledger)` as its ledger. */
  function setup(
    wrap: (ledger: NonceLedger) => NonceLedger,
    processor = countingProcessor(),
    settings: WorkerSetupOptions['settings'] = {},
  ) {
    return dynalite.setup({ processor, settings, wrapLedger: wrap });
  }

  it('claims a polled job while it waits for a slot', async () => {
    const states: (string | undefined)[] = [];
    let tableName = '';
    const jobs = [uniqueJob(), uniqueJob()];
    const processor = countingProcessor(async (job) => {
      if (job.id === jobs[0]?.id) {
        await sleep(200);
        states.push(await ledgerState(tableName, jobs[1]?.id as string));
      }
      return { kind: 'success' };
    });
    const harness = await setup((ledger) => ledger, processor, { concurrency: 1, batchSize: 2 });
    tableName = harness.tableName;
    harness.codePipeline.enqueue(...jobs);

    const summary = await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(states).toEqual(['claimed']);
    expect(summary.succeeded).toBe(2);
  });

  it('gives back the claim of a job it polled but will not start, so it can be claimed again', async () => {
    const processor = countingProcessor(async () => {
      await sleep(400);
      return { kind: 'success' };
    });
    const harness = await setup((ledger) => ledger, processor, {
      concurrency: 1,
      batchSize: 2,
      deadlineMarginMs: 2_000,
    });
    const jobs = [uniqueJob(), uniqueJob()];
    harness.codePipeline.enqueue(...jobs);

    const summary = await harness.worker.drain(deadlineIn(2_200));

    expect(summary).toMatchObject({ succeeded: 1, deferred: 1, duplicates: 0, claimsLost: 0 });
    expect(harness.codePipeline.acknowledged).toHaveLength(1);
    expect(await ledgerState(harness.tableName, jobs[1]?.id as string)).toBe('released');
  });

  it('takes the next job while the last outcome is being recorded, and waits for it to end', async () => {
    const order: string[] = [];
    const harness = await setup(
      (ledger) => ({
        ...delegate(ledger),
        async complete(claim, outcome, now) {
          order.push(`recording ${claim.jobId}`);
          await sleep(300);
          const kept = await ledger.complete(claim, outcome, now);
          order.push(`recorded ${claim.jobId}`);
          return kept;
        },
      }),
      countingProcessor(async (job) => {
        order.push(`processing ${job.id}`);
        return { kind: 'success' };
      }),
      { concurrency: 1, batchSize: 2 },
    );
    const [first, second] = [uniqueJob(), uniqueJob()];
    harness.codePipeline.enqueue(first, second);

    await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(order.indexOf(`processing ${second.id}`)).toBeLessThan(
      order.indexOf(`recorded ${first.id}`),
    );
    expect(order.at(-1)).toMatch(/^recorded /);
    expect(await ledgerState(harness.tableName, first.id as string)).toBe('succeeded');
    expect(await ledgerState(harness.tableName, second.id as string)).toBe('succeeded');
  });

  it('takes the next job while the last report is being recorded and sent', async () => {
    const order: string[] = [];
    const harness = await setup(
      (ledger) => ({
        ...delegate(ledger),
        async record(claim, report, now) {
          order.push(`recording ${claim.jobId}`);
          await sleep(300);
          return ledger.record(claim, report, now);
        },
      }),
      countingProcessor(async (job) => {
        order.push(`processing ${job.id}`);
        return { kind: 'success' };
      }),
      { concurrency: 1, batchSize: 2 },
    );
    const [first, second] = [uniqueJob(), uniqueJob()];
    harness.codePipeline.enqueue(first, second);

    const summary = await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(order.slice(0, 3)).toEqual([
      `processing ${first.id}`,
      `recording ${first.id}`,
      `processing ${second.id}`,
    ]);
    expect(summary.succeeded).toBe(2);
  });

  it('still sends a report the ledger could not record, and counts the ledger errors', async () => {
    const harness = await setup((ledger) => ({
      ...delegate(ledger),
      record: async () => {
        throw new Error('ProvisionedThroughputExceededException');
      },
    }));
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(harness.codePipeline.resultsFor(job.id as string)).toHaveLength(1);
    expect(summary).toMatchObject({ succeeded: 1, ledgerErrors: MAX_RECORD_ATTEMPTS });
    expect(await ledgerState(harness.tableName, job.id as string)).toBe('succeeded');
  });

  it('sends no report when its claim was taken over before the report was recorded', async () => {
    const harness = await setup((ledger) => ({
      ...delegate(ledger),
      record: async () => false,
    }));
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(harness.processor.runs).toEqual([job.id]);
    expect(harness.codePipeline.results).toHaveLength(0);
    expect(summary).toMatchObject({ succeeded: 0, reportErrors: 0 });
  });

  it('looks for expired claims alongside the first poll, not before it', async () => {
    let polledDuringLookup = false;
    const harness = await setup((ledger) => ({
      ...delegate(ledger),
      async findExpired(now, limit) {
        for (
          let waited = 0;
          waited < 2_000 && harness.codePipeline.polls.length === 0;
          waited += 10
        ) {
          await sleep(10);
        }
        polledDuringLookup = harness.codePipeline.polls.length > 0;
        return ledger.findExpired(now, limit);
      },
    }));
    harness.codePipeline.enqueue(uniqueJob());

    const summary = await harness.worker.drain(deadlineIn(30 * SECOND));

    expect(polledDuringLookup).toBe(true);
    expect(summary.succeeded).toBe(1);
  });

  describe('recording a report', () => {
    it('abandons a record attempt that gets no answer and records again, within the invocation', async () => {
      const signals: AbortSignal[] = [];
      const harness = await setup(
        (ledger) => ({
          ...delegate(ledger),
          record: (claim, report, now, options) => {
            if (options?.signal) signals.push(options.signal);
            // The first answer is lost: the call waits until it is cut.
            if (signals.length > 1) return ledger.record(claim, report, now, options);
            return new Promise<boolean>((_, reject) =>
              options?.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
            );
          },
        }),
        countingProcessor(),
        { deadlineMarginMs: 2_000 },
      );
      const job = uniqueJob();
      harness.codePipeline.enqueue(job);

      const summary = await harness.worker.drain(deadlineIn(6 * SECOND));

      expect(signals).toHaveLength(2);
      expect(signals[0]?.aborted).toBe(true);
      expect(harness.codePipeline.resultsFor(job.id as string)).toHaveLength(1);
      expect(await ledgerState(harness.tableName, job.id as string)).toBe('succeeded');
      expect(summary).toMatchObject({ succeeded: 1, processorRuns: 1, ledgerErrors: 1 });
    });

    it('records again after the ledger refused the record, before sending the report', async () => {
      let attempts = 0;
      const harness = await setup((ledger) => ({
        ...delegate(ledger),
        record: async (claim, report, now, options) => {
          attempts++;
          if (attempts <= 2)
            throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
          return ledger.record(claim, report, now, options);
        },
      }));
      const job = uniqueJob();
      let recordsAtSend = 0;
      harness.codePipeline.beforeResult = async () => {
        recordsAtSend = attempts;
      };
      harness.codePipeline.enqueue(job);

      const summary = await harness.worker.drain(deadlineIn(30 * SECOND));

      expect(attempts).toBe(3);
      expect(recordsAtSend).toBe(3);
      expect(harness.codePipeline.resultsFor(job.id as string)).toHaveLength(1);
      expect(summary).toMatchObject({ succeeded: 1, processorRuns: 1, ledgerErrors: 2 });
    });
  });
});
