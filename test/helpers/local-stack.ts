/**
 * The whole local stack for integration tests: the CodePipeline emulator and dynalite on
 * loopback, the demo action type, a ledger table, and handlers built exactly as the entry
 * point builds them (configuration from the environment, real SDK clients whose endpoints
 * come from AWS_ENDPOINT_URL_*), so every call crosses the real wire protocol.
 */
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { vi } from 'vitest';
import { loadConfig } from '../../lambda/config.js';
import { createHandler, type HandlerDeps } from '../../lambda/create-handler.js';
import { type LocalDynamoDb, startDynalite } from '../../local/dynamodb.js';
import {
  type EmulatorOptions,
  type JobView,
  type RunningEmulator,
  startEmulator,
} from '../../local/emulator/index.js';
import { jobChain } from '../../local/job-chain.js';
import {
  DEMO_ACTION_TYPE,
  registerDemoActionType,
  setWorkerEnvironment,
} from '../../samples/local/worker-env.js';
import { bakeTimeGate } from '../../samples/processors/bake-time-gate.js';

export interface LocalStack {
  readonly emulator: RunningEmulator;
  readonly dynamo: LocalDynamoDb;
  readonly tableName: string;
  /** A handler as the entry point builds it; `env` adds worker variables. */
  handler(
    env?: Record<string, string>,
    deps?: Partial<HandlerDeps>,
  ): ReturnType<typeof createHandler>;
  /** Queues a demo-type job; returns its id. */
  enqueue(configuration: Record<string, string>): string;
  /** The job, following its continuation chain to the last job. */
  chain(jobId: string): JobView[];
  close(): Promise<void>;
}

/**
 * Starts the emulator and, unless one is given, dynalite.
 *
 * @param options - the emulator's options (faults, clock, dispatch timeout)
 * @param shared - a DynamoDB-compatible server to use instead of a dynalite of its own (DynamoDB
 *   Local, say); the stack creates its table there and leaves the server running on close
 */
export async function startLocalStack(
  options: EmulatorOptions = {},
  shared?: LocalDynamoDb,
): Promise<LocalStack> {
  const emulator = await startEmulator(options);
  const dynamo = shared ?? (await startDynalite());
  const admin = new CodePipelineClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulator.credentials,
  });
  await registerDemoActionType(admin);
  admin.destroy();
  const tableName = await dynamo.createLedgerTable();
  const saved = { ...process.env };
  return {
    emulator,
    dynamo,
    tableName,
    handler(env = {}, deps = {}) {
      // Handlers are built from the environment, exactly as an entry file builds them.
      setWorkerEnvironment(
        { codePipeline: emulator.url, dynamoDb: dynamo.endpoint },
        tableName,
        env,
      );
      return createHandler({
        ...deps,
        config: loadConfig(process.env),
        processor: deps.processor ?? bakeTimeGate(),
      });
    },
    enqueue(configuration) {
      return emulator.enqueueJob({
        actionTypeId: { ...DEMO_ACTION_TYPE },
        configuration: { NotifyToken: `ntk-${crypto.randomUUID()}`, ...configuration },
      });
    },
    chain: (jobId) => jobChain(emulator, jobId),
    async close() {
      process.env = saved;
      vi.unstubAllEnvs();
      await emulator.close();
      if (!shared) await dynamo.close();
    },
  };
}
