import { PollForJobsCommand } from '@aws-sdk/client-codepipeline';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbExecutionLedger } from '../../lambda/adapters/dynamodb-execution-ledger.js';
import { loadConfig, type WorkerConfig, WorkerConfigError } from '../../lambda/config.js';
import { createHandler } from '../../lambda/create-handler.js';
import { InvalidEventError } from '../../lambda/events.js';
import { bakeTimeGate } from '../../samples/processors/bake-time-gate.js';
import { type LocalDynamoDb, startDynalite } from '../helpers/dynalite.js';
import { FakeCodePipeline } from '../helpers/fake-codepipeline.js';
import { ACTION_TYPE, SECRET_VALUES } from '../helpers/jobs.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type CapturedOutput, captureOutput } from '../helpers/telemetry.js';
import { uniqueJob } from '../helpers/worker-harness.js';

const ENV = {
  ACTION_CATEGORY: ACTION_TYPE.category,
  ACTION_PROVIDER: ACTION_TYPE.provider,
  ACTION_VERSION: ACTION_TYPE.version,
  SECRET_CONFIGURATION_KEYS: 'ApiToken,WebhookSecret',
  CONCURRENCY: '4',
  DEADLINE_MARGIN_MS: '2000',
};

describe('handler (Middy, Powertools, real ledger)', () => {
  let db: LocalDynamoDb;
  let dynamoDbClient: DynamoDBClient;
  let config: WorkerConfig;
  let codePipeline: FakeCodePipeline;
  let output: CapturedOutput;

  beforeAll(async () => {
    db = await startDynalite();
    dynamoDbClient = db.client();
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'DEBUG');
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'JobWorkerTest');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    config = loadConfig({ ...ENV, LEDGER_TABLE_NAME: await db.createLedgerTable() });
    codePipeline = new FakeCodePipeline();
    output = captureOutput();
  });
  afterEach(() => {
    output.restore();
    vi.unstubAllEnvs();
  });

  const build = (overrides: Partial<Parameters<typeof createHandler>[0]> = {}) =>
    createHandler({
      config,
      processor: bakeTimeGate(),
      codePipelineClient: codePipeline.client,
      dynamoDbClient,
      ...overrides,
    });

  it.each([
    ['a string', 'tick'],
    ['an array', []],
    ['null', null],
    ['an unknown event', { source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }],
    [
      'an event for another action type',
      {
        source: 'aws.codepipeline',
        'detail-type': 'CodePipeline Action Execution State Change',
        detail: {
          state: 'STARTED',
          type: { owner: 'Custom', category: 'Build', provider: 'Other', version: '1' },
        },
      },
    ],
  ])('rejects %s with a clear error before any poll', async (_name, event) => {
    const handler = build();

    await expect(handler(event as never, lambdaContext())).rejects.toBeInstanceOf(
      InvalidEventError,
    );
    expect(codePipeline.mock.commandCalls(PollForJobsCommand)).toHaveLength(0);
  });

  it('logs and counts a rejected event once, in the invocation context, with no other metric', async () => {
    const handler = build();

    await expect(handler({ source: 'aws.s3' }, lambdaContext())).rejects.toBeInstanceOf(
      InvalidEventError,
    );

    const records = output.records();
    const rejections = records.filter((record) => record.level === 'ERROR');
    expect(rejections).toEqual([
      expect.objectContaining({
        message: 'invocation event rejected; nothing polled',
        function_request_id: expect.any(String),
      }),
    ]);
    const emf = records.filter((record) => '_aws' in record);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ EventsRejected: 1 });
    expect(Object.keys(emf[0] ?? {}).filter((key) => /^[A-Z]/.test(key))).toEqual([
      'EventsRejected',
    ]);
  });

  it('drains the queue on a scheduled event and returns the summary', async () => {
    codePipeline.enqueue(
      uniqueJob({ configuration: { BakeTimeSeconds: '0' } }),
      uniqueJob({ configuration: { BakeTimeSeconds: 'soon' } }),
    );
    const handler = build();

    const summary = await handler(scheduledEvent(), lambdaContext());

    expect(summary).toMatchObject({ polled: 2, succeeded: 1, failed: 1 });
    const failure = codePipeline.results.find((result) => result.kind === 'failure');
    expect(failure?.kind === 'failure' && failure.input.failureDetails?.type).toBe(
      'ConfigurationError',
    );
  });

  it('polls again after empty polls on a STARTED event for its action type', async () => {
    const sleeps: number[] = [];
    const handler = build({
      sleep: async (ms) => {
        sleeps.push(ms);
        if (sleeps.length === 1)
          codePipeline.enqueue(uniqueJob({ configuration: { BakeTimeSeconds: '0' } }));
      },
    });
    const event = {
      source: 'aws.codepipeline',
      'detail-type': 'CodePipeline Action Execution State Change',
      detail: { state: 'STARTED', type: { ...ACTION_TYPE, version: 1 } },
    };

    const summary = await handler(event, lambdaContext());

    expect(summary.succeeded).toBe(1);
    expect(sleeps).toHaveLength(1);
  });

  it('handles a stop event without polling: notes it and cancels the waiting execution once', async () => {
    const cancels: string[] = [];
    const processor = {
      ...bakeTimeGate(),
      async cancel(cancellation: { continuationToken: string; reason: string }) {
        cancels.push(`${cancellation.reason} ${cancellation.continuationToken}`);
      },
    };
    const handler = build({ processor });
    const ledger = new DynamoDbExecutionLedger({
      tableName: config.ledgerTableName,
      retentionSeconds: 86_400,
      client: dynamoDbClient,
    });
    await ledger.continued(
      { actionExecutionId: 'exec-stop', jobId: 'job-1' },
      'cpjw1:1:1800000000000:0:bake-until-1800000600000',
      Date.now(),
    );
    const event = {
      source: 'aws.codepipeline',
      'detail-type': 'CodePipeline Action Execution State Change',
      detail: {
        state: 'ABANDONED',
        'action-execution-id': 'exec-stop',
        'execution-id': '0b7c6e2f-3d4a-4b5c-9e8f-7a6b5c4d3e2f',
        pipeline: 'checkout-service',
        stage: 'Production',
        action: 'BakeTime',
        type: { ...ACTION_TYPE, version: 1 },
      },
    };

    const first = await handler(event, lambdaContext());
    await handler(event, lambdaContext());

    expect(codePipeline.mock.commandCalls(PollForJobsCommand)).toHaveLength(0);
    expect(first.polls).toBe(0);
    expect(cancels).toEqual(['abandoned bake-until-1800000600000']);
    expect((await ledger.read('exec-stop'))?.canceled?.reason).toBe('abandoned');
  });

  it('writes structured logs with the job keys and one EMF metrics record', async () => {
    const job = uniqueJob({ configuration: { BakeTimeSeconds: '0' }, actionExecutionId: 'exec-7' });
    codePipeline.enqueue(job);
    const handler = build();

    await handler({}, lambdaContext());

    const records = output.records();
    expect(records).toContainEqual(
      expect.objectContaining({
        message: 'job reported',
        jobId: job.id,
        actionExecutionId: 'exec-7',
        externalExecutionId: 'exec-7',
        service: 'codepipeline-job-worker',
        function_request_id: expect.any(String),
      }),
    );
    const emf = records.filter((record) => '_aws' in record);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({
      JobsSucceeded: 1,
      JobsPolled: 1,
      service: 'codepipeline-job-worker',
    });
    expect(JSON.stringify(emf[0])).toContain('JobWorkerTest');
  });

  it('never writes a secret value, even from a processor that logs the job and throws it', async () => {
    codePipeline.enqueue(uniqueJob(), uniqueJob());
    const handler = build({
      processor: {
        name: 'leaky',
        async process(job, context) {
          context.logger.info('the whole job', { job });
          context.logger.debug('credentials', { creds: job.artifactCredentials });
          const creds = job.artifactCredentials?.reveal();
          context.logger.warn(
            `token ${job.secrets.ApiToken?.reveal()} key ${creds?.secretAccessKey}`,
          );
          throw new Error(
            `failed with ${creds?.sessionToken} and ${job.secrets.WebhookSecret?.reveal()}`,
          );
        },
      },
    });

    await handler(scheduledEvent(), lambdaContext());

    const text = output.text();
    expect(text).toContain('[REDACTED]');
    for (const secret of SECRET_VALUES) expect(text).not.toContain(secret);
    for (const result of codePipeline.results) {
      for (const secret of SECRET_VALUES)
        expect(JSON.stringify(result.input)).not.toContain(secret);
    }
  });
});

describe('handler entry point', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.resetModules();
  });

  it('fails at cold start naming every invalid variable', async () => {
    vi.stubEnv('ACTION_CATEGORY', 'Tests');
    vi.stubEnv('ACTION_PROVIDER', 'BakeTimeGate');
    vi.stubEnv('ACTION_VERSION', '1');
    vi.stubEnv('LEDGER_TABLE_NAME', 'ledger');
    vi.stubEnv('CONCURRENCY', '0');

    const loading = import('../../samples/handlers/bake-time-gate.js');

    await expect(loading).rejects.toBeInstanceOf(WorkerConfigError);
    await expect(loading).rejects.toMatchObject({ variables: ['ACTION_CATEGORY', 'CONCURRENCY'] });
  });

  it('exports a handler when the environment is valid', async () => {
    for (const [key, value] of Object.entries({ ...ENV, LEDGER_TABLE_NAME: 'ledger' })) {
      vi.stubEnv(key, value);
    }
    vi.stubEnv('AWS_REGION', 'us-east-1');

    const module = await import('../../samples/handlers/bake-time-gate.js');

    expect(typeof module.handler).toBe('function');
  });
});
