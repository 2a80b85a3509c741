import { describe, expect, it } from 'vitest';
import { DrainError } from '../../lambda/worker/drain.js';
import { MAX_ATTEMPTS } from '../../lambda/worker/job-runner.js';
import { SECRETS } from '../helpers/jobs.js';
import {
  countingProcessor,
  uniqueJob,
  workerHarness,
  workerOnDynalite,
} from '../helpers/worker-harness.js';

const SECOND = 1_000;

describe('Worker.drain', () => {
  const dynalite = workerOnDynalite();
  const setup = dynalite.setup;

  const deadlineIn = (ms: number) => ({ deadline: Date.now() + ms });

  it('acknowledges, processes and reports every job once, and records the outcome', async () => {
    const { codePipeline, worker, processor, ledgerState } = await setup();
    const jobs = [uniqueJob(), uniqueJob(), uniqueJob()];
    codePipeline.enqueue(...jobs);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary).toMatchObject({ polled: 3, acknowledged: 3, succeeded: 3, failed: 0 });
    for (const job of jobs) {
      expect(codePipeline.acknowledged).toContainEqual({ jobId: job.id, nonce: job.nonce });
      const results = codePipeline.resultsFor(job.id as string);
      expect(results).toHaveLength(1);
      expect(results[0]?.kind).toBe('success');
      expect(await ledgerState(job.id as string)).toBe('succeeded');
    }
    expect(processor.runs.sort()).toEqual(jobs.map((job) => job.id).sort());
  });

  it('reports the action execution id as the external execution id by default', async () => {
    const { codePipeline, worker } = await setup();
    const job = uniqueJob({ actionExecutionId: 'exec-42' });
    codePipeline.enqueue(job);

    await worker.drain(deadlineIn(30 * SECOND));

    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind === 'success' && result.input.executionDetails).toMatchObject({
      externalExecutionId: 'exec-42',
      summary: 'done',
    });
  });

  it('publishes the counters that are not zero, and a processing duration per job', async () => {
    const { codePipeline, worker, metrics } = await setup();
    codePipeline.enqueue(uniqueJob(), uniqueJob());

    await worker.drain(deadlineIn(30 * SECOND));

    expect(metrics.total('JobsSucceeded')).toBe(2);
    expect(metrics.total('JobsPolled')).toBe(2);
    expect(metrics.total('JobsAcknowledged')).toBe(2);
    expect(metrics.total('PollsSucceeded')).toBe(2);
    // A zero is not sent: CloudWatch bills each hour a metric is published in.
    expect(metrics.values.has('JobsFailed')).toBe(false);
    expect(metrics.values.has('DuplicatesSkipped')).toBe(false);
    expect(metrics.values.get('ProcessingDuration')).toHaveLength(2);
  });

  it('skips a duplicate dispatch of the same (jobId, nonce)', async () => {
    const { codePipeline, worker, processor } = await setup();
    const job = uniqueJob();
    codePipeline.enqueue(job, job);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.duplicates).toBe(1);
    expect(codePipeline.acknowledged).toHaveLength(1);
    expect(codePipeline.resultsFor(job.id as string)).toHaveLength(1);
    expect(processor.runs).toEqual([job.id]);
  });

  it('skips a job another worker holds a live claim on, without acknowledging it', async () => {
    const { codePipeline, worker, ledger, processor } = await setup();
    const job = uniqueJob();
    await ledger.claim({
      jobId: job.id as string,
      nonce: 'older-nonce',
      now: Date.now(),
      leaseExpiresAt: Date.now() + 60 * SECOND,
    });
    codePipeline.enqueue(job);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.claimsLost).toBe(1);
    expect(codePipeline.acknowledged).toHaveLength(0);
    expect(codePipeline.results).toHaveLength(0);
    expect(processor.runs).toHaveLength(0);
  });

  it.each(['InvalidNonce', 'JobNotFound'] as const)(
    'releases the claim and reports nothing when acknowledge answers %s',
    async (answer) => {
      const { codePipeline, worker, processor, ledgerState, metrics } = await setup();
      const job = uniqueJob();
      codePipeline.enqueue(job);
      codePipeline.answerAcknowledge(job.id as string, answer);

      const summary = await worker.drain(deadlineIn(30 * SECOND));

      expect(summary.acknowledgeErrors).toBe(1);
      expect(codePipeline.results).toHaveLength(0);
      expect(processor.runs).toHaveLength(0);
      expect(await ledgerState(job.id as string)).toBe('released');
      expect(metrics.total('AcknowledgeErrors')).toBe(1);
    },
  );

  it('keeps the claim when acknowledge fails for an unknown reason', async () => {
    const { codePipeline, worker, ledgerState } = await setup();
    const job = uniqueJob();
    codePipeline.enqueue(job);
    codePipeline.answerAcknowledge(job.id as string, new Error('socket hang up'));

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.acknowledgeErrors).toBe(1);
    expect(codePipeline.results).toHaveLength(0);
    expect(await ledgerState(job.id as string)).toBe('claimed');
  });

  it('runs the processor only when the job is InProgress', async () => {
    const { codePipeline, worker, processor, ledgerState } = await setup();
    const job = uniqueJob();
    codePipeline.enqueue(job);
    codePipeline.answerAcknowledge(job.id as string, 'TimedOut');

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(processor.runs).toHaveLength(0);
    expect(codePipeline.results).toHaveLength(0);
    expect(summary.abandoned).toBe(1);
    expect(await ledgerState(job.id as string)).toBe('abandoned');
  });

  it('fails a job whose processor throws, without the secret the message carried', async () => {
    const processor = countingProcessor(async (job) => {
      throw new Error(`could not call the API with ${job.secrets.ApiToken?.reveal()}`);
    });
    const { codePipeline, worker, logs } = await setup({ processor });
    const job = uniqueJob();
    codePipeline.enqueue(job);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.failed).toBe(1);
    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind).toBe('failure');
    const details = result?.kind === 'failure' ? result.input.failureDetails : undefined;
    expect(details?.type).toBe('JobFailed');
    expect(details?.message).toContain('could not call the API with [REDACTED]');
    expect(details?.message).not.toContain(SECRETS.apiToken);
    expect(JSON.stringify(logs)).not.toContain(SECRETS.apiToken);
  });

  it('reports a ConfigurationError outcome as such', async () => {
    const processor = countingProcessor(async () => ({
      kind: 'failure',
      failureType: 'ConfigurationError',
      message: 'BakeTimeSeconds is required',
    }));
    const { codePipeline, worker, ledgerState } = await setup({ processor });
    const job = uniqueJob();
    codePipeline.enqueue(job);

    await worker.drain(deadlineIn(30 * SECOND));

    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind === 'failure' && result.input.failureDetails).toMatchObject({
      type: 'ConfigurationError',
      message: 'BakeTimeSeconds is required',
    });
    expect(await ledgerState(job.id as string)).toBe('failed');
  });

  it('fails a job whose outcome breaks the API rules, naming the problem', async () => {
    const processor = countingProcessor(async () => ({
      kind: 'success',
      outputVariables: { 'not a key': 'x' },
    }));
    const { codePipeline, worker } = await setup({ processor });
    const job = uniqueJob();
    codePipeline.enqueue(job);

    await worker.drain(deadlineIn(30 * SECOND));

    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind === 'failure' && result.input.failureDetails?.message).toContain(
      'output variable name "not a key" is invalid',
    );
  });

  it('reports a continuation with its token and records the job as continued', async () => {
    const processor = countingProcessor(async () => ({
      kind: 'continue',
      continuationToken: 'step-2',
      percentComplete: 40,
    }));
    const { codePipeline, worker, ledgerState, metrics } = await setup({ processor });
    const job = uniqueJob();
    codePipeline.enqueue(job);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind === 'success' && result.input).toMatchObject({
      continuationToken: 'step-2',
      executionDetails: { percentComplete: 40 },
    });
    expect(summary.continued).toBe(1);
    expect(metrics.total('JobsContinued')).toBe(1);
    expect(await ledgerState(job.id as string)).toBe('continued');
  });

  it('fails a job whose processor overruns the deadline, before the invocation ends', async () => {
    const processor = countingProcessor(
      (_job, context) =>
        new Promise((resolve) =>
          context.signal.addEventListener('abort', () =>
            setTimeout(() => resolve({ kind: 'success' }), 5 * SECOND),
          ),
        ),
    );
    const { codePipeline, worker } = await setup({
      processor,
      settings: { deadlineMarginMs: 1_000 },
    });
    const job = uniqueJob();
    codePipeline.enqueue(job);
    const deadline = Date.now() + 1_500;

    await worker.drain({ deadline });

    expect(Date.now()).toBeLessThan(deadline);
    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind === 'failure' && result.input.failureDetails?.message).toContain(
      'did not finish before the worker invocation had to end',
    );
  });

  it('takes no job at all when the invocation starts inside the deadline margin', async () => {
    const { codePipeline, worker, logs } = await setup({ settings: { deadlineMarginMs: 5_000 } });
    codePipeline.enqueue(uniqueJob());

    const summary = await worker.drain(deadlineIn(4_000));

    expect(codePipeline.polls).toHaveLength(0);
    expect(summary.polled).toBe(0);
    expect(logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'invocation started inside the deadline margin; no job taken',
      }),
    );
  });

  it('stops taking jobs once the margin is reached, and finishes the ones it holds', async () => {
    const processor = countingProcessor(async () => {
      await new Promise((resolve) => setTimeout(resolve, 400));
      return { kind: 'success' };
    });
    const { codePipeline, worker } = await setup({
      processor,
      settings: { concurrency: 1, batchSize: 1, deadlineMarginMs: 2_000 },
    });
    const jobs = [uniqueJob(), uniqueJob(), uniqueJob()];
    codePipeline.enqueue(...jobs);

    const summary = await worker.drain(deadlineIn(2_200));

    expect(processor.runs).toEqual([jobs[0]?.id]);
    expect(codePipeline.results).toHaveLength(1);
    expect(codePipeline.acknowledged).toHaveLength(1);
    expect(summary.deferred).toBe(1);
  });

  it('runs at most `concurrency` jobs at once and polls again while jobs keep coming', async () => {
    let inFlight = 0;
    let peak = 0;
    const processor = countingProcessor(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 10));
      inFlight--;
      return { kind: 'success' };
    });
    const { codePipeline, worker } = await setup({
      processor,
      settings: { concurrency: 4, batchSize: 5 },
    });
    codePipeline.enqueue(...Array.from({ length: 25 }, () => uniqueJob()));

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.succeeded).toBe(25);
    expect(peak).toBe(4);
    expect(codePipeline.polls.length).toBeGreaterThanOrEqual(6);
    expect(Math.max(...codePipeline.polls)).toBeLessThanOrEqual(5);
  });

  it('retries empty polls when asked to (a STARTED event precedes its job)', async () => {
    const sleeps: number[] = [];
    const { codePipeline, worker } = await setup({
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 2) codePipeline.enqueue(uniqueJob());
      },
    });

    const summary = await worker.drain({
      deadline: Date.now() + 30 * SECOND,
      emptyPollRetries: 3,
      emptyPollDelayMs: 250,
    });

    expect(sleeps).toEqual([250, 250]);
    expect(summary.succeeded).toBe(1);
  });

  it('finishes a job whose worker died after acknowledging it, once its lease expired', async () => {
    const { codePipeline, worker, ledger, processor, ledgerState } = await setup();
    const job = uniqueJob();
    codePipeline.register(job, 'InProgress');
    await ledger.claim({
      jobId: job.id as string,
      nonce: job.nonce as string,
      now: Date.now() - 120 * SECOND,
      leaseExpiresAt: Date.now() - 60 * SECOND,
    });

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.recovered).toBe(1);
    expect(processor.runs).toEqual([job.id]);
    expect(codePipeline.resultsFor(job.id as string)).toHaveLength(1);
    expect(await ledgerState(job.id as string)).toBe('succeeded');
  });

  it('claims a new dispatch of a job it is recovering once the recovery released it', async () => {
    const { codePipeline, worker, ledger, processor, ledgerState } = await setup();
    const job = uniqueJob();
    codePipeline.register(job, 'Dispatched');
    await ledger.claim({
      jobId: job.id as string,
      nonce: job.nonce as string,
      now: Date.now() - 120 * SECOND,
      leaseExpiresAt: Date.now() - 60 * SECOND,
    });
    // The stale claim's dispatch timed out: the job is dispatched again with a new nonce,
    // and the poll hands it out while the recovery of the old claim is still acknowledging.
    const fresh = codePipeline.redispatch(job.id as string, 'fresh-nonce');
    codePipeline.delayPolls(30);
    codePipeline.delayAcknowledge(job.id as string, 150);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.claimsLost).toBe(0);
    expect(codePipeline.acknowledged).toEqual([{ jobId: job.id, nonce: fresh.nonce }]);
    expect(processor.runs).toEqual([job.id]);
    expect(codePipeline.resultsFor(job.id as string)).toHaveLength(1);
    expect(await ledgerState(job.id as string)).toBe('succeeded');
  });

  it('removes held secret values from the failure message a processor returns', async () => {
    const processor = countingProcessor(async (job) => ({
      kind: 'failure',
      failureType: 'PermissionError',
      message: `token ${job.secrets.ApiToken?.reveal()} was refused`,
    }));
    const { codePipeline, worker } = await setup({ processor });
    const job = uniqueJob();
    codePipeline.enqueue(job);

    await worker.drain(deadlineIn(30 * SECOND));

    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind === 'failure' && result.input.failureDetails).toMatchObject({
      type: 'PermissionError',
      message: 'token [REDACTED] was refused',
    });
  });

  it('reports what the secret check read from an outcome whose getters change between reads', async () => {
    // First read: a clean value; every later read: the job's secret value.
    const changing = (clean: string, secret: string) => {
      let reads = 0;
      return () => (reads++ === 0 ? clean : secret);
    };
    const processor = countingProcessor(async (job) => {
      const secret = job.secrets.ApiToken?.reveal() ?? '';
      const revisionId = changing('rev-1', secret);
      const executionId = changing('exec-1', secret);
      return {
        kind: 'success',
        get externalExecutionId() {
          return executionId();
        },
        currentRevision: {
          get revision() {
            return revisionId();
          },
          changeIdentifier: 'change-1',
        },
      };
    });
    const { codePipeline, worker } = await setup({ processor });
    const job = uniqueJob();
    codePipeline.enqueue(job);

    await worker.drain(deadlineIn(30 * SECOND));

    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind).toBe('success');
    expect(JSON.stringify(result?.input)).not.toContain(SECRETS.apiToken);
    expect(result?.kind === 'success' && result.input).toMatchObject({
      executionDetails: { externalExecutionId: 'exec-1' },
      currentRevision: { revision: 'rev-1', changeIdentifier: 'change-1' },
    });
  });

  it('only records the outcome of a recovered job whose result was already reported', async () => {
    const { codePipeline, worker, ledger, processor, ledgerState } = await setup();
    const job = uniqueJob();
    codePipeline.register(job, 'Succeeded');
    await ledger.claim({
      jobId: job.id as string,
      nonce: job.nonce as string,
      now: Date.now() - 120 * SECOND,
      leaseExpiresAt: Date.now() - 60 * SECOND,
    });
    codePipeline.answerAcknowledge(job.id as string, 'Succeeded');

    await worker.drain(deadlineIn(30 * SECOND));

    expect(processor.runs).toHaveLength(0);
    expect(codePipeline.results).toHaveLength(0);
    expect(await ledgerState(job.id as string)).toBe('succeeded');
  });

  it(`gives up on a job after ${MAX_ATTEMPTS} workers died holding it`, async () => {
    const { codePipeline, worker, ledger, processor } = await setup();
    const job = uniqueJob();
    codePipeline.register(job, 'InProgress');
    const past = Date.now() - 600 * SECOND;
    await ledger.claim({
      jobId: job.id as string,
      nonce: job.nonce as string,
      now: past,
      leaseExpiresAt: past + 1,
    });
    for (let attempt = 2; attempt <= MAX_ATTEMPTS; attempt++) {
      await ledger.takeOver(job.id as string, past + attempt * 10, past + attempt * 10 + 1);
    }

    await worker.drain(deadlineIn(30 * SECOND));

    expect(processor.runs).toHaveLength(0);
    const [result] = codePipeline.resultsFor(job.id as string);
    expect(result?.kind === 'failure' && result.input.failureDetails?.message).toContain(
      `given up after ${MAX_ATTEMPTS} workers stopped`,
    );
  });

  it('runs a job given back unused on earlier dispatches as a first attempt, however many there were', async () => {
    const attempts: number[] = [];
    const { codePipeline, worker, ledger, processor } = await setup({
      processor: countingProcessor(async (_job, context) => {
        attempts.push(context.attempt);
        return { kind: 'success', summary: 'done' };
      }),
    });
    const job = uniqueJob();
    const past = Date.now() - 600 * SECOND;
    // Earlier dispatches claimed and given back before they were acknowledged (no free slot,
    // the stop time, a refused acknowledgement): the processor never ran under them.
    for (let dispatch = 1; dispatch <= MAX_ATTEMPTS + 1; dispatch++) {
      const result = await ledger.claim({
        jobId: job.id as string,
        nonce: `earlier-${dispatch}`,
        now: past + dispatch * 10,
        leaseExpiresAt: past + dispatch * 10 + 1,
      });
      if (result.kind !== 'claimed') throw new Error(`dispatch ${dispatch}: ${result.kind}`);
      expect(result.claim.tries).toBe(1);
      expect(await ledger.release(result.claim, past + dispatch * 10)).toBe(true);
    }
    codePipeline.enqueue(job);

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.succeeded).toBe(1);
    expect(processor.runs).toEqual([job.id]);
    expect(attempts).toEqual([1]);
  });

  it('keeps the claim when the result cannot be reported, for a later invocation', async () => {
    const { codePipeline, worker, ledgerState } = await setup();
    const job = uniqueJob();
    codePipeline.enqueue(job);
    codePipeline.failResults(job.id as string, new Error('ECONNRESET'));

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.reportErrors).toBe(1);
    expect(summary.succeeded).toBe(0);
    expect(await ledgerState(job.id as string)).toBe('claimed');
  });

  it('records a job that no longer takes results as abandoned', async () => {
    const { codePipeline, worker, ledgerState } = await setup();
    const job = uniqueJob();
    codePipeline.enqueue(job);
    codePipeline.failResults(job.id as string, 'InvalidJobState');

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    expect(summary.reportErrors).toBe(1);
    expect(await ledgerState(job.id as string)).toBe('abandoned');
  });

  it('counts a claim the ledger cannot write as a ledger error and leaves the job alone', async () => {
    const processor = countingProcessor();
    // A table that does not exist: every ledger write fails, as after exhausted retries.
    const { codePipeline, worker, metrics } = workerHarness({
      dynamoDb: dynalite.dynamoDb(),
      tableName: 'no-such-table',
      processor,
    });
    codePipeline.enqueue(uniqueJob());

    const summary = await worker.drain(deadlineIn(30 * SECOND));

    // The look-up of expired claims and the claim itself.
    expect(summary.ledgerErrors).toBe(2);
    expect(metrics.total('LedgerErrors')).toBe(2);
    expect(codePipeline.acknowledged).toHaveLength(0);
    expect(codePipeline.results).toHaveLength(0);
    expect(processor.runs).toHaveLength(0);
  });

  it('fails the invocation when polling fails, after publishing its counters', async () => {
    const { codePipeline, worker, metrics } = await setup();
    codePipeline.failPolls(new Error('throttled for good'));

    await expect(worker.drain(deadlineIn(30 * SECOND))).rejects.toBeInstanceOf(DrainError);
    // No successful poll is sent at all: the poll alarm reads its absence as the failure.
    expect(metrics.values.has('PollsSucceeded')).toBe(false);
  });

  it('never lets two drains act on one job, whatever the interleaving', async () => {
    const processor = countingProcessor();
    const tableName = await dynalite.createLedgerTable();
    const dynamoDb = dynalite.dynamoDb();
    const a = workerHarness({ dynamoDb, tableName, processor });
    const b = workerHarness({ dynamoDb, tableName, processor });
    const shared = Array.from({ length: 20 }, () => uniqueJob());
    a.codePipeline.enqueue(...shared);
    b.codePipeline.enqueue(...shared);

    const [sa, sb] = await Promise.all([
      a.worker.drain(deadlineIn(30 * SECOND)),
      b.worker.drain(deadlineIn(30 * SECOND)),
    ]);

    expect(processor.runs.sort()).toEqual(shared.map((job) => job.id).sort());
    expect(sa.succeeded + sb.succeeded).toBe(20);
    expect(sa.duplicates + sb.duplicates).toBe(20);
  });
});
