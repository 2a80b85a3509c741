/**
 * Composes the Lambda handler: the worker, its adapters, and the Powertools middleware.
 * {@link createJobWorkerHandler} is what a function's entry file calls with its processor;
 * {@link createHandler} takes the configuration and any collaborator explicitly (tests, local
 * runs).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { CodePipelineJobService } from './adapters/codepipeline-job-service.js';
import { DynamoDbExecutionLedger } from './adapters/dynamodb-execution-ledger.js';
import { DynamoDbNonceLedger } from './adapters/dynamodb-nonce-ledger.js';
import { createCodePipelineClient, createDynamoDbClient } from './clients.js';
import { loadConfig, type WorkerConfig } from './config.js';
import type { Trigger } from './events.js';
import type { JobProcessor } from './job/processor.js';
import { triggerValidation } from './middleware/trigger-validation.js';
import type { ExecutionLedger, JobService, NonceLedger } from './ports.js';
import { createPowertools, type Powertools, workerLogger } from './powertools.js';
import { mapStackTracesLazily } from './source-maps.js';
import { type DrainSummary, emptySummary } from './worker/counters.js';
import { Worker } from './worker/drain.js';
import { ExecutionStops } from './worker/execution-stops.js';
import { SecretScrubber } from './worker/secrets.js';

/** Empty polls retried after a STARTED event: the job may not be pollable yet. */
const EVENT_EMPTY_POLL_RETRIES = 3;

/** Collaborators of the handler; every one has a default built from the configuration. */
export interface HandlerOptions {
  /** @default a CodePipelineClient with the configuration's retry and timeout settings */
  readonly codePipelineClient?: CodePipelineClient;
  /** @default a DynamoDBClient with the configuration's retry and timeout settings */
  readonly dynamoDbClient?: DynamoDBClient;
  /** @default the CodePipeline adapter on `codePipelineClient` */
  readonly jobs?: JobService;
  /** @default the DynamoDB adapter on `dynamoDbClient` */
  readonly ledger?: NonceLedger;
  /** The action executions' items (stops, last tokens). @default the DynamoDB adapter on `dynamoDbClient`, in the same table */
  readonly executionLedger?: ExecutionLedger;
  readonly scrubber?: SecretScrubber;
  readonly powertools?: Powertools;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default true: whether the ledger asks DynamoDB for the old item on a conflict */
  readonly returnOldItemOnConflict?: boolean;
  /** Where jobs' work directories are made. @default under the OS temp dir */
  readonly workRoot?: string;
}

export interface HandlerDeps extends HandlerOptions {
  readonly config: WorkerConfig;
  readonly processor: JobProcessor;
}

/** Options of {@link createJobWorkerHandler}. */
export interface JobWorkerHandlerOptions extends HandlerOptions {
  /** Where the configuration is read from. @default process.env */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The Lambda handler: invoked with a schedule, STARTED or `{}` event, it drains the queue;
 * with a stop event (ABANDONED, CANCELED, FAILED) of its action type, it notes the stop and
 * cancels the execution's waiting work.
 */
export type JobWorkerHandler = ((event: unknown, context: Context) => Promise<DrainSummary>) &
  ReturnType<typeof middy>;

/**
 * Turns a job processor into the worker's Lambda handler: configuration read from the
 * environment the construct sets (once, at cold start: a bad value fails the function's
 * initialisation with an error that names the variable), the CodePipeline and DynamoDB
 * adapters, the drain, and Powertools logging, metrics and tracing as Middy middleware.
 *
 * @param processor - does one job's work
 * @param options - collaborators to use instead of the defaults (tests, local runs)
 * @throws WorkerConfigError naming every missing or invalid variable
 * @example
 * // src/handler.ts: the `entry` of a CustomActionJobWorker
 * import { createJobWorkerHandler } from 'codepipeline-job-worker';
 * import { securityScan } from './security-scan.js';
 *
 * export const handler = createJobWorkerHandler(securityScan);
 */
export function createJobWorkerHandler(
  processor: JobProcessor,
  options: JobWorkerHandlerOptions = {},
): JobWorkerHandler {
  // First, so that an error in the configuration is reported with its source position.
  mapStackTracesLazily(import.meta.url);
  const { env, ...rest } = options;
  return createHandler({ ...rest, processor, config: loadConfig(env ?? process.env) });
}

/**
 * Builds the Middy handler from an explicit configuration.
 *
 * @param deps - the configuration, the processor, and any collaborator to use instead of the default
 */
export function createHandler(deps: HandlerDeps): JobWorkerHandler {
  const { config, processor } = deps;
  const scrubber = deps.scrubber ?? new SecretScrubber();
  const { logger, metrics, tracer } = deps.powertools ?? createPowertools(scrubber);
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
      queryParam: config.queryParam,
      client: deps.codePipelineClient ?? createCodePipelineClient(config),
      onMalformedJob: (error) => logger.error('malformed job skipped', { error: error.message }),
    });
  const dynamoDbClient =
    deps.dynamoDbClient ??
    (deps.ledger && deps.executionLedger ? undefined : createDynamoDbClient(config));
  const ledger =
    deps.ledger ??
    new DynamoDbNonceLedger({
      tableName: config.ledgerTableName,
      retentionSeconds: config.recordRetentionSeconds,
      client: dynamoDbClient,
      returnOldItemOnConflict: deps.returnOldItemOnConflict,
    });
  const now = deps.now ?? Date.now;
  const sdk = { maxAttempts: config.sdkMaxAttempts, requestTimeoutMs: config.sdkRequestTimeoutMs };
  const stops = new ExecutionStops({
    ledger:
      deps.executionLedger ??
      new DynamoDbExecutionLedger({
        tableName: config.ledgerTableName,
        retentionSeconds: config.recordRetentionSeconds,
        client: dynamoDbClient,
      }),
    processor,
    scrubber,
    metrics,
    now,
    sdk,
    checkIntervalMs: config.cancelCheckMs,
  });
  const worker = new Worker({
    jobs,
    ledger,
    processor,
    continuations: {
      maxContinuations: config.maxContinuations,
      maxAgeMs: config.maxContinuationAgeMs,
    },
    logger: workerLogger(logger),
    metrics,
    scrubber,
    settings: config,
    now,
    sleep: deps.sleep,
    sdk,
    workRoot: deps.workRoot,
    cancellations: stops,
  });

  // The event reaches the handler already checked: triggerValidation replaces it with its Trigger.
  const lambdaHandler = async (trigger: Trigger, context: Context): Promise<DrainSummary> => {
    logger.info('invocation started', { trigger: trigger.kind });
    if (trigger.kind === 'action-stopped') {
      // A stop makes no job pollable: draining the queue here would only spend this
      // invocation's time (and a poll) on what the schedule and STARTED events already do, and
      // hold the cancel back behind the jobs it took. The stop is noted, and the processor's
      // cancel called when the execution waits between continuations; a job of it that runs
      // now learns of the stop from its watch.
      const { kind: _kind, ...stop } = trigger;
      await stops.stopEvent(
        stop,
        now() + context.getRemainingTimeInMillis() - config.deadlineMarginMs,
        workerLogger(logger),
      );
      const summary = emptySummary();
      logger.info('invocation finished', { summary });
      return summary;
    }
    const summary = await worker.drain({
      deadline: now() + context.getRemainingTimeInMillis(),
      emptyPollRetries: trigger.kind === 'action-started' ? EVENT_EMPTY_POLL_RETRIES : 0,
    });
    logger.info('invocation finished', { summary });
    return summary;
  };

  // Cold starts are not a metric: the REPORT line of each one gives its Init Duration, and a
  // metric published once an hour would cost as much as one published every minute.
  return middy(lambdaHandler as (event: unknown, context: Context) => Promise<DrainSummary>)
    .use(captureLambdaHandler(tracer))
    .use(logMetrics(metrics))
    .use(injectLambdaContext(logger))
    .use(triggerValidation({ actionType: config.actionType, logger, metrics })) as JobWorkerHandler;
}
