/**
 * Shared pieces of the reliability suite: a processor that counts its side effects, the
 * worker's real ports built as `createHandler` builds them, EMF sums, ledger reads, waiting.
 */
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach } from 'vitest';
import { CodePipelineJobService } from '../../lambda/adapters/codepipeline-job-service.js';
import { DynamoDbNonceLedger } from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import { createCodePipelineClient, createDynamoDbClient } from '../../lambda/clients.js';
import type { WorkerConfig } from '../../lambda/config.js';
import type { Job } from '../../lambda/job/job.js';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import type { JobProcessor, ProcessingContext } from '../../lambda/job/processor.js';
import type { LocalDynamoDb } from '../../local/dynamodb.js';
import { printFigures } from './reliability-figures.js';

/** One call of the processor. */
export interface ProcessorRun {
  readonly jobId: string;
  readonly nonce: string;
  readonly attempt: number;
  /** Set when `process` returned. */
  completed: boolean;
}

export interface CountingProcessor extends JobProcessor {
  readonly runs: readonly ProcessorRun[];
  /** Side effects started per job id. */
  started(jobId: string): number;
  /** Runs that returned, per job id. */
  completed(jobId: string): number;
}

/**
 * A processor whose every call is a side effect counted per job id (and per nonce, attempt).
 *
 * @param work - what each call does once counted (default: succeed at once)
 */
export function countingProcessor(
  work: (job: Job, context: ProcessingContext) => Promise<JobOutcome> = async () => ({
    kind: 'success',
    summary: 'done',
  }),
): CountingProcessor {
  const runs: ProcessorRun[] = [];
  return {
    name: 'counting',
    runs,
    started: (jobId) => runs.filter((run) => run.jobId === jobId).length,
    completed: (jobId) => runs.filter((run) => run.jobId === jobId && run.completed).length,
    async process(job, context) {
      const run: ProcessorRun = {
        jobId: job.id,
        nonce: job.nonce,
        attempt: context.attempt,
        completed: false,
      };
      runs.push(run);
      const outcome = await work(job, context);
      run.completed = true;
      return outcome;
    },
  };
}

/** Keys that occur more than once in `keys`. */
export function repeated(keys: readonly string[]): string[] {
  const seen = new Map<string, number>();
  for (const key of keys) seen.set(key, (seen.get(key) ?? 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([key]) => key);
}

/** The worker's real adapters on real SDK clients, built exactly as `createHandler` builds them. */
export function realPorts(config: WorkerConfig) {
  return {
    jobs: new CodePipelineJobService({
      actionType: config.actionType,
      secretConfigurationKeys: config.secretConfigurationKeys,
      client: createCodePipelineClient(config),
    }),
    ledger: new DynamoDbNonceLedger({
      tableName: config.ledgerTableName,
      retentionSeconds: config.recordRetentionSeconds,
      client: createDynamoDbClient(config),
    }),
  };
}

/** Sum of the EMF metric `name` over every EMF record. */
export function emfTotal(records: readonly Record<string, unknown>[], name: string): number {
  let total = 0;
  for (const record of records) {
    if (!('_aws' in record)) continue;
    const value = record[name];
    if (typeof value === 'number') total += value;
    else if (Array.isArray(value)) total += value.reduce((sum: number, v) => sum + Number(v), 0);
  }
  return total;
}

/** Every item of the ledger table (consistent scan). */
export async function ledgerItems(
  dynamo: LocalDynamoDb,
  tableName: string,
): Promise<Record<string, AttributeValue>[]> {
  const client = dynamo.client();
  const items: Record<string, AttributeValue>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

/** The ledger item of one job. */
export async function ledgerItem(
  dynamo: LocalDynamoDb,
  tableName: string,
  jobId: string,
): Promise<Record<string, AttributeValue> | undefined> {
  return (await ledgerItems(dynamo, tableName)).find((item) => item.jobId?.S === jobId);
}

/** Waits until `condition` holds, polling every `intervalMs`; throws after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 10_000,
  intervalMs = 10,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A promise that never settles: what a crashed process's pending call looks like. */
export function never<T>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** What a scenario opens: a local stack, a fault proxy, an output tap. */
type Opened = { close(): unknown } | { restore(): unknown };

/**
 * The hooks every reliability scenario file needs: what a test opens through `open` is closed
 * after it, last opened first, and the figures of the file are printed at its end.
 *
 * @example
 * const { open } = scenarioHooks();
 * it('...', async () => {
 *   const stack = open(await startLocalStack());
 *   const tap = open(tapOutput());
 * });
 */
export function scenarioHooks(): { open<T extends Opened>(resource: T): T } {
  const opened: Opened[] = [];
  afterEach(async () => {
    for (const resource of opened.splice(0).reverse()) {
      await ('close' in resource ? resource.close() : resource.restore());
    }
  });
  afterAll(printFigures);
  return {
    open(resource) {
      opened.push(resource);
      return resource;
    },
  };
}
