/**
 * Reliability, re-dispatch: a job dispatched but not acknowledged in time comes back with a new
 * nonce and is finished exactly once; a job re-dispatched while another worker's claim is live
 * is skipped without an acknowledge. The emulator's job clock is moved past its dispatch
 * timeout (30 s) with `advanceTime`.
 */
import { PollForJobsCommand } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { DynamoDbNonceLedger } from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import type { DrainSummary } from '../../lambda/worker/counters.js';
import { DEMO_ACTION_TYPE } from '../../samples/local/worker-env.js';
import { sdkClient } from '../helpers/emulator.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { startLocalStack } from '../helpers/local-stack.js';
import {
  countingProcessor,
  ledgerItem,
  scenarioHooks,
  sleep,
  waitFor,
} from '../helpers/reliability.js';
import {
  processorRunsPerJob,
  recordFigures,
  resultsPerJob,
} from '../helpers/reliability-figures.js';
import { secretHits, tapOutput } from '../helpers/secret-scan.js';

const DISPATCH_TIMEOUT_MS = 30_000;
const ENV = { DEADLINE_MARGIN_MS: '1000', LEASE_GRACE_SECONDS: '0', POWERTOOLS_LOG_LEVEL: 'DEBUG' };

const total = (summaries: DrainSummary[], key: keyof DrainSummary) =>
  summaries.reduce((sum, summary) => sum + summary[key], 0);

describe('re-dispatch', () => {
  const { open } = scenarioHooks();

  it('finishes jobs left un-acknowledged at the deadline under their new nonce, each exactly once', async () => {
    const startedAt = Date.now();
    const stack = open(await startLocalStack({ dispatchTimeoutMs: DISPATCH_TIMEOUT_MS }));
    const { emulator } = stack;
    const ids = Array.from({ length: 20 }, () => stack.enqueue({ BakeTimeSeconds: '0' }));
    let workMs = 400;
    const processor = countingProcessor(async () => {
      await sleep(workMs);
      return { kind: 'success', summary: 'done' };
    });
    const tap = open(tapOutput());

    // A short invocation polls ahead, then reaches its deadline margin holding polled jobs.
    const first = await stack.handler(
      { ...ENV, DEADLINE_MARGIN_MS: '2000', CONCURRENCY: '2', BATCH_SIZE: '2' },
      { processor },
    )(scheduledEvent(), lambdaContext(4_000));
    const leftBehind = ids.filter((id) => emulator.getJob(id)?.status === 'Dispatched');
    expect(first.deferred).toBeGreaterThan(0);
    expect(leftBehind).toHaveLength(first.deferred);
    for (const id of leftBehind) expect(emulator.getJob(id)?.acknowledgements).toHaveLength(0);

    emulator.advanceTime(DISPATCH_TIMEOUT_MS + 1_000);
    workMs = 5;
    const second = await stack.handler(ENV, { processor })(scheduledEvent(), lambdaContext(30_000));

    tap.restore();
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: 're-dispatch: left at the deadline, new nonce',
      jobs: ids.length,
      workers: 2,
      faultsInjected: leftBehind.length,
      duplicatesSkipped: first.duplicates + second.duplicates,
      resultsPerJob: resultsPerJob(emulator, ids),
      processorRunsPerJob: processorRunsPerJob(processor.runs, ids),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    expect(first.succeeded + second.succeeded).toBe(ids.length);
    for (const id of ids) {
      const job = emulator.getJob(id);
      expect(job?.status).toBe('Succeeded');
      expect(job?.results).toHaveLength(1);
      expect(processor.started(id)).toBe(1);
    }
    for (const id of leftBehind) {
      const job = emulator.getJob(id);
      const [stale, fresh] = job?.nonces.map((n) => n.nonce) ?? [];
      expect(job?.nonces).toHaveLength(2);
      // Only the new dispatch was acknowledged and processed.
      expect(job?.acknowledgements.map((a) => [a.nonce, a.outcome])).toEqual([
        [fresh, 'InProgress'],
      ]);
      expect(processor.runs.find((run) => run.jobId === id)?.nonce).toBe(fresh);
      expect(stale).not.toBe(fresh);
    }
  });

  it('skips a re-dispatch while another worker holds a live claim, without acknowledging it', async () => {
    const startedAt = Date.now();
    const stack = open(await startLocalStack({ dispatchTimeoutMs: DISPATCH_TIMEOUT_MS }));
    const { emulator, dynamo, tableName } = stack;
    const jobId = stack.enqueue({ BakeTimeSeconds: '0' });
    // Another worker polled the job and claimed it; it is alive, just slow to acknowledge.
    const client = sdkClient(emulator);
    const polled = await client.send(
      new PollForJobsCommand({ actionTypeId: { ...DEMO_ACTION_TYPE }, maxBatchSize: 1 }),
    );
    client.destroy();
    const firstNonce = polled.jobs?.[0]?.nonce ?? '';
    const ledger = new DynamoDbNonceLedger({
      tableName,
      retentionSeconds: 86_400,
      client: dynamo.client(),
    });
    const live = await ledger.claim({
      jobId,
      nonce: firstNonce,
      now: Date.now(),
      leaseExpiresAt: Date.now() + 15 * 60_000,
    });
    expect(live.kind).toBe('claimed');
    emulator.advanceTime(DISPATCH_TIMEOUT_MS + 1_000);
    const processor = countingProcessor();
    const tap = open(tapOutput());

    const summary = await stack.handler(ENV, { processor })(
      scheduledEvent(),
      lambdaContext(10_000),
    );

    tap.restore();
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: 're-dispatch: live claim in the ledger',
      jobs: 1,
      workers: 1,
      faultsInjected: 1,
      duplicatesSkipped: summary.duplicates,
      resultsPerJob: resultsPerJob(emulator, [jobId]),
      processorRunsPerJob: processorRunsPerJob(processor.runs, [jobId]),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    const job = emulator.getJob(jobId);
    expect(summary).toMatchObject({ polled: 1, claimsLost: 1, acknowledged: 0 });
    expect(job?.nonces).toHaveLength(2);
    expect(job?.nonces[1]?.nonce).not.toBe(firstNonce);
    expect(job?.acknowledgements).toEqual([]);
    expect(job?.results).toEqual([]);
    expect(processor.runs).toEqual([]);
    const item = await ledgerItem(dynamo, tableName, jobId);
    expect(item?.nonces?.SS).toEqual([firstNonce]);
    expect(item?.claimToken?.S).toBe(live.kind === 'claimed' ? live.claim.token : 'none');
  });

  it('finishes a job once when its first worker acknowledges too late: the second dispatch is skipped, the third finished', async () => {
    const startedAt = Date.now();
    const stack = open(await startLocalStack({ dispatchTimeoutMs: DISPATCH_TIMEOUT_MS }));
    const { emulator } = stack;
    const jobId = stack.enqueue({ BakeTimeSeconds: '0' });
    const processor = countingProcessor();
    const tap = open(tapOutput());
    // The first worker's AcknowledgeJob takes 2 s to arrive (slow network, paused sandbox).
    emulator.setFaults({ latencyMs: 2_000, operations: ['AcknowledgeJob'] });

    const slow = stack.handler(ENV, { processor })(scheduledEvent(), lambdaContext(60_000));
    await waitFor(
      () => (emulator.stats().calls.AcknowledgeJob ?? 0) === 1,
      'the first acknowledge to be on its way',
    );
    emulator.setFaults({ latencyMs: 0 });
    // Meanwhile the dispatch times out and the job is handed to a second worker.
    emulator.advanceTime(DISPATCH_TIMEOUT_MS + 1_000);
    const second = await stack.handler(ENV, { processor })(scheduledEvent(), lambdaContext(10_000));
    expect(emulator.getJob(jobId)?.acknowledgements).toEqual([]);
    const first = await slow;
    // The second dispatch also times out; a third worker gets the job.
    emulator.advanceTime(DISPATCH_TIMEOUT_MS + 1_000);
    const third = await stack.handler(ENV, { processor })(scheduledEvent(), lambdaContext(10_000));

    tap.restore();
    const hits = secretHits(tap.text(), emulator.secrets().values);
    const summaries = [first, second, third];
    recordFigures({
      scenario: 're-dispatch: slow first worker, live claim',
      jobs: 1,
      workers: 3,
      faultsInjected: 2,
      duplicatesSkipped: total(summaries, 'duplicates'),
      resultsPerJob: resultsPerJob(emulator, [jobId]),
      processorRunsPerJob: processorRunsPerJob(processor.runs, [jobId]),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    const job = emulator.getJob(jobId);
    const nonces = job?.nonces.map((n) => n.nonce) ?? [];
    expect(nonces).toHaveLength(3);
    expect(second).toMatchObject({ polled: 1, claimsLost: 1, acknowledged: 0 });
    expect(first).toMatchObject({ acknowledgeErrors: 1, acknowledged: 0, succeeded: 0 });
    expect(third).toMatchObject({ acknowledged: 1, succeeded: 1 });
    // The late acknowledge was refused; the second nonce was never acknowledged.
    expect(job?.acknowledgements.map((a) => [a.nonce, a.outcome])).toEqual([
      [nonces[0], 'InvalidNonceException'],
      [nonces[2], 'InProgress'],
    ]);
    expect(job?.status).toBe('Succeeded');
    expect(job?.results).toHaveLength(1);
    expect(processor.runs.map((run) => run.nonce)).toEqual([nonces[2]]);
  });
});
