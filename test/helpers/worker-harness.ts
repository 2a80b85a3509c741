/**
 * A worker wired to the fake CodePipeline (SDK boundary) and a real ledger on dynalite.
 */
import { randomUUID } from 'node:crypto';
import type { Job as SdkJob } from '@aws-sdk/client-codepipeline';
import { type AttributeValue, type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { CodePipelineJobService } from '../../lambda/adapters/codepipeline-job-service.js';
import { DynamoDbNonceLedger } from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import type { ActionTypeId } from '../../lambda/config.js';
import type { JobLogger, JobProcessor } from '../../lambda/job/processor.js';
import type { ExecutionLedger, NonceLedger } from '../../lambda/ports.js';
import type { ContinuationLimits } from '../../lambda/worker/continuation.js';
import { Worker, type WorkerSettings } from '../../lambda/worker/drain.js';
import { ExecutionStops } from '../../lambda/worker/execution-stops.js';
import { SecretScrubber } from '../../lambda/worker/secrets.js';
import { type LocalDynamoDb, startDynalite } from './dynalite.js';
import { FakeCodePipeline } from './fake-codepipeline.js';
import { ACTION_TYPE, type RawJobOverrides, rawJob, SECRET_CONFIGURATION_KEYS } from './jobs.js';
import { RecordingMetrics } from './telemetry.js';

export interface LogRecord {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes?: Record<string, unknown>;
}

export function recordingLogger(records: LogRecord[]): JobLogger {
  const write =
    (level: LogRecord['level']) => (message: string, attributes?: Record<string, unknown>) => {
      records.push({ level, message, attributes });
    };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

export const DEFAULT_SETTINGS: WorkerSettings = {
  batchSize: 10,
  concurrency: 4,
  deadlineMarginMs: 2_000,
  leaseGraceMs: 1_000,
};

export interface HarnessOptions {
  readonly dynamoDb: DynamoDBClient;
  readonly tableName: string;
  readonly processor: JobProcessor;
  readonly settings?: Partial<WorkerSettings>;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform draws in [0, 1) for the jitter of report retries. @default the worker's default */
  readonly random?: () => number;
  /** Where jobs' work directories go. @default the worker's default */
  readonly workRoot?: string;
  /** What the worker uses as its ledger, given the real one. @default the real one */
  readonly wrapLedger?: (ledger: NonceLedger) => NonceLedger;
  /** With it, the worker watches executions' stops (`stops` of the harness). @default none */
  readonly executionLedger?: ExecutionLedger;
  /** Time between two stop checks of a running job, in ms. @default 10 s */
  readonly cancelCheckMs?: number;
  /** Continuation limits (the token's envelope). @default none */
  readonly continuations?: ContinuationLimits;
}

export function workerHarness(options: HarnessOptions) {
  const codePipeline = new FakeCodePipeline();
  const ledger = new DynamoDbNonceLedger({
    tableName: options.tableName,
    retentionSeconds: 86_400,
    client: options.dynamoDb,
  });
  const metrics = new RecordingMetrics();
  const logs: LogRecord[] = [];
  const scrubber = new SecretScrubber();
  const jobs = new CodePipelineJobService({
    actionType: ACTION_TYPE as ActionTypeId,
    secretConfigurationKeys: SECRET_CONFIGURATION_KEYS,
    client: codePipeline.client,
    now: options.now,
  });
  const stops =
    options.executionLedger &&
    new ExecutionStops({
      ledger: options.executionLedger,
      processor: options.processor,
      scrubber,
      metrics,
      now: options.now ?? Date.now,
      sdk: { maxAttempts: 3, requestTimeoutMs: 5_000 },
      checkIntervalMs: options.cancelCheckMs ?? 10_000,
    });
  const worker = new Worker({
    jobs,
    ledger: options.wrapLedger ? options.wrapLedger(ledger) : ledger,
    processor: options.processor,
    logger: recordingLogger(logs),
    metrics,
    scrubber,
    settings: { ...DEFAULT_SETTINGS, ...options.settings },
    now: options.now,
    sleep: options.sleep,
    random: options.random,
    workRoot: options.workRoot,
    continuations: options.continuations,
    cancellations: stops,
  });
  return { codePipeline, jobs, ledger, metrics, logs, scrubber, worker, stops };
}

/** A processor that records every job it runs and answers with `answer`. */
export function countingProcessor(
  answer: JobProcessor['process'] = async () => ({ kind: 'success', summary: 'done' }),
): JobProcessor & { readonly runs: string[] } {
  const runs: string[] = [];
  return {
    name: 'counting',
    runs,
    async process(job, context) {
      runs.push(job.id);
      return answer(job, context);
    },
  };
}

/** A raw job with its own id, nonce and action execution id. */
export function uniqueJob(
  overrides: RawJobOverrides & { readonly actionExecutionId?: string } = {},
): SdkJob {
  const { actionExecutionId, ...rest } = overrides;
  const base = rawJob({ id: randomUUID(), nonce: randomUUID(), ...rest });
  const context = base.data?.pipelineContext;
  return {
    ...base,
    data: {
      ...base.data,
      pipelineContext: {
        ...context,
        action: { ...context?.action, actionExecutionId: actionExecutionId ?? randomUUID() },
      },
    },
  };
}

/** What a test may change in the worker that `workerOnDynalite().setup` builds. */
export type WorkerSetupOptions = Partial<
  Omit<HarnessOptions, 'dynamoDb' | 'tableName' | 'processor'>
> & {
  readonly processor?: ReturnType<typeof countingProcessor>;
};

/**
 * One dynalite server for the calling `describe` block (started before its tests, closed after
 * them), and a `setup` that gives a test its own worker on a fresh ledger table.
 */
export function workerOnDynalite() {
  let db: LocalDynamoDb | undefined;
  let client: DynamoDBClient | undefined;
  beforeAll(async () => {
    db = await startDynalite();
    client = db.client();
  });
  afterAll(() => db?.close());

  const started = () => {
    if (!db || !client) throw new Error('dynalite runs only while the describe block runs');
    return { db, client };
  };
  /** A ledger item as stored, read consistently; `{}` when there is none. */
  const ledgerItem = async (
    tableName: string,
    jobId: string,
  ): Promise<Record<string, AttributeValue>> => {
    const result = await started().client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { jobId: { S: jobId } },
        ConsistentRead: true,
      }),
    );
    return result.Item ?? {};
  };
  const ledgerState = async (tableName: string, jobId: string) =>
    (await ledgerItem(tableName, jobId)).state?.S;

  return {
    /** A client of the server. */
    dynamoDb: () => started().client,
    createLedgerTable: () => started().db.createLedgerTable(),
    ledgerItem,
    ledgerState,
    /** A worker on a fresh ledger table, with the table's items at hand. */
    async setup(options: WorkerSetupOptions = {}) {
      const { db: server, client: dynamoDb } = started();
      const tableName = await server.createLedgerTable();
      const processor = options.processor ?? countingProcessor();
      const harness = workerHarness({ dynamoDb, tableName, processor, ...options });
      return {
        ...harness,
        tableName,
        processor,
        ledgerItem: (jobId: string) => ledgerItem(tableName, jobId),
        ledgerState: (jobId: string) => ledgerState(tableName, jobId),
      };
    },
  };
}
