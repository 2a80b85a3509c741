/**
 * Composes the Lambda handler: the worker, its adapters, and the Powertools middleware.
 * `handler.ts` calls this with the environment's configuration; tests call it with their own
 * clients or ports.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { CodePipelineJobService } from './adapters/codepipeline-job-service.js';
import { DynamoDbNonceLedger } from './adapters/dynamodb-nonce-ledger.js';
import { createCodePipelineClient, createDynamoDbClient } from './clients.js';
import type { WorkerConfig } from './config.js';
import { parseTrigger } from './events.js';
import type { JobService, NonceLedger } from './ports.js';
import { createPowertools, type Powertools, workerLogger } from './powertools.js';
import { createProcessor } from './processors/index.js';
import type { JobProcessor } from './processors/job-processor.js';
import type { DrainSummary } from './worker/counters.js';
import { Worker } from './worker/drain.js';
import { SecretScrubber } from './worker/secrets.js';

/** Empty polls retried after a STARTED event: the job may not be pollable yet. */
const EVENT_EMPTY_POLL_RETRIES = 3;

export interface HandlerDeps {
  readonly config: WorkerConfig;
  /** @default a CodePipelineClient with the config's retry and timeout settings */
  readonly codePipelineClient?: CodePipelineClient;
  /** @default a DynamoDBClient with the config's retry and timeout settings */
  readonly dynamoDbClient?: DynamoDBClient;
  /** @default the CodePipeline adapter on `codePipelineClient` */
  readonly jobs?: JobService;
  /** @default the DynamoDB adapter on `dynamoDbClient` */
  readonly ledger?: NonceLedger;
  /** @default the processor `config.processorName` names */
  readonly processor?: JobProcessor;
  readonly scrubber?: SecretScrubber;
  readonly powertools?: Powertools;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default true: whether the ledger asks DynamoDB for the old item on a conflict */
  readonly returnOldItemOnConflict?: boolean;
}

/**
 * Builds the Middy handler.
 *
 * @param deps - the configuration, and any collaborator to use instead of the default
 * @example
 * export const handler = createHandler({ config: loadConfig(process.env) });
 */
export function createHandler(deps: HandlerDeps) {
  const { config } = deps;
  const scrubber = deps.scrubber ?? new SecretScrubber();
  const { logger, metrics, tracer } = deps.powertools ?? createPowertools(scrubber);
  const processor = deps.processor ?? createProcessor(config.processorName);
  // The SDK clients are deliberately not wrapped with `tracer.captureAWSv3Client`: a drain makes
  // several calls per job, and a subsegment per call costs CPU on every job and soon overflows
  // X-Ray's trace document size limit, truncating the invocation's trace (BENCHMARKS.md has
  // the figures). The handler's own subsegment (captureLambdaHandler below) carries the cold
  // start, the errors and the drain summary.
  const jobs =
    deps.jobs ??
    new CodePipelineJobService({
      actionType: config.actionType,
      secretConfigurationKeys: config.secretConfigurationKeys,
      client: deps.codePipelineClient ?? createCodePipelineClient(config),
      onMalformedJob: (error) => logger.error('malformed job skipped', { error: error.message }),
    });
  const ledger =
    deps.ledger ??
    new DynamoDbNonceLedger({
      tableName: config.ledgerTableName,
      retentionSeconds: config.recordRetentionSeconds,
      client: deps.dynamoDbClient ?? createDynamoDbClient(config),
      returnOldItemOnConflict: deps.returnOldItemOnConflict,
    });
  const now = deps.now ?? Date.now;
  const worker = new Worker({
    jobs,
    ledger,
    processor,
    logger: workerLogger(logger),
    metrics,
    scrubber,
    settings: config,
    now,
    sleep: deps.sleep,
    sdk: { maxAttempts: config.sdkMaxAttempts, requestTimeoutMs: config.sdkRequestTimeoutMs },
  });

  const lambdaHandler = async (event: unknown, context: Context): Promise<DrainSummary> => {
    const trigger = parseTrigger(event, config.actionType);
    logger.info('invocation started', { trigger: trigger.kind });
    const summary = await worker.drain({
      deadline: now() + context.getRemainingTimeInMillis(),
      emptyPollRetries: trigger.kind === 'action-started' ? EVENT_EMPTY_POLL_RETRIES : 0,
    });
    logger.info('invocation finished', { summary });
    return summary;
  };

  return middy(lambdaHandler)
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics, { captureColdStartMetric: true }))
    .use(injectLambdaContext(logger));
}
