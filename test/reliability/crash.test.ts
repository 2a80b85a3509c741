/**
 * Reliability, crash: a worker that dies holding a job leaves nothing stuck. Once the claim's
 * lease expires a later invocation finishes the job (or learns it was already reported), and
 * nothing is reported twice. (a) a real worker process killed with SIGKILL after acknowledging;
 * (b) the handler killed at each step of a job's life by decorators on its ports.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config.js';
import type { DrainSummary } from '../../lambda/worker/counters.js';
import { setWorkerEnvironment } from '../../samples/local/worker-env.js';
import { CRASH_STEPS, type CrashMode, type CrashStep, crashAt } from '../helpers/crash-ports.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { startLocalStack } from '../helpers/local-stack.js';
import {
  countingProcessor,
  ledgerItem,
  ledgerItems,
  realPorts,
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

const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./fixtures/crash-worker.ts', import.meta.url));

/** Short leases: a claim lives until its invocation's end (no grace). */
const ENV = {
  DEADLINE_MARGIN_MS: '1000',
  LEASE_GRACE_SECONDS: '0',
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
};

const total = (summaries: DrainSummary[], key: keyof DrainSummary) =>
  summaries.reduce((sum, summary) => sum + summary[key], 0);

describe('crash: a worker killed holding a job', () => {
  let worker: ChildProcess | undefined;

  /** Kills the worker process and the processes it started (its own process group). */
  const killWorker = (child: ChildProcess) => {
    if (child.pid === undefined) throw new Error('the worker process has no pid');
    process.kill(-child.pid, 'SIGKILL');
  };

  const { open } = scenarioHooks();
  afterEach(() => {
    if (worker && worker.exitCode === null && worker.signalCode === null) killWorker(worker);
    worker = undefined;
  });

  it('finishes the jobs of a worker process SIGKILLed after acknowledging, once its leases expire', async () => {
    const startedAt = Date.now();
    const stack = open(await startLocalStack());
    const tap = open(tapOutput());
    const { emulator, dynamo, tableName } = stack;
    const ids = Array.from({ length: 3 }, () => stack.enqueue({ BakeTimeSeconds: '0' }));
    setWorkerEnvironment({ codePipeline: emulator.url, dynamoDb: dynamo.endpoint }, tableName, {
      ...ENV,
      CONCURRENCY: '3',
      BATCH_SIZE: '3',
      CRASH_REMAINING_MS: '4000',
    });
    // Its own process group, so that SIGKILL reaches tsx and the node process it runs.
    const child = spawn(TSX, [FIXTURE], {
      env: { ...process.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    worker = child;
    let childOutput = '';
    child.stdout.on('data', (chunk: Buffer) => {
      childOutput += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      childOutput += chunk.toString();
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );

    await waitFor(
      () => ids.every((id) => childOutput.includes(`acknowledged ${id}`)),
      'the worker process to acknowledge its jobs',
      25_000,
    );
    killWorker(child);
    expect(await exited).toBe('SIGKILL');

    // Killed mid-job: every job is InProgress, claimed in the ledger, and unreported.
    const items = await ledgerItems(dynamo, tableName);
    for (const id of ids) {
      expect(emulator.getJob(id)?.status).toBe('InProgress');
      expect(items.find((item) => item.jobId?.S === id)?.state?.S).toBe('claimed');
    }
    const leaseExpiresAt = Math.max(...items.map((item) => Number(item.leaseExpiresAt?.N)));
    // Wait for the leases, and past the moment the dead worker would have reported a timeout.
    await sleep(Math.max(0, leaseExpiresAt - Date.now()) + 250);
    for (const id of ids) expect(emulator.getJob(id)?.results).toHaveLength(0);

    const processor = countingProcessor();
    const summary = await stack.handler({ ...ENV, CONCURRENCY: '3' }, { processor })(
      scheduledEvent(),
      lambdaContext(10_000),
    );

    tap.restore();
    tap.add(childOutput);
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: 'crash: worker process SIGKILLed after acknowledge',
      jobs: ids.length,
      workers: 2,
      faultsInjected: 1,
      duplicatesSkipped: summary.duplicates,
      resultsPerJob: resultsPerJob(emulator, ids),
      // The killed process started each job's processor once; the recovery, once more.
      processorRunsPerJob: processorRunsPerJob(
        [
          ...ids
            .filter((id) => childOutput.includes(`acknowledged ${id}`))
            .map((jobId) => ({ jobId })),
          ...processor.runs,
        ],
        ids,
      ),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    expect(summary).toMatchObject({ recovered: 3, acknowledged: 3, succeeded: 3 });
    for (const id of ids) {
      const job = emulator.getJob(id);
      expect(job?.status).toBe('Succeeded');
      expect(job?.results).toHaveLength(1);
      // The dead worker's acknowledge, then the recovery's, both with the one nonce it had.
      expect(job?.nonces).toHaveLength(1);
      expect(job?.acknowledgements.map((a) => [a.nonce, a.outcome])).toEqual([
        [job?.nonces[0]?.nonce, 'InProgress'],
        [job?.nonces[0]?.nonce, 'InProgress'],
      ]);
      expect(processor.runs.filter((run) => run.jobId === id).map((run) => run.attempt)).toEqual([
        2,
      ]);
      expect((await ledgerItem(dynamo, tableName, id))?.state?.S).toBe('succeeded');
    }
  });

  interface CrashCase {
    readonly label: string;
    readonly step: CrashStep;
    readonly mode: CrashMode;
    /** The dispatch also timed out while the worker was dead: the job comes back with a new nonce. */
    readonly redispatched?: boolean;
  }
  const CASES: CrashCase[] = [
    ...CRASH_STEPS.map((step) => ({ label: `died ${step}`, step, mode: 'hang' as const })),
    {
      label: 'died after-claim, and the dispatch timed out meanwhile',
      step: 'after-claim',
      mode: 'hang',
      redispatched: true,
    },
    { label: 'lost the answer to its claim', step: 'after-claim', mode: 'throw' },
    { label: 'lost the answer to its acknowledge', step: 'after-acknowledge', mode: 'throw' },
    { label: 'lost the answer to its report', step: 'after-report', mode: 'throw' },
  ];

  it.each(CASES)(
    'finishes a job exactly once after its worker $label',
    async ({ step, mode, redispatched }) => {
      const startedAt = Date.now();
      const stack = open(await startLocalStack());
      const tap = open(tapOutput());
      const { emulator, dynamo, tableName } = stack;
      const jobId = stack.enqueue({ BakeTimeSeconds: '0' });
      setWorkerEnvironment(
        { codePipeline: emulator.url, dynamoDb: dynamo.endpoint },
        tableName,
        ENV,
      );
      const crash = crashAt(step, mode, jobId);
      let killed = false;
      const processor = countingProcessor(async () => {
        if (step === 'during-processing' && !killed) {
          killed = true;
          return crash.kill();
        }
        return { kind: 'success', summary: 'done' };
      });
      const ports = realPorts(loadConfig(process.env));
      const summaries: DrainSummary[] = [];

      // 1. The worker dies (hang) or loses an answer (throw) at the step.
      const crashed = stack.handler(ENV, {
        processor,
        jobs: crash.jobs(ports.jobs),
        ledger: crash.ledger(ports.ledger),
      })(scheduledEvent(), lambdaContext(3_000));
      if (mode === 'hang') {
        crashed.catch(() => undefined);
        await crash.reached;
      } else {
        summaries.push(await crashed);
      }
      const resultsAfterCrash = emulator.getJob(jobId)?.results.length;
      const acksAfterCrash = emulator.getJob(jobId)?.acknowledgements.length;
      expect(resultsAfterCrash).toBe(step === 'after-report' ? 1 : 0);
      expect((await ledgerItem(dynamo, tableName, jobId))?.state?.S).toBe('claimed');

      // 2. While the lease is live, another invocation leaves the job alone.
      const early = await stack.handler(ENV, { processor })(scheduledEvent(), lambdaContext(3_000));
      summaries.push(early);
      expect(early).toMatchObject({ polled: 0, recovered: 0, acknowledged: 0 });
      expect(emulator.getJob(jobId)?.results).toHaveLength(resultsAfterCrash ?? -1);
      expect(emulator.getJob(jobId)?.acknowledgements).toHaveLength(acksAfterCrash ?? -1);

      // 3. After the lease, a later invocation (its clock past the lease) finishes the job.
      if (redispatched) emulator.advanceTime(31_000);
      const finished = async () =>
        emulator.getJob(jobId)?.status === 'Succeeded' &&
        (await ledgerItem(dynamo, tableName, jobId))?.state?.S === 'succeeded';
      let later = 0;
      do {
        // A re-dispatch skipped while the claim was being taken over comes back 30 s later.
        if (later > 0) emulator.advanceTime(31_000);
        later++;
        const offset = later * 120_000;
        summaries.push(
          await stack.handler(ENV, { processor, now: () => Date.now() + offset })(
            scheduledEvent(),
            lambdaContext(10_000),
          ),
        );
      } while (later < 3 && !(await finished()));

      tap.restore();
      const hits = secretHits(tap.text(), emulator.secrets().values);
      recordFigures({
        scenario: `crash: ${step} (${mode}${redispatched ? ', redispatched' : ''})`,
        jobs: 1,
        workers: summaries.length + (mode === 'hang' ? 1 : 0),
        faultsInjected: 1,
        duplicatesSkipped: total(summaries, 'duplicates'),
        resultsPerJob: resultsPerJob(emulator, [jobId]),
        processorRunsPerJob: processorRunsPerJob(processor.runs, [jobId]),
        secretHits: hits,
        seconds: (Date.now() - startedAt) / 1000,
      });
      expect(hits).toBe(0);
      const job = emulator.getJob(jobId);
      expect(job?.status).toBe('Succeeded');
      expect(job?.results).toHaveLength(1);
      expect(later).toBeLessThanOrEqual(redispatched ? 3 : 1);
      expect(processor.completed(jobId)).toBe(1);
      expect(processor.started(jobId)).toBe(step === 'during-processing' ? 2 : 1);
      expect(total(summaries, 'recovered')).toBeGreaterThanOrEqual(1);
      if (step === 'after-report') {
        // Recovery acknowledged with the stored nonce, read Succeeded, and reported nothing.
        expect(job?.acknowledgements.at(-1)?.outcome).toBe('Succeeded');
        expect(total(summaries.slice(1), 'succeeded')).toBe(0);
      }
      if (redispatched) {
        expect(job?.nonces.length).toBeGreaterThanOrEqual(2);
        const accepted = job?.acknowledgements.filter((a) => a.outcome === 'InProgress') ?? [];
        expect(accepted.map((a) => a.nonce)).toEqual([job?.currentNonce]);
      }
      expect((await ledgerItem(dynamo, tableName, jobId))?.state?.S).toBe('succeeded');
    },
  );
});
