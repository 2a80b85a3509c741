/**
 * Reliability, faults: throttling and 5xx on CodePipeline (emulator faults) and on DynamoDB
 * (a fault-injecting proxy in front of dynalite, including answers lost after the write was
 * made). Everything finishes, nothing is reported twice, the processor runs at most once per
 * claim, and the worker's error metrics count every call that failed after the SDK's retries.
 */
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createCodePipelineClient, createDynamoDbClient } from '../../lambda/clients.js';
import { loadConfig } from '../../lambda/config.js';
import { COUNTER_METRICS, type DrainSummary } from '../../lambda/worker/counters.js';
import { DrainError } from '../../lambda/worker/drain.js';
import { setWorkerEnvironment } from '../../samples/local/worker-env.js';
import { startDynamoDbFaultProxy } from '../helpers/dynamodb-fault-proxy.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { startLocalStack } from '../helpers/local-stack.js';
import {
  countingProcessor,
  emfTotal,
  ledgerItem,
  ledgerItems,
  realPorts,
  repeated,
  scenarioHooks,
  sleep,
} from '../helpers/reliability.js';
import {
  processorRunsPerJob,
  recordFigures,
  resultsPerJob,
} from '../helpers/reliability-figures.js';
import {
  type CommandOutcome,
  failures,
  freezeAt,
  recordOutcomes,
} from '../helpers/sdk-outcomes.js';
import { secretHits, tapOutput } from '../helpers/secret-scan.js';

const JOBS = 40;
const WORKERS_PER_ROUND = 3;
const REMAINING_MS = 5_000;

describe('faults', () => {
  const { open } = scenarioHooks();

  /** The worker's environment: short leases, 4 SDK attempts, DEBUG logs and EMF on. */
  function workerEnv(dynamoDbEndpoint: string): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDbEndpoint,
      DEADLINE_MARGIN_MS: '2000',
      LEASE_GRACE_SECONDS: '0',
      SDK_MAX_ATTEMPTS: '4',
      CONCURRENCY: '4',
      BATCH_SIZE: '4',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      POWERTOOLS_METRICS_DISABLED: 'false',
    };
  }

  /** One invocation of the handler, as Lambda runs it, and what its clients saw. */
  interface Invocation {
    readonly outcomes: CommandOutcome[];
    /** `ok`, `failed` (the handler threw, e.g. DrainError) or `timedOut` (Lambda's end came first). */
    status: 'running' | 'ok' | 'failed' | 'timedOut';
    summary?: DrainSummary;
  }

  it('finishes every job exactly once through 20% throttling and 20% 5xx on both services, and counts the errors', async () => {
    const startedAt = Date.now();
    const stack = open(
      await startLocalStack({
        dispatchTimeoutMs: 3_000,
        faults: { throttleRate: 0.2, errorRate: 0.2, seed: 5 },
      }),
    );
    const { emulator, dynamo, tableName } = stack;
    const proxy = open(
      await startDynamoDbFaultProxy(dynamo.endpoint, {
        throttleRate: 0.2,
        errorRate: 0.2,
        lostResponseRate: 0.05,
        seed: 8,
      }),
    );
    const ids = Array.from({ length: JOBS }, () => stack.enqueue({ BakeTimeSeconds: '0' }));
    const env = workerEnv(proxy.url);
    setWorkerEnvironment({ codePipeline: emulator.url, dynamoDb: dynamo.endpoint }, tableName, env);
    const config = loadConfig(process.env);
    const processor = countingProcessor();
    const invocations: Invocation[] = [];
    const tap = open(tapOutput());

    const invoke = async (): Promise<void> => {
      const invocation: Invocation = { outcomes: [], status: 'running' };
      invocations.push(invocation);
      const context = lambdaContext(REMAINING_MS);
      const deadline = Date.now() + context.getRemainingTimeInMillis();
      // Clients built as the handler builds them; observed, and frozen at the deadline as
      // Lambda freezes a timed-out invocation (nothing it sends after that reaches anyone).
      const observe = <T>(client: T) =>
        freezeAt(recordOutcomes(client, invocation.outcomes), deadline);
      const handler = stack.handler(env, {
        processor,
        codePipelineClient: observe<CodePipelineClient>(createCodePipelineClient(config)),
        dynamoDbClient: observe<DynamoDBClient>(createDynamoDbClient(config)),
      });
      try {
        invocation.summary = await handler(scheduledEvent(), context);
        invocation.status = 'ok';
      } catch (error) {
        invocation.status = (error as Error).name === 'TimeoutError' ? 'timedOut' : 'failed';
        if (error instanceof DrainError) invocation.summary = error.summary;
      }
    };
    const finished = async () =>
      ids.every((id) => ['Succeeded', 'Failed'].includes(emulator.getJob(id)?.status ?? '')) &&
      (await ledgerItems(dynamo, tableName)).every((item) => item.pendingShard === undefined);
    while (Date.now() - startedAt < 100_000 && !(await finished())) {
      await Promise.all(Array.from({ length: WORKERS_PER_ROUND }, invoke));
      await sleep(200);
    }

    tap.restore();
    const records = tap.records();
    const emulatorFaults = Object.values(emulator.stats().faults).flatMap((byKind) =>
      Object.entries(byKind),
    );
    const emulatorInjected = emulatorFaults.reduce((n, [, v]) => n + (v ?? 0), 0);
    const succeeded = ids.filter((id) => emulator.getJob(id)?.status === 'Succeeded');
    const ended = invocations.filter((i) => i.status === 'ok' || i.status === 'failed');
    const hits = secretHits(tap.text(), emulator.secrets().values);
    const timedOut = invocations.filter((i) => i.status === 'timedOut').length;
    recordFigures({
      scenario: `faults: 20%+20% both sides, 5% lost DynamoDB answers (${succeeded.length} ok, ${timedOut} timed out)`,
      jobs: ids.length,
      workers: invocations.length,
      faultsInjected: emulatorInjected + proxy.injected(),
      duplicatesSkipped: ended.reduce((sum, i) => sum + (i.summary?.duplicates ?? 0), 0),
      resultsPerJob: resultsPerJob(emulator, ids),
      processorRunsPerJob: processorRunsPerJob(processor.runs, ids),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    // Faults really happened, on both services and of every kind.
    expect(emulatorFaults.some(([kind]) => kind === 'throttling')).toBe(true);
    expect(emulatorFaults.some(([kind]) => kind === 'internalFailure')).toBe(true);
    expect(proxy.injected('throttling')).toBeGreaterThan(0);
    expect(proxy.injected('serverError')).toBeGreaterThan(0);
    expect(proxy.injected('lostResponse')).toBeGreaterThan(0);

    // Everything finished, each job with exactly one result call, the ledger agreeing.
    for (const id of ids) {
      const job = emulator.getJob(id);
      expect(job?.results, `results of ${id}`).toHaveLength(1);
      const item = await ledgerItem(dynamo, tableName, id);
      expect(item?.state?.S).toBe(job?.status === 'Succeeded' ? 'succeeded' : 'failed');
    }
    // The processor never fails: only a job whose workers kept stopping may be given up.
    for (const id of ids.filter((id) => !succeeded.includes(id))) {
      expect(emulator.getJob(id)?.results[0]?.request).toMatchObject({
        failureDetails: { message: expect.stringContaining('was given up after') },
      });
    }
    // The processor ran once per job: an invocation frozen at its deadline never stopped one
    // mid-run (it returns at once), and an outcome recorded or sent before the freeze is
    // never computed again.
    expect(repeated(processor.runs.map((run) => run.jobId))).toEqual([]);

    // The error metrics of every invocation that ended (not frozen by a timeout) count each
    // call that still failed after the SDK's retries.
    const seen = ended.flatMap((i) => i.outcomes);
    const failed = (commands: string[], except: string[] = []) => failures(seen, commands, except);
    // One record of counters for each invocation that counted anything (zeros are not
    // published). A timed-out invocation's middleware publishes what the jobs recorded
    // (durations, the oldest expired claim) without the counters, which its drain still holds.
    const counted = ended.filter((i) => Object.values(i.summary ?? {}).some((n) => n !== 0));
    const counters: string[] = Object.values(COUNTER_METRICS);
    expect(counted.length).toBeGreaterThan(0);
    expect(records.filter((r) => '_aws' in r && counters.some((name) => name in r))).toHaveLength(
      counted.length,
    );
    expect(emfTotal(records, 'AcknowledgeErrors')).toBe(failed(['AcknowledgeJobCommand']));
    // A recovered job whose details cannot be read stays unreported: a report error too.
    expect(emfTotal(records, 'ReportErrors')).toBe(
      failed(['PutJobSuccessResultCommand', 'PutJobFailureResultCommand', 'GetJobDetailsCommand']),
    );
    expect(emfTotal(records, 'LedgerErrors')).toBe(
      failed(
        ['UpdateItemCommand', 'GetItemCommand', 'QueryCommand'],
        ['ConditionalCheckFailedException'],
      ),
    );
    expect(ended.filter((i) => i.status === 'failed')).toHaveLength(failed(['PollForJobsCommand']));
    const reported = (command: string) =>
      seen.filter((o) => o.command === command && o.outcome === 'ok').length;
    expect(emfTotal(records, 'JobsSucceeded')).toBe(reported('PutJobSuccessResultCommand'));
    expect(emfTotal(records, 'JobsFailed')).toBe(reported('PutJobFailureResultCommand'));
    // How many calls still fail after the retries is left to chance (the interleaving of
    // requests decides which one meets which fault), so this run proves the counts exact,
    // not non-zero; that errors are counted at all is proved deterministically by the tests
    // below and by test/unit/worker.test.ts.
  }, 120_000);

  /** Text found only in the request body of each ledger write. */
  const LEDGER_WRITES = {
    claim: 'attribute_not_exists(#jobId)',
    takeOver: 'SET #token = :token, #lease = :lease',
    complete: '#completedAt = :now',
  } as const;

  it.each(Object.keys(LEDGER_WRITES) as (keyof typeof LEDGER_WRITES)[])(
    'finishes the job in the same invocation when DynamoDB loses the answer to its %s write',
    async (write) => {
      const startedAt = Date.now();
      const stack = open(await startLocalStack());
      const { emulator, dynamo, tableName } = stack;
      const jobId = stack.enqueue({ BakeTimeSeconds: '0' });
      const env = workerEnv(dynamo.endpoint);
      if (write === 'takeOver') {
        // A worker claimed and acknowledged the job, then died; its lease is over.
        setWorkerEnvironment(
          { codePipeline: emulator.url, dynamoDb: dynamo.endpoint },
          tableName,
          env,
        );
        const ports = realPorts(loadConfig(process.env));
        const [job] = await ports.jobs.poll(1);
        await ports.ledger.claim({
          jobId,
          nonce: job?.nonce ?? '',
          now: Date.now() - 60_000,
          leaseExpiresAt: Date.now() - 30_000,
        });
        await ports.jobs.acknowledge(jobId, job?.nonce ?? '');
      }
      // The write is made, and its answer is lost once: the SDK sends it again.
      const proxy = open(
        await startDynamoDbFaultProxy(dynamo.endpoint, {
          lostResponseRate: 1,
          operations: ['UpdateItem'],
          bodyIncludes: LEDGER_WRITES[write],
          maxFaults: 1,
        }),
      );
      const processor = countingProcessor();
      const tap = open(tapOutput());

      const summary = await stack.handler(
        { ...env, AWS_ENDPOINT_URL_DYNAMODB: proxy.url },
        { processor },
      )(scheduledEvent(), lambdaContext(10_000));

      tap.restore();
      const job = emulator.getJob(jobId);
      const hits = secretHits(tap.text(), emulator.secrets().values);
      recordFigures({
        scenario: `faults: lost answer to the ledger ${write} write (job ${job?.status})`,
        jobs: 1,
        workers: 1,
        faultsInjected: proxy.injected(),
        duplicatesSkipped: summary.duplicates,
        resultsPerJob: resultsPerJob(emulator, [jobId]),
        processorRunsPerJob: processorRunsPerJob(processor.runs, [jobId]),
        secretHits: hits,
        seconds: (Date.now() - startedAt) / 1000,
      });
      expect(hits).toBe(0);
      expect(proxy.injected('lostResponse')).toBe(1);
      expect(job?.status).toBe('Succeeded');
      expect(job?.results).toHaveLength(1);
      expect(processor.started(jobId)).toBe(1);
      expect(summary).toMatchObject({ duplicates: 0, ledgerErrors: 0, succeeded: 1 });
      const item = await ledgerItem(dynamo, tableName, jobId);
      expect(item?.state?.S).toBe('succeeded');
    },
  );

  it('counts a GetJobDetails that fails while recovering an expired claim as an error', async () => {
    const startedAt = Date.now();
    const stack = open(await startLocalStack());
    const { emulator, dynamo, tableName } = stack;
    const jobId = stack.enqueue({ BakeTimeSeconds: '0' });
    const env = workerEnv(dynamo.endpoint);
    setWorkerEnvironment({ codePipeline: emulator.url, dynamoDb: dynamo.endpoint }, tableName, env);
    const ports = realPorts(loadConfig(process.env));
    // A worker claimed and acknowledged the job, then died: its lease is already over.
    const [job] = await ports.jobs.poll(1);
    const claim = await ports.ledger.claim({
      jobId,
      nonce: job?.nonce ?? '',
      now: Date.now() - 60_000,
      leaseExpiresAt: Date.now() - 30_000,
    });
    expect(claim.kind).toBe('claimed');
    expect(await ports.jobs.acknowledge(jobId, job?.nonce ?? '')).toBe('InProgress');
    emulator.setFaults({ errorRate: 1, operations: ['GetJobDetails'] });
    const tap = open(tapOutput());

    const processor = countingProcessor();
    const summary = await stack.handler(env, { processor })(
      scheduledEvent(),
      lambdaContext(10_000),
    );

    tap.restore();
    const records = tap.records();
    const errors = ['AcknowledgeErrors', 'ReportErrors', 'LedgerErrors'].reduce(
      (sum, name) => sum + emfTotal(records, name),
      0,
    );
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: `faults: GetJobDetails fails during recovery (${errors} errors counted)`,
      jobs: 1,
      workers: 1,
      faultsInjected: emulator.stats().faults.GetJobDetails?.internalFailure ?? 0,
      duplicatesSkipped: summary.duplicates,
      resultsPerJob: resultsPerJob(emulator, [jobId]),
      processorRunsPerJob: processorRunsPerJob(processor.runs, [jobId]),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    expect(summary.recovered).toBe(1);
    expect(emulator.stats().faults.GetJobDetails?.internalFailure ?? 0).toBeGreaterThan(0);
    expect(emulator.getJob(jobId)?.results).toEqual([]);
    // The job is held (acknowledged, unreported) until the claim's lease expires again: the
    // invocation must say so in its error metrics, not only in a log line.
    expect(errors).toBeGreaterThan(0);
  });
});
