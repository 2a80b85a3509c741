import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbExecutionLedger } from '../../lambda/adapters/dynamodb-execution-ledger.js';
import { DynamoDbNonceLedger } from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { ExecutionStops } from '../../lambda/worker/execution-stops.js';
import { SecretScrubber } from '../../lambda/worker/secrets.js';
import { type LocalDynamoDb, startDynalite } from '../helpers/dynalite.js';
import { executionLedgerContract } from '../helpers/execution-ledger-contract.js';
import { MemoryExecutionLedger } from '../helpers/memory-execution-ledger.js';
import { RecordingMetrics } from '../helpers/telemetry.js';
import { recordingLogger } from '../helpers/worker-harness.js';

const T0 = 1_800_000_000_000;
const RETENTION = 86_400;

describe('on dynalite', () => {
  let db: LocalDynamoDb;
  let client: DynamoDBClient;
  let tableName: string;

  beforeAll(async () => {
    db = await startDynalite();
    client = db.client();
    tableName = await db.createLedgerTable();
    for (let tries = 0; tries < 100; tries++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  });
  afterAll(() => db.close());

  const ledger = () =>
    new DynamoDbExecutionLedger({ tableName, retentionSeconds: RETENTION, client });

  executionLedgerContract('DynamoDB on dynalite', () => ledger());

  it('keeps an execution in an item of its own: prefixed key, TTL, outside the claims index', async () => {
    await ledger().continued({ actionExecutionId: 'e-1', jobId: 'j-1' }, 'cpjw1:1:2:0:t', T0);
    await ledger().canceled('e-1', 'abandoned', T0 + 1_000);

    const { Item } = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { jobId: { S: 'execution#e-1' } },
        ConsistentRead: true,
      }),
    );
    expect(Item?.actionExecutionId?.S).toBe('e-1');
    expect(Item?.continuationToken?.S).toBe('cpjw1:1:2:0:t');
    expect(Item?.canceledReason?.S).toBe('abandoned');
    expect(Item?.expiresAt?.N).toBe(String((T0 + 1_000) / 1000 + RETENTION));
    expect(Item?.pendingShard).toBeUndefined();
    expect(Item?.state).toBeUndefined();
    const nonces = new DynamoDbNonceLedger({ tableName, retentionSeconds: RETENTION, client });
    expect(await nonces.findExpired(T0 + 10 ** 12, 10)).toEqual([]);
  });

  it('calls cancel exactly once when two invocations handle the same stop event at once', async () => {
    const calls: string[] = [];
    const processor: JobProcessor = {
      name: 'builds',
      async process() {
        return { kind: 'success', summary: 'done' };
      },
      async cancel(cancellation) {
        calls.push(cancellation.continuationToken);
        await new Promise((resolve) => setTimeout(resolve, 20));
      },
    };
    await ledger().continued(
      { actionExecutionId: 'e-twice', jobId: 'j-1' },
      'cpjw1:1:1800000000000:0:build-7',
      T0,
    );
    // Two invocations: each its own client and ledger, as two Lambda instances would have.
    const invocation = () =>
      new ExecutionStops({
        ledger: new DynamoDbExecutionLedger({
          tableName,
          retentionSeconds: RETENTION,
          client: db.client(),
        }),
        processor,
        scrubber: new SecretScrubber(),
        metrics: new RecordingMetrics(),
        now: () => T0,
        sdk: { maxAttempts: 1, requestTimeoutMs: 1_000 },
        checkIntervalMs: 1_000,
      });
    const stop = { state: 'ABANDONED', actionExecutionId: 'e-twice' } as const;

    const results = await Promise.all(
      [invocation(), invocation(), invocation()].map((stops) =>
        stops.stopEvent(stop, Date.now() + 5_000, recordingLogger([])),
      ),
    );

    expect(calls).toEqual(['build-7']);
    expect(results.sort()).toEqual(['canceled', 'taken', 'taken']);
  });
});

executionLedgerContract('in memory', () => new MemoryExecutionLedger());

describe('DynamoDbExecutionLedger.takeCancel', () => {
  it('knows its own write when the SDK sent it again after a lost answer', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(client);
    mock.on(UpdateItemCommand).callsFake(async (input) => {
      // The first attempt landed; its answer was lost; the retry fails its condition.
      throw new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { cancelToken: input.ExpressionAttributeValues[':token'] },
      });
    });
    const ledger = new DynamoDbExecutionLedger({ tableName: 't', retentionSeconds: 1, client });

    expect(await ledger.takeCancel('e-1', T0)).toBe(true);
  });

  it("refuses when another caller's token holds the right, reading the item if not returned", async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(client);
    mock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    mock.on(GetItemCommand).resolves({ Item: { cancelToken: { S: 'someone-else' } } });
    const ledger = new DynamoDbExecutionLedger({ tableName: 't', retentionSeconds: 1, client });

    expect(await ledger.takeCancel('e-1', T0)).toBe(false);
    expect(mock.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });
});
