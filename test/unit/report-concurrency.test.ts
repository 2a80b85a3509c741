import { describe, expect, it } from 'vitest';
import type { NonceLedger } from '../../lambda/ports.js';
import { Semaphore } from '../../lambda/worker/semaphore.js';
import { uniqueJob, workerOnDynalite } from '../helpers/worker-harness.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LATE =
  'could not report the result before the invocation had to end; a later invocation finishes the job';

describe('Semaphore', () => {
  it('refuses fewer than one permit', () => {
    expect(() => new Semaphore(0)).toThrow('a semaphore needs at least 1 permit (got 0)');
  });

  it('hands a released permit to the first waiter still waiting, and none to one that gave up', async () => {
    const semaphore = new Semaphore(1);
    const never = new AbortController().signal;
    const impatient = new AbortController();
    expect(await semaphore.acquire(never)).toBe(true);
    const order: string[] = [];
    const first = semaphore.acquire(impatient.signal).then((got) => order.push(`first ${got}`));
    const second = semaphore.acquire(never).then((got) => order.push(`second ${got}`));

    impatient.abort();
    await first;
    semaphore.release();
    await second;

    expect(order).toEqual(['first false', 'second true']);
    expect(semaphore.waiting).toBe(0);
    // The permit is held by the second waiter: a third must wait.
    const third = new AbortController();
    const waiting = semaphore.acquire(third.signal);
    third.abort();
    expect(await waiting).toBe(false);
  });
});

describe('Worker.drain reports, bounded by reportConcurrency', () => {
  const dynalite = workerOnDynalite();

  it('never sends more reports at once than the bound, and sends every one', async () => {
    const harness = await dynalite.setup({
      settings: { concurrency: 8, batchSize: 8, reportConcurrency: 2 },
    });
    let inFlight = 0;
    let peak = 0;
    harness.codePipeline.beforeResult = async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await sleep(60);
      inFlight--;
    };
    const jobs = Array.from({ length: 12 }, () => uniqueJob());
    harness.codePipeline.enqueue(...jobs);

    const summary = await harness.worker.drain({ deadline: Date.now() + 30_000 });

    expect(peak).toBe(2);
    expect(harness.codePipeline.results.map((r) => r.jobId).sort()).toEqual(
      jobs.map((job) => job.id).sort(),
    );
    expect(summary).toMatchObject({ succeeded: 12, reportErrors: 0 });
  });

  it('gives up waiting for the bound at the report deadline, not when a permit frees up', async () => {
    // Report deadline: a quarter of the 1 s margin before the end, 1,250 ms from now.
    const harness = await dynalite.setup({
      settings: { concurrency: 2, batchSize: 2, reportConcurrency: 1, deadlineMarginMs: 1_000 },
    });
    const start = Date.now();
    let lateWhileHeld: string[] | undefined;
    harness.codePipeline.beforeResult = async () => {
      if (lateWhileHeld) return;
      lateWhileHeld = [];
      // The one permit stays held past the report deadline.
      await sleep(1_700 - (Date.now() - start));
      lateWhileHeld = harness.logs
        .filter((line) => line.message === LATE)
        .map((line) => String(line.attributes?.jobId));
    };
    const jobs = [uniqueJob(), uniqueJob()];
    harness.codePipeline.enqueue(...jobs);

    await harness.worker.drain({ deadline: start + 1_500 });

    const sent = harness.codePipeline.results.map((r) => r.jobId);
    expect(sent).toHaveLength(1);
    const waited = jobs.map((job) => job.id).find((id) => !sent.includes(id as string));
    expect(lateWhileHeld).toEqual([waited]);
    // Left, recorded, to the invocation that takes the claim over.
    const item = await harness.ledgerItem(waited as string);
    expect(item.state?.S).toBe('claimed');
    expect(item.report).toBeDefined();
  });

  it('records a report while another holds the only permit', async () => {
    const recorded: string[] = [];
    const harness = await dynalite.setup({
      settings: { concurrency: 2, batchSize: 2, reportConcurrency: 1 },
      wrapLedger: (ledger: NonceLedger) => ({
        claim: (request) => ledger.claim(request),
        takeOver: (jobId, now, lease) => ledger.takeOver(jobId, now, lease),
        record: async (claim, report, now, options) => {
          const kept = await ledger.record(claim, report, now, options);
          recorded.push(claim.jobId);
          return kept;
        },
        complete: (claim, outcome, now) => ledger.complete(claim, outcome, now),
        release: (claim, now) => ledger.release(claim, now),
        findExpired: (now, limit) => ledger.findExpired(now, limit),
      }),
    });
    let recordedWhileHeld: number | undefined;
    harness.codePipeline.beforeResult = async () => {
      if (recordedWhileHeld !== undefined) return;
      recordedWhileHeld = 0;
      for (let waited = 0; waited < 2_000 && recorded.length < 2; waited += 10) await sleep(10);
      recordedWhileHeld = recorded.length;
    };
    const jobs = [uniqueJob(), uniqueJob()];
    harness.codePipeline.enqueue(...jobs);

    const summary = await harness.worker.drain({ deadline: Date.now() + 30_000 });

    expect(recordedWhileHeld).toBe(2);
    expect(summary).toMatchObject({ succeeded: 2 });
  });
});
