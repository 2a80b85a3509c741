import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  classifyConflict,
  DynamoDbNonceLedger,
} from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import type { Claim } from '../../lambda/ports.js';
import { type LocalDynamoDb, startDynalite } from '../helpers/dynalite.js';

const JOB = '11111111-2222-4333-8444-555555555555';
const T0 = 1_800_000_000_000;
const LEASE = 60_000;

describe('DynamoDbNonceLedger (dynalite)', () => {
  let db: LocalDynamoDb;
  let client: DynamoDBClient;
  let ledger: DynamoDbNonceLedger;
  let tableName: string;

  beforeAll(async () => {
    db = await startDynalite();
    client = db.client();
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    tableName = await db.createLedgerTable();
    ledger = new DynamoDbNonceLedger({ tableName, retentionSeconds: 86_400, client });
  });

  const claim = (nonce: string, now = T0, jobId = JOB) =>
    ledger.claim({ jobId, nonce, now, leaseExpiresAt: now + LEASE, actionExecutionId: 'exec-1' });

  async function claimed(nonce: string, now = T0): Promise<Claim> {
    const result = await claim(nonce, now);
    if (result.kind !== 'claimed') throw new Error(`expected a claim, got ${result.kind}`);
    return result.claim;
  }

  async function item(jobId = JOB) {
    const result = await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { jobId: { S: jobId } },
        ConsistentRead: true,
      }),
    );
    return result.Item;
  }

  it('claims a job it has never seen and records the nonce, lease and TTL', async () => {
    const result = await claim('n1');

    expect(result).toMatchObject({
      kind: 'claimed',
      claim: { jobId: JOB, nonce: 'n1', attempt: 1 },
    });
    const stored = await item();
    expect(stored?.state?.S).toBe('claimed');
    expect(stored?.nonces?.SS).toEqual(['n1']);
    expect(stored?.leaseExpiresAt?.N).toBe(String(T0 + LEASE));
    expect(stored?.expiresAt?.N).toBe(String(T0 / 1000 + 86_400));
    expect(stored?.pendingShard?.S).toBeDefined();
    expect(stored?.actionExecutionId?.S).toBe('exec-1');
  });

  it('skips the same (jobId, nonce) as a duplicate, even after the lease expired', async () => {
    await claimed('n1');

    expect(await claim('n1', T0 + 1)).toEqual({ kind: 'duplicate' });
    expect(await claim('n1', T0 + LEASE + 1)).toEqual({ kind: 'duplicate' });
  });

  it('refuses a new nonce while another claim is live', async () => {
    await claimed('n1');

    expect(await claim('n2', T0 + LEASE - 1)).toEqual({ kind: 'held' });
  });

  it('lets a new nonce take the job once the live claim expired', async () => {
    const first = await claimed('n1');

    const result = await claim('n2', T0 + LEASE + 1);

    expect(result).toMatchObject({ kind: 'claimed', claim: { nonce: 'n2', attempt: 2 } });
    expect(await ledger.complete(first, 'succeeded', T0 + LEASE + 2)).toBe(false);
  });

  it('treats the lease boundary as still live', async () => {
    await claimed('n1');

    expect(await claim('n2', T0 + LEASE)).toEqual({ kind: 'held' });
  });

  it('lets a released job be claimed at once with a new nonce, but never with the old one', async () => {
    const first = await claimed('n1');
    expect(await ledger.release(first, T0 + 1)).toBe(true);

    expect(await claim('n1', T0 + 2)).toEqual({ kind: 'duplicate' });
    expect(await claim('n2', T0 + 2)).toMatchObject({ kind: 'claimed' });
  });

  it('never claims a finished job again, whatever the nonce', async () => {
    const first = await claimed('n1');
    expect(await ledger.complete(first, 'succeeded', T0 + 1)).toBe(true);

    expect(await claim('n2', T0 + LEASE * 10)).toEqual({ kind: 'finished' });
    const stored = await item();
    expect(stored?.state?.S).toBe('succeeded');
    expect(stored?.pendingShard).toBeUndefined();
    expect(stored?.completedAt?.N).toBe(String(T0 + 1));
  });

  it('only lets the holder complete or release its claim', async () => {
    const first = await claimed('n1');
    const impostor: Claim = { ...first, token: 'not-the-token' };

    expect(await ledger.complete(impostor, 'failed', T0 + 1)).toBe(false);
    expect(await ledger.release(impostor, T0 + 1)).toBe(false);
    expect((await item())?.state?.S).toBe('claimed');
  });

  it('finds expired open claims, and not live or finished ones', async () => {
    const ids = ['a', 'b', 'c'].map((x) => `${x.repeat(8)}-0000-4000-8000-000000000000`);
    const live = await ledger.claim({
      jobId: ids[0] as string,
      nonce: 'n',
      now: T0,
      leaseExpiresAt: T0 + LEASE * 2,
    });
    const expired = await ledger.claim({
      jobId: ids[1] as string,
      nonce: 'n',
      now: T0,
      leaseExpiresAt: T0 + LEASE,
    });
    const done = await ledger.claim({
      jobId: ids[2] as string,
      nonce: 'n',
      now: T0,
      leaseExpiresAt: T0 + LEASE,
    });
    if (done.kind !== 'claimed' || live.kind !== 'claimed' || expired.kind !== 'claimed') {
      throw new Error('setup failed');
    }
    await ledger.complete(done.claim, 'succeeded', T0 + 1);

    expect(await ledger.findExpired(T0 + LEASE + 1, 10)).toEqual([ids[1]]);
  });

  it('lets exactly one worker take over an expired claim, keeping its nonce', async () => {
    const first = await claimed('n1');

    const [a, b] = await Promise.all([
      ledger.takeOver(JOB, T0 + LEASE + 1, T0 + 3 * LEASE),
      ledger.takeOver(JOB, T0 + LEASE + 1, T0 + 3 * LEASE),
    ]);

    const winners = [a, b].filter((x) => x !== undefined);
    expect(winners).toHaveLength(1);
    expect(winners[0]).toMatchObject({ jobId: JOB, nonce: 'n1', attempt: 2 });
    expect(await ledger.complete(first, 'succeeded', T0 + LEASE + 2)).toBe(false);
    expect(await ledger.takeOver(JOB, T0 + LEASE + 2, T0 + 3 * LEASE)).toBeUndefined();
  });

  it('does not take over a live, released or finished claim', async () => {
    const first = await claimed('n1');
    expect(await ledger.takeOver(JOB, T0 + 1, T0 + LEASE)).toBeUndefined();
    await ledger.release(first, T0 + 2);
    expect(await ledger.takeOver(JOB, T0 + LEASE * 5, T0 + LEASE * 6)).toBeUndefined();
  });

  it('gives exactly one of 50 concurrent claims of one dispatch the job', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => claim('n1')));

    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'duplicate')).toHaveLength(49);
  });

  it('gives exactly one of 20 concurrent dispatches with different nonces the job', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => claim(`n${i}`)));

    expect(results.filter((r) => r.kind === 'claimed')).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'held')).toHaveLength(19);
  });

  it('stores nothing but bookkeeping: no configuration, no credentials', async () => {
    const first = await claimed('n1');
    await ledger.complete(first, 'continued', T0 + 5);

    expect(Object.keys((await item()) ?? {}).sort()).toEqual(
      [
        'actionExecutionId',
        'attempts',
        'claimToken',
        'claimedAt',
        'completedAt',
        'expiresAt',
        'jobId',
        'leaseExpiresAt',
        'nonce',
        'nonces',
        'state',
      ].sort(),
    );
  });
});

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
    mock.on(GetItemCommand).resolves({ Item: { nonces: { SS: ['n1'] }, state: { S: 'claimed' } } });
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
  ])('classifies %j as %s for nonce n1', (item, kind) => {
    expect(classifyConflict(item, 'n1')).toEqual({ kind });
  });
});
