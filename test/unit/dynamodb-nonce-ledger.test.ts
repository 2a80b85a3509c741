import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import {
  classifyConflict,
  DynamoDbNonceLedger,
} from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import { decodeRecord } from '../../lambda/adapters/ledger-record.js';

/*
 * The ledger's behaviour against a real DynamoDB-compatible server (claims, holders, expiry,
 * concurrency) is the contract in test/helpers/ledger-contract.ts, run against dynalite and
 * DynamoDB Local by test/reliability/ledger-contract.test.ts. Here: conflict handling with a
 * mocked client, where the server's answer can be chosen exactly.
 */

const JOB = '11111111-2222-4333-8444-555555555555';
const T0 = 1_800_000_000_000;

describe('DynamoDbNonceLedger conflict classification', () => {
  it('uses the old item DynamoDB returns on a failed condition, without reading it', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(client);
    mock.on(UpdateItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: { jobId: { S: JOB }, nonces: { SS: ['n0'] }, state: { S: 'claimed' } },
      }),
    );
    const ledger = new DynamoDbNonceLedger({ tableName: 't', retentionSeconds: 1, client });

    const result = await ledger.claim({ jobId: JOB, nonce: 'n1', now: T0, leaseExpiresAt: T0 + 1 });

    expect(result).toEqual({ kind: 'held' });
    expect(mock.commandCalls(GetItemCommand)).toHaveLength(0);
    expect(
      mock.commandCalls(UpdateItemCommand)[0]?.args[0].input.ReturnValuesOnConditionCheckFailure,
    ).toBe('ALL_OLD');
  });

  it('reads the item when the server does not return it', async () => {
    const client = new DynamoDBClient({
      region: 'us-east-1',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    });
    const mock = mockClient(client);
    mock
      .on(UpdateItemCommand)
      .rejects(new ConditionalCheckFailedException({ message: 'failed', $metadata: {} }));
    mock.on(GetItemCommand).resolves({
      Item: { jobId: { S: JOB }, nonces: { SS: ['n1'] }, state: { S: 'claimed' } },
    });
    const ledger = new DynamoDbNonceLedger({ tableName: 't', retentionSeconds: 1, client });

    const result = await ledger.claim({ jobId: JOB, nonce: 'n1', now: T0, leaseExpiresAt: T0 + 1 });

    expect(result).toEqual({ kind: 'duplicate' });
    expect(mock.commandCalls(GetItemCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it.each<[Record<string, AttributeValue>, string]>([
    [{ nonces: { SS: ['n1'] }, state: { S: 'succeeded' } }, 'duplicate'],
    [{ nonces: { SS: ['n0'] }, state: { S: 'succeeded' } }, 'finished'],
    [{ nonces: { SS: ['n0'] }, state: { S: 'abandoned' } }, 'finished'],
    [{ nonces: { SS: ['n0'] }, state: { S: 'claimed' } }, 'held'],
    [{ nonces: { SS: ['n0'] }, state: { S: 'released' } }, 'held'],
    [{ nonces: { SS: ['n0'] }, state: { S: 'a-state-from-a-later-version' } }, 'finished'],
  ])('classifies %j as %s for nonce n1', (item, kind) => {
    expect(classifyConflict(decodeRecord({ jobId: { S: JOB }, ...item }), 'n1')).toEqual({ kind });
  });

  it('classifies a vanished item as a stale dispatch', () => {
    expect(classifyConflict(undefined, 'n1')).toEqual({ kind: 'duplicate' });
  });
});

describe('DynamoDbNonceLedger commands', () => {
  /** The placeholders an expression uses, as DynamoDB parses them. */
  const placeholders = (prefix: '#' | ':', ...expressions: (string | undefined)[]) =>
    [
      ...new Set(
        expressions.flatMap((e) => e?.match(new RegExp(`${prefix}[A-Za-z0-9_]+`, 'g')) ?? []),
      ),
    ].sort();

  it('names exactly the attributes and values each command uses, no more', async () => {
    const client = new DynamoDBClient({ region: 'us-east-1' });
    const mock = mockClient(client);
    mock.on(UpdateItemCommand).resolves({ Attributes: { attempts: { N: '1' } } });
    mock.onAnyCommand().resolves({ Items: [], Item: undefined });
    const ledger = new DynamoDbNonceLedger({ tableName: 't', retentionSeconds: 1, client });
    const claim = {
      jobId: JOB,
      nonce: 'n1',
      token: 'tok',
      attempt: 1,
      tries: 1,
      leaseExpiresAt: T0,
    };

    await ledger.claim({ jobId: JOB, nonce: 'n1', now: T0, leaseExpiresAt: T0 + 1 });
    await ledger.claim({
      jobId: JOB,
      nonce: 'n2',
      actionExecutionId: 'exec',
      now: T0,
      leaseExpiresAt: T0 + 1,
    });
    await ledger.takeOver(JOB, T0, T0 + 1);
    await ledger.record(claim, { kind: 'failure', failureType: 'JobFailed', message: 'm' }, T0);
    await ledger.complete(claim, 'succeeded', T0);
    await ledger.release(claim, T0);
    await ledger.findExpired(T0, 10);

    const inputs = mock.calls().map((call) => call.args[0].input as Record<string, unknown>);
    expect(inputs).toHaveLength(7);
    for (const input of inputs) {
      const expressions = [
        input.ConditionExpression,
        input.UpdateExpression,
        input.KeyConditionExpression,
        input.ProjectionExpression,
      ] as (string | undefined)[];
      expect(Object.keys(input.ExpressionAttributeNames ?? {}).sort()).toEqual(
        placeholders('#', ...expressions),
      );
      expect(Object.keys(input.ExpressionAttributeValues ?? {}).sort()).toEqual(
        placeholders(':', ...expressions),
      );
    }
  });
});
