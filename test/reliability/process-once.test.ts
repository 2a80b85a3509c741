/**
 * Reliability, process once: a processor that returned is never run again. Reports that
 * CodePipeline throttles or fails are sent again within the invocation, and a report recorded
 * before its worker died is sent by the next holder of the claim; only a worker that dies
 * while the processor itself runs makes it run again (attempt 2). Every scenario runs on both
 * DynamoDB implementations the ledger is tested on: dynalite, which ignores
 * ReturnValuesOnConditionCheckFailure (the ledger reads the item on a conflict), and AWS's
 * DynamoDB Local, which returns the old item.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeReport } from '../../lambda/adapters/recorded-report.js';
import { loadConfig } from '../../lambda/config.js';
import type { DrainSummary } from '../../lambda/worker/counters.js';
import { setWorkerEnvironment } from '../../samples/local/worker-env.js';
import { crashAt } from '../helpers/crash-ports.js';
import { type LocalDynamoDb, startDynalite } from '../helpers/dynalite.js';
import { dynamoDbLocalUnavailable, startDynamoDbLocal } from '../helpers/dynamodb-local.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import {
  countingProcessor,
  emfTotal,
  ledgerItem,
  ledgerItems,
  realPorts,
  scenarioHooks,
} from '../helpers/reliability.js';
import {
  processorRunsPerJob,
  recordFigures,
  resultsPerJob,
} from '../helpers/reliability-figures.js';
import { secretHits, tapOutput } from '../helpers/secret-scan.js';

const REPORT_OPERATIONS = ['PutJobSuccessResult', 'PutJobFailureResult'] as const;
const JOBS = 60;
const WORKERS = 4;
const REMAINING_MS = 8_000;

/** Short leases (a claim lives until its invocation's end), metrics on, DEBUG logs. */
const ENV = {
  DEADLINE_MARGIN_MS: '2000',
  LEASE_GRACE_SECONDS: '0',
  CONCURRENCY: '4',
  BATCH_SIZE: '4',
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  POWERTOOLS_METRICS_DISABLED: 'false',
};

const total = (summaries: readonly DrainSummary[], key: keyof DrainSummary) =>
  summaries.reduce((sum, summary) => sum + summary[key], 0);

/** A clock `rounds` invocation lengths ahead: every lease taken by an earlier round is over. */
const later = (rounds: number) => () => Date.now() + rounds * (REMAINING_MS + 1_000);

interface Server {
  readonly name: string;
  start(): Promise<LocalDynamoDb>;
}

const unavailable = dynamoDbLocalUnavailable();
const SERVERS: Server[] = [
  { name: 'dynalite', start: startDynalite },
  ...(unavailable === undefined ? [{ name: 'DynamoDB Local', start: startDynamoDbLocal }] : []),
];

if (unavailable !== undefined) {
  const notice = `[process-once] NOT RUN against DynamoDB Local: ${unavailable}`;
  process.stderr.write(`\n${notice}\n\n`);
  describe('process once on DynamoDB Local', () => {
    it('cannot run on this machine (reason printed above)', () => {
      expect(dynamoDbLocalUnavailable()).toBe(unavailable);
    });
  });
}

describe.each(SERVERS)('process once ($name)', ({ name, start }) => {
  const { open } = scenarioHooks();
  let db: LocalDynamoDb;

  beforeAll(async () => {
    db = await start();
  }, 60_000);
  afterAll(() => db?.close());

  /** A local stack on this server, the worker's environment set for it. */
  async function stack(faults = {}): Promise<LocalStack> {
    const opened = open(await startLocalStack({ faults }, db));
    setWorkerEnvironment(
      { codePipeline: opened.emulator.url, dynamoDb: db.endpoint },
      opened.tableName,
      ENV,
    );
    return opened;
  }

  it(`finishes ${JOBS} jobs through 30% throttling and 30% 5xx on the report calls, ${WORKERS} workers at once, each processor run once`, async () => {
    const startedAt = Date.now();
    const local = await stack({
      throttleRate: 0.3,
      errorRate: 0.3,
      operations: [...REPORT_OPERATIONS],
      seed: 13,
    });
    const { emulator, dynamo, tableName } = local;
    const ids = Array.from({ length: JOBS }, () => local.enqueue({ BakeTimeSeconds: '0' }));
    const processor = countingProcessor(async (job) => ({
      kind: 'success',
      summary: `deployed ${job.id}`,
      outputVariables: { Deployment: job.id },
    }));
    const tap = open(tapOutput());
    const summaries: DrainSummary[] = [];
    const finished = () => ids.every((id) => emulator.getJob(id)?.status === 'Succeeded');

    let rounds = 0;
    while (rounds < 6 && !finished()) {
      const now = later(rounds++);
      summaries.push(
        ...(await Promise.all(
          Array.from({ length: WORKERS }, () =>
            local.handler(ENV, { processor, now })(scheduledEvent(), lambdaContext(REMAINING_MS)),
          ),
        )),
      );
    }

    tap.restore();
    const records = tap.records();
    const faults = emulator.stats().faults;
    const injected = REPORT_OPERATIONS.flatMap((op) => Object.values(faults[op] ?? {}));
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: `process once (${name}): 30% throttling + 30% 5xx on reports, ${rounds} rounds`,
      jobs: JOBS,
      workers: summaries.length,
      faultsInjected: injected.reduce((n: number, v) => n + (v ?? 0), 0),
      duplicatesSkipped: total(summaries, 'duplicates'),
      resultsPerJob: resultsPerJob(emulator, ids),
      processorRunsPerJob: processorRunsPerJob(processor.runs, ids),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    // The faults happened, on the report calls only, and reports were sent more than once.
    expect(faults.PutJobSuccessResult?.throttling ?? 0).toBeGreaterThan(0);
    expect(faults.PutJobSuccessResult?.internalFailure ?? 0).toBeGreaterThan(0);
    expect(Object.keys(faults)).toEqual(['PutJobSuccessResult']);
    expect(total(summaries, 'reportErrors')).toBeGreaterThan(0);
    // Some reports were accepted when the invocation that failed to send them sent them again.
    const lines = (message: string) =>
      new Set(
        records
          .filter((record) => record.message === message)
          .map((record) => `${record.function_request_id} ${record.jobId}`),
      );
    const sentAgain = lines('could not report the result; sending it again');
    const reported = [...lines('job reported')].filter((key) => sentAgain.has(key));
    expect(reported.length).toBeGreaterThan(0);

    // Every job finished once, and every processor ran once: the side effect happened once.
    for (const id of ids) {
      const job = emulator.getJob(id);
      expect(job?.status, id).toBe('Succeeded');
      expect(job?.results, id).toHaveLength(1);
      expect(job?.results[0]?.request).toMatchObject({ outputVariables: { Deployment: id } });
      expect(processor.started(id), id).toBe(1);
    }
    expect(processor.runs).toHaveLength(JOBS);
    expect(total(summaries, 'processorRuns')).toBe(JOBS);
    expect(emfTotal(records, 'ProcessorRuns')).toBe(JOBS);
    expect(total(summaries, 'succeeded')).toBe(JOBS);
    // The ledger agrees, and keeps no report of a finished job.
    const items = await ledgerItems(dynamo, tableName);
    expect(items).toHaveLength(JOBS);
    for (const item of items) {
      expect(item.state?.S).toBe('succeeded');
      expect(item.report).toBeUndefined();
    }
  }, 120_000);

  it('sends the report a killed worker recorded, and does not run the processor again', async () => {
    const startedAt = Date.now();
    const local = await stack();
    const { emulator, dynamo, tableName } = local;
    const jobId = local.enqueue({ BakeTimeSeconds: '0' });
    const processor = countingProcessor(async () => ({
      kind: 'success',
      summary: 'deployed once',
      outputVariables: { Release: 'r-42' },
    }));
    const crash = crashAt('after-record', 'hang', jobId);
    const ports = realPorts(loadConfig(process.env));
    const tap = open(tapOutput());

    // 1. The processor returns, its report is recorded, and the worker dies before sending it.
    local
      .handler(ENV, {
        processor,
        jobs: crash.jobs(ports.jobs),
        ledger: crash.ledger(ports.ledger),
      })(scheduledEvent(), lambdaContext(3_000))
      .catch(() => undefined);
    await crash.reached;
    const left = await ledgerItem(dynamo, tableName, jobId);
    expect(left?.state?.S).toBe('claimed');
    expect(decodeReport(left?.report)).toMatchObject({
      kind: 'success',
      executionDetails: { summary: 'deployed once' },
      outputVariables: { Release: 'r-42' },
    });
    expect(emulator.getJob(jobId)?.results).toEqual([]);
    const detailsBefore = emulator.stats().calls.GetJobDetails ?? 0;

    // 2. Once the lease is over, the next invocation sends the recorded report.
    const summary = await local.handler(ENV, { processor, now: later(1) })(
      scheduledEvent(),
      lambdaContext(10_000),
    );

    tap.restore();
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: `process once (${name}): killed between processor returned and report sent`,
      jobs: 1,
      workers: 2,
      faultsInjected: 1,
      duplicatesSkipped: summary.duplicates,
      resultsPerJob: resultsPerJob(emulator, [jobId]),
      processorRunsPerJob: processorRunsPerJob(processor.runs, [jobId]),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    expect(summary).toMatchObject({ recovered: 1, succeeded: 1, processorRuns: 0 });
    expect(processor.runs.map((run) => run.attempt)).toEqual([1]);
    expect(emulator.stats().calls.GetJobDetails ?? 0).toBe(detailsBefore);
    const job = emulator.getJob(jobId);
    expect(job?.status).toBe('Succeeded');
    expect(job?.results).toHaveLength(1);
    expect(job?.results[0]?.request).toMatchObject({
      executionDetails: { summary: 'deployed once' },
      outputVariables: { Release: 'r-42' },
    });
    const item = await ledgerItem(dynamo, tableName, jobId);
    expect(item?.state?.S).toBe('succeeded');
    expect(item?.report).toBeUndefined();
  });

  it('runs the processor again, as attempt 2, when its worker was killed while it ran', async () => {
    const startedAt = Date.now();
    const local = await stack();
    const { emulator, dynamo, tableName } = local;
    const jobId = local.enqueue({ BakeTimeSeconds: '0' });
    const crash = crashAt('during-processing', 'hang', jobId);
    const processor = countingProcessor(async (_job, context) =>
      context.attempt === 1 ? crash.kill() : { kind: 'success', summary: 'deployed' },
    );
    const ports = realPorts(loadConfig(process.env));
    const tap = open(tapOutput());

    local
      .handler(ENV, {
        processor,
        jobs: crash.jobs(ports.jobs),
        ledger: crash.ledger(ports.ledger),
      })(scheduledEvent(), lambdaContext(3_000))
      .catch(() => undefined);
    await crash.reached;
    const left = await ledgerItem(dynamo, tableName, jobId);
    expect(left?.state?.S).toBe('claimed');
    expect(left?.report).toBeUndefined();

    const summary = await local.handler(ENV, { processor, now: later(1) })(
      scheduledEvent(),
      lambdaContext(10_000),
    );

    tap.restore();
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: `process once (${name}): killed while the processor ran`,
      jobs: 1,
      workers: 2,
      faultsInjected: 1,
      duplicatesSkipped: summary.duplicates,
      resultsPerJob: resultsPerJob(emulator, [jobId]),
      processorRunsPerJob: processorRunsPerJob(processor.runs, [jobId]),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    expect(processor.runs.map((run) => [run.attempt, run.completed])).toEqual([
      [1, false],
      [2, true],
    ]);
    expect(summary).toMatchObject({ recovered: 1, succeeded: 1, processorRuns: 1 });
    expect(emulator.getJob(jobId)?.results).toHaveLength(1);
    expect((await ledgerItem(dynamo, tableName, jobId))?.state?.S).toBe('succeeded');
  });
});
