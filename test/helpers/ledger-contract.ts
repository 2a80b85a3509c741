/**
 * The nonce ledger's contract, written once and registered against every DynamoDB
 * implementation the tests have (dynalite in-process, AWS's DynamoDB Local in Java): the same
 * assertions must hold on both, and the one documented difference between them
 * (`ReturnValuesOnConditionCheckFailure`) is asserted explicitly, so each takes its own path.
 */
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDbNonceLedger } from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import { decodeReport } from '../../lambda/adapters/recorded-report.js';
import type { Claim, ClaimResult } from '../../lambda/ports.js';
import { LIMITS, type Report, toReport } from '../../lambda/worker/report.js';
import type { LocalDynamoDb } from './dynalite.js';

export interface LedgerServerTraits {
  /**
   * Whether a failed condition with `ReturnValuesOnConditionCheckFailure: ALL_OLD` carries the
   * old item (DynamoDB and DynamoDB Local: yes; dynalite ignores the parameter).
   */
  readonly returnsOldItemOnConditionFailure: boolean;
}

const JOB = '11111111-2222-4333-8444-555555555555';
const T0 = 1_800_000_000_000;
const LEASE = 60_000;
const RETENTION = 86_400;

const REPORT: Report = {
  kind: 'success',
  executionDetails: { summary: 'deployed', externalExecutionId: 'exec-1', percentComplete: 100 },
  outputVariables: { Url: 'https://example.com', Empty: '' },
  currentRevision: {
    revision: 'r1',
    changeIdentifier: 'c1',
    created: new Date(T0),
    revisionSummary: 'the change',
  },
};

/** Output variable names from shortest to longest, of the characters the API allows. */
function* variableNames(): Generator<string> {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@-_';
  let names = [''];
  for (;;) {
    names = names.flatMap((prefix) => [...alphabet].map((c) => prefix + c));
    yield* names;
  }
}

/**
 * The largest reports the API accepts, as `toReport` builds them: every free-text and
 * identifier field at its limit in 3-byte characters, and output variables of 122,880 bytes
 * either as the most variables the limit allows (the map's per-element overhead at its
 * largest) or as one long value.
 */
function largestReports(): Report[] {
  const wide = (length: number) => '€'.repeat(length);
  const common = {
    summary: wide(LIMITS.summary),
    externalExecutionId: wide(LIMITS.externalExecutionId),
    currentRevision: {
      revision: wide(LIMITS.revision),
      changeIdentifier: wide(LIMITS.changeIdentifier),
      created: new Date(T0),
      revisionSummary: wide(LIMITS.revisionSummary),
    },
  };
  const many: Record<string, string> = {};
  let bytes = 0;
  for (const name of variableNames()) {
    if (bytes + name.length > LIMITS.outputVariablesBytes) break;
    many[name] = '';
    bytes += name.length;
  }
  const last = Object.keys(many).at(-1) ?? 'A';
  many[last] = 'x'.repeat(LIMITS.outputVariablesBytes - bytes);
  const one = { V: '€'.repeat(Math.floor((LIMITS.outputVariablesBytes - 1) / 3)) };
  return [
    toReport({ kind: 'success', ...common, outputVariables: many }),
    toReport({ kind: 'success', ...common, outputVariables: one }),
  ];
}

/** The job ids `findExpired` answers, in its order. */
async function expiredJobIds(
  ledger: DynamoDbNonceLedger,
  now: number,
  limit: number,
): Promise<string[]> {
  return (await ledger.findExpired(now, limit)).map((claim) => claim.jobId);
}

/** Counts the commands a client sends, by name (an SDK middleware, so nothing is mocked). */
export function countCommands(client: DynamoDBClient): Map<string, number> {
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? 'unknown';
      counts.set(name, (counts.get(name) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCommands' },
  );
  return counts;
}

/**
 * Registers the ledger's contract tests for one DynamoDB implementation.
 *
 * @param name - shown in the describe block, e.g. `dynalite`
 * @param server - the running server (called in hooks, once `beforeAll` has started it)
 * @param traits - where the server is known to differ from DynamoDB
 * @example
 * let db: LocalDynamoDb;
 * beforeAll(async () => { db = await startDynalite(); });
 * afterAll(() => db.close());
 * ledgerContract('dynalite', () => db, { returnsOldItemOnConditionFailure: false });
 */
export function ledgerContract(
  name: string,
  server: () => LocalDynamoDb,
  traits: LedgerServerTraits,
): void {
  describe(`DynamoDbNonceLedger contract (${name})`, () => {
    let client: DynamoDBClient;
    let ledger: DynamoDbNonceLedger;
    let tableName: string;

    beforeAll(() => {
      client = server().client();
    });
    beforeEach(async () => {
      tableName = await server().createLedgerTable();
      // dynalite answers CreateTable before it marks the table ACTIVE, and refuses writes
      // (ResourceNotFoundException) until then: a busy process can send the first one too soon.
      for (let tries = 0; tries < 100; tries++) {
        const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
        if (Table?.TableStatus === 'ACTIVE') break;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      ledger = new DynamoDbNonceLedger({ tableName, retentionSeconds: RETENTION, client });
    });

    const claim = (nonce: string, now = T0, jobId = JOB) =>
      ledger.claim({ jobId, nonce, now, leaseExpiresAt: now + LEASE, actionExecutionId: 'exec-1' });

    async function claimed(nonce: string, now = T0, jobId = JOB): Promise<Claim> {
      const result = await claim(nonce, now, jobId);
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

    const jobIds = (n: number) =>
      Array.from(
        { length: n },
        (_, i) => `${String(i).padStart(8, '0')}-0000-4000-8000-000000000000`,
      );

    describe('claims', () => {
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
        expect(stored?.expiresAt?.N).toBe(String(T0 / 1000 + RETENTION));
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
        expect((await item())?.nonces?.SS?.sort()).toEqual(['n1', 'n2']);
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
        expect(stored?.expiresAt?.N).toBe(String(Math.floor((T0 + 1) / 1000) + RETENTION));
      });

      it.each(['failed', 'continued', 'abandoned'] as const)(
        'never claims a job finished as %s again, and never takes it over',
        async (outcome) => {
          const first = await claimed('n1');
          expect(await ledger.complete(first, outcome, T0 + 1)).toBe(true);

          expect(await claim('n2', T0 + LEASE * 10)).toEqual({ kind: 'finished' });
          expect(await ledger.takeOver(JOB, T0 + LEASE * 10, T0 + LEASE * 11)).toBeUndefined();
          expect(await expiredJobIds(ledger, T0 + LEASE * 10, 10)).toEqual([]);
          expect((await item())?.state?.S).toBe(outcome);
        },
      );

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

    describe('holders', () => {
      it('only lets the holder complete or release its claim', async () => {
        const first = await claimed('n1');
        const impostor: Claim = { ...first, token: 'not-the-token' };

        expect(await ledger.complete(impostor, 'failed', T0 + 1)).toBe(false);
        expect(await ledger.release(impostor, T0 + 1)).toBe(false);
        expect((await item())?.state?.S).toBe('claimed');
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

      it('hands the job to the taker: it can finish the job, the first holder cannot release it', async () => {
        const first = await claimed('n1');
        const taker = await ledger.takeOver(JOB, T0 + LEASE + 1, T0 + 3 * LEASE);
        if (!taker) throw new Error('take-over failed');

        expect(await ledger.release(first, T0 + LEASE + 2)).toBe(false);
        expect(await claim('n2', T0 + LEASE + 3)).toEqual({ kind: 'held' });
        expect(await ledger.complete(taker, 'failed', T0 + LEASE + 4)).toBe(true);
        expect((await item())?.state?.S).toBe('failed');
        expect((await item())?.attempts?.N).toBe('2');
      });

      // #close's condition checks the state as well as the token: a closed item keeps its
      // holder's token, and a release by that token alone would reopen the job.
      it('never reopens a finished job: its holder cannot release the claim after completing it', async () => {
        const first = await claimed('n1');
        expect(await ledger.complete(first, 'succeeded', T0 + 1)).toBe(true);

        const released = await ledger.release(first, T0 + 2);

        expect(released).toBe(false);
        expect((await item())?.state?.S).toBe('succeeded');
        expect(await claim('n2', T0 + 3)).toEqual({ kind: 'finished' });
      });

      it('leaves a claim given back unused out of the tries, once however often the release is sent', async () => {
        const first = await claimed('n1');
        expect(first).toMatchObject({ attempt: 1, tries: 1 });
        // The second release is an SDK retry of the first, whose answer was lost.
        expect(await ledger.release(first, T0 + 1)).toBe(true);
        expect(await ledger.release(first, T0 + 1)).toBe(true);

        const second = await claim('n2', T0 + 2);
        expect(second).toMatchObject({ kind: 'claimed', claim: { attempt: 2, tries: 1 } });
        // Its holder died after the acknowledgement: the processor may have run under it.
        const taker = await ledger.takeOver(JOB, T0 + 2 + LEASE + 1, T0 + 3 * LEASE);
        expect(taker).toMatchObject({ attempt: 3, tries: 2 });
        expect((await item())?.releasedTokens?.SS).toEqual([first.token]);
      });

      it('gives an expired claim to exactly one of a new dispatch and a take-over racing for it', async () => {
        await claimed('n1');
        const now = T0 + LEASE + 1;

        const [byClaim, byTakeOver] = await Promise.all([
          ledger.claim({ jobId: JOB, nonce: 'n2', now, leaseExpiresAt: now + LEASE }),
          ledger.takeOver(JOB, now, now + LEASE),
        ]);

        const winners = (byClaim.kind === 'claimed' ? 1 : 0) + (byTakeOver ? 1 : 0);
        expect(winners).toBe(1);
        if (byClaim.kind !== 'claimed') expect(byClaim).toEqual({ kind: 'held' });
        expect((await item())?.attempts?.N).toBe('2');
      });
    });

    describe('recorded reports', () => {
      const takeOver = () => ledger.takeOver(JOB, T0 + LEASE + 1, T0 + 3 * LEASE);

      it("records the live holder's report and hands it to the worker that takes the claim over", async () => {
        const first = await claimed('n1');

        expect(await ledger.record(first, REPORT, T0 + 1)).toBe(true);

        const stored = await item();
        expect(stored?.state?.S).toBe('claimed');
        expect(stored?.recordedAt?.N).toBe(String(T0 + 1));
        expect(decodeReport(stored?.report)).toEqual(REPORT);
        const taker = await takeOver();
        expect(taker).toMatchObject({ nonce: 'n1', attempt: 2, recorded: REPORT });
      });

      it('hands no report to the taker of a claim whose processor never returned', async () => {
        await claimed('n1');

        const taker = await takeOver();

        expect(taker).toBeDefined();
        expect(taker?.recorded).toBeUndefined();
      });

      it('lets only the live holder record: not an impostor, nor a holder whose claim was taken over', async () => {
        const first = await claimed('n1');
        const impostor: Claim = { ...first, token: 'not-the-token' };
        expect(await ledger.record(impostor, REPORT, T0 + 1)).toBe(false);
        const taker = await takeOver();
        if (!taker) throw new Error('take-over failed');

        expect(await ledger.record(first, REPORT, T0 + LEASE + 2)).toBe(false);
        expect((await item())?.report).toBeUndefined();
        expect(await ledger.record(taker, REPORT, T0 + LEASE + 3)).toBe(true);
      });

      it('refuses a record on a released or finished claim', async () => {
        const [released, finished] = jobIds(2) as [string, string];
        const a = await claimed('n1', T0, released);
        const b = await claimed('n1', T0, finished);
        await ledger.release(a, T0 + 1);
        await ledger.complete(b, 'failed', T0 + 1);

        expect(await ledger.record(a, REPORT, T0 + 2)).toBe(false);
        expect(await ledger.record(b, REPORT, T0 + 2)).toBe(false);
        expect((await item(released))?.report).toBeUndefined();
        expect((await item(finished))?.report).toBeUndefined();
      });

      it('records again when the holder sends the same record twice (a lost answer retried)', async () => {
        const first = await claimed('n1');

        expect(await ledger.record(first, REPORT, T0 + 1)).toBe(true);
        expect(await ledger.record(first, REPORT, T0 + 1)).toBe(true);
        expect(decodeReport((await item())?.report)).toEqual(REPORT);
      });

      it('keeps no report once the job is finished, only when it was recorded', async () => {
        const first = await claimed('n1');
        await ledger.record(first, REPORT, T0 + 1);

        expect(await ledger.complete(first, 'succeeded', T0 + 2)).toBe(true);

        const stored = await item();
        expect(stored?.report).toBeUndefined();
        expect(stored?.recordedAt?.N).toBe(String(T0 + 1));
        expect(stored?.pendingShard).toBeUndefined();
        expect(await takeOver()).toBeUndefined();
      });

      it('keeps the report of a released claim and hands it to the dispatch that claims the job next', async () => {
        const first = await claimed('n1');
        await ledger.record(first, REPORT, T0 + 1);
        await ledger.release(first, T0 + 2);

        const next = await claim('n2', T0 + 3);

        expect(next).toMatchObject({
          kind: 'claimed',
          claim: { nonce: 'n2', attempt: 2, recorded: REPORT },
        });
      });

      it('finds a claim with a recorded report whose worker died, as any open claim', async () => {
        const first = await claimed('n1');
        await ledger.record(first, REPORT, T0 + 1);

        expect(await expiredJobIds(ledger, T0 + LEASE + 1, 10)).toEqual([JOB]);
      });

      it.each(
        largestReports().map(
          (report, i) => [i === 0 ? 'many variables' : 'one long value', report] as const,
        ),
      )(
        'records the largest report the API accepts (%s) within the item size limit',
        async (_label, report) => {
          const first = await claimed('n1');

          expect(await ledger.record(first, report, T0 + 1)).toBe(true);

          expect(decodeReport((await item())?.report)).toEqual(report);
          expect((await takeOver())?.recorded).toEqual(report);
        },
      );
    });

    describe('finding claims whose worker died', () => {
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

        expect(await expiredJobIds(ledger, T0 + LEASE + 1, 10)).toEqual([ids[1]]);
      });

      it('does not find a released claim, nor one whose lease ends exactly now', async () => {
        const [released, boundary] = jobIds(2) as [string, string];
        await ledger.release(await claimed('n1', T0, released), T0 + 1);
        await claimed('n1', T0, boundary);

        expect(await expiredJobIds(ledger, T0 + LEASE, 10)).toEqual([]);
        expect(await expiredJobIds(ledger, T0 + LEASE + 1, 10)).toEqual([boundary]);
      });

      it('finds the longest-expired claims first, at most `limit` of them', async () => {
        const ids = jobIds(5);
        // Claimed in reverse, so that the oldest lease is not the first item written.
        for (const [i, id] of [...ids.entries()].reverse()) {
          await ledger.claim({ jobId: id, nonce: 'n', now: T0, leaseExpiresAt: T0 + i * 1_000 });
        }

        expect(await expiredJobIds(ledger, T0 + 10_000, 3)).toEqual(ids.slice(0, 3));
        expect(await expiredJobIds(ledger, T0 + 10_000, 10)).toEqual(ids);
      });

      it('still finds a claim that was taken over and expired again', async () => {
        await claimed('n1');
        const taker = await ledger.takeOver(JOB, T0 + LEASE + 1, T0 + 2 * LEASE);

        expect(taker).toBeDefined();
        expect(await expiredJobIds(ledger, T0 + LEASE + 2, 10)).toEqual([]);
        expect(await expiredJobIds(ledger, T0 + 2 * LEASE + 1, 10)).toEqual([JOB]);
      });
    });

    describe('conflicts (ReturnValuesOnConditionCheckFailure)', () => {
      /** A job in each state a claim can conflict with, and the answer expected for nonce n2. */
      async function conflicts(subject: DynamoDbNonceLedger): Promise<ClaimResult[]> {
        const [held, duplicate, finished] = jobIds(3) as [string, string, string];
        const at = (jobId: string, nonce: string) =>
          subject.claim({ jobId, nonce, now: T0 + 1, leaseExpiresAt: T0 + 1 + LEASE });
        return [await at(held, 'n2'), await at(duplicate, 'n1'), await at(finished, 'n2')];
      }
      async function prepareConflicts(): Promise<void> {
        const [held, duplicate, finished] = jobIds(3) as [string, string, string];
        await claimed('n1', T0, held);
        await claimed('n1', T0, duplicate);
        await ledger.complete(await claimed('n1', T0, finished), 'succeeded', T0);
      }
      const EXPECTED: ClaimResult[] = [
        { kind: 'held' },
        { kind: 'duplicate' },
        { kind: 'finished' },
      ];

      it(
        traits.returnsOldItemOnConditionFailure
          ? 'returns the old item with a failed condition when asked (ALL_OLD)'
          : 'ignores ReturnValuesOnConditionCheckFailure: a failed condition carries no item',
        async () => {
          await claimed('n1');

          const error = await client
            .send(
              new UpdateItemCommand({
                TableName: tableName,
                Key: { jobId: { S: JOB } },
                ConditionExpression: 'attribute_not_exists(jobId)',
                UpdateExpression: 'SET #state = :state',
                ExpressionAttributeNames: { '#state': 'state' },
                ExpressionAttributeValues: { ':state': { S: 'overwritten' } },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              }),
            )
            .then(
              () => undefined,
              (caught: unknown) => caught,
            );

          expect(error).toBeInstanceOf(ConditionalCheckFailedException);
          const old = (error as ConditionalCheckFailedException).Item as
            | Record<string, AttributeValue>
            | undefined;
          if (traits.returnsOldItemOnConditionFailure) {
            expect(old?.state?.S).toBe('claimed');
            expect(old?.nonces?.SS).toEqual(['n1']);
          } else {
            expect(old).toBeUndefined();
          }
        },
      );

      it(
        traits.returnsOldItemOnConditionFailure
          ? 'classifies every conflict from the returned item, without reading it again'
          : 'classifies every conflict by reading the item once (consistent read)',
        async () => {
          await prepareConflicts();
          const counted = server().client();
          const counts = countCommands(counted);
          const subject = new DynamoDbNonceLedger({
            tableName,
            retentionSeconds: RETENTION,
            client: counted,
          });

          const results = await conflicts(subject);

          expect(results).toEqual(EXPECTED);
          expect(counts.get('UpdateItemCommand')).toBe(3);
          expect(counts.get('GetItemCommand') ?? 0).toBe(
            traits.returnsOldItemOnConditionFailure ? 0 : 3,
          );
        },
      );

      it('classifies every conflict the same when it does not ask for the old item', async () => {
        await prepareConflicts();
        const counted = server().client();
        const counts = countCommands(counted);
        const subject = new DynamoDbNonceLedger({
          tableName,
          retentionSeconds: RETENTION,
          client: counted,
          returnOldItemOnConflict: false,
        });

        const results = await conflicts(subject);

        expect(results).toEqual(EXPECTED);
        expect(counts.get('GetItemCommand')).toBe(3);
      });
    });
  });
}
