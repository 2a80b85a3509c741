/**
 * The nonce ledger in DynamoDB. One item per job (partition key `jobId`); every decision is a
 * single-item conditional write whose condition compares timestamps, so TTL (`expiresAt`)
 * only cleans up and correctness never waits for it.
 *
 * Item: jobId, nonce (of the current claim), nonces (every nonce ever claimed), state
 * (claimed | released | succeeded | failed | continued | abandoned), claimToken,
 * leaseExpiresAt (epoch ms), attempts, claimedAt, completedAt, actionExecutionId,
 * expiresAt (epoch s, TTL), pendingShard (present while a claim is open; keys the
 * `pending-claims` index that finds claims whose worker died). Never credentials or
 * configuration values.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { Claim, ClaimRequest, ClaimResult, LedgerOutcome, NonceLedger } from '../ports.js';

export const PENDING_INDEX = 'pending-claims';
const PENDING_SHARD = 'open';
const OPEN_STATES = ['claimed', 'released'] as const;

export interface DynamoDbNonceLedgerOptions {
  readonly tableName: string;
  /** Seconds a finished record is kept before TTL may delete it. */
  readonly retentionSeconds: number;
  /** @default new DynamoDBClient({}) */
  readonly client?: DynamoDBClient;
  /**
   * Ask DynamoDB for the old item when a claim's condition fails, instead of reading it.
   * DynamoDB honours it; some local emulators ignore it, and the ledger then reads the item.
   * @default true
   */
  readonly returnOldItemOnConflict?: boolean;
}

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

const NAMES = {
  '#nonce': 'nonce',
  '#nonces': 'nonces',
  '#state': 'state',
  '#token': 'claimToken',
  '#lease': 'leaseExpiresAt',
  '#attempts': 'attempts',
  '#expiresAt': 'expiresAt',
  '#pending': 'pendingShard',
};

function names(expression: string): Record<string, string> {
  return Object.fromEntries(Object.entries(NAMES).filter(([key]) => expression.includes(key)));
}

/** A {@link NonceLedger} on a DynamoDB table. */
export class DynamoDbNonceLedger implements NonceLedger {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #retention: number;
  readonly #returnOld: boolean;

  constructor(options: DynamoDbNonceLedgerOptions) {
    this.#client = options.client ?? new DynamoDBClient({});
    this.#table = options.tableName;
    this.#retention = options.retentionSeconds;
    this.#returnOld = options.returnOldItemOnConflict ?? true;
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const token = randomUUID();
    const condition =
      'attribute_not_exists(jobId) OR (NOT contains(#nonces, :nonce) AND #state IN (:claimed, :released) AND #lease < :now)';
    const execution = request.actionExecutionId ? ', actionExecutionId = :execution' : '';
    const update = `SET #nonce = :nonce, #state = :claimed, #token = :token, #lease = :lease, claimedAt = :now, #expiresAt = :ttl, #pending = :pending${execution} ADD #nonces :nonceSet, #attempts :one`;
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { jobId: S(request.jobId) },
          ConditionExpression: condition,
          UpdateExpression: update,
          ExpressionAttributeNames: names(condition + update),
          ExpressionAttributeValues: {
            ':nonce': S(request.nonce),
            ':nonceSet': { SS: [request.nonce] },
            ':claimed': S('claimed'),
            ':released': S('released'),
            ':token': S(token),
            ':lease': N(request.leaseExpiresAt),
            ':now': N(request.now),
            ':ttl': N(this.#ttl(request.now)),
            ':pending': S(PENDING_SHARD),
            ...(request.actionExecutionId ? { ':execution': S(request.actionExecutionId) } : {}),
            ':one': N(1),
          },
          ReturnValues: 'UPDATED_NEW',
          ReturnValuesOnConditionCheckFailure: this.#returnOld ? 'ALL_OLD' : undefined,
        }),
      );
      return {
        kind: 'claimed',
        claim: {
          jobId: request.jobId,
          nonce: request.nonce,
          token,
          attempt: Number(result.Attributes?.attempts?.N ?? 1),
          leaseExpiresAt: request.leaseExpiresAt,
        },
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = error.Item ?? (await this.#read(request.jobId));
      // The SDK retried a write whose first answer was lost: the item already holds our token.
      const ours = ownClaim(old, token, request.leaseExpiresAt);
      if (ours) return { kind: 'claimed', claim: ours };
      return classifyConflict(old, request.nonce);
    }
  }

  async takeOver(jobId: string, now: number, leaseExpiresAt: number): Promise<Claim | undefined> {
    const token = randomUUID();
    const condition = '#state = :claimed AND #lease < :now';
    const update = 'SET #token = :token, #lease = :lease ADD #attempts :one';
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { jobId: S(jobId) },
          ConditionExpression: condition,
          UpdateExpression: update,
          ExpressionAttributeNames: names(condition + update),
          ExpressionAttributeValues: {
            ':claimed': S('claimed'),
            ':now': N(now),
            ':token': S(token),
            ':lease': N(leaseExpiresAt),
            ':one': N(1),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: this.#returnOld ? 'ALL_OLD' : undefined,
        }),
      );
      return ownClaim(result.Attributes, token, leaseExpiresAt);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Either another worker took the claim over first, or the SDK retried our own write
      // whose first answer was lost: only the token tells them apart.
      return ownClaim(error.Item ?? (await this.#read(jobId)), token, leaseExpiresAt);
    }
  }

  complete(claim: Claim, outcome: LedgerOutcome, now: number): Promise<boolean> {
    return this.#close(claim, outcome, now, 'completedAt = :now');
  }

  release(claim: Claim, now: number): Promise<boolean> {
    return this.#close(claim, 'released', now, '#lease = :zero');
  }

  async findExpired(now: number, limit: number): Promise<string[]> {
    const result = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: PENDING_INDEX,
        KeyConditionExpression: '#pending = :pending AND #lease < :now',
        ExpressionAttributeNames: { '#pending': 'pendingShard', '#lease': 'leaseExpiresAt' },
        ExpressionAttributeValues: { ':pending': S(PENDING_SHARD), ':now': N(now) },
        Limit: limit,
      }),
    );
    return (result.Items ?? []).flatMap((item) => (item.jobId?.S ? [item.jobId.S] : []));
  }

  async #close(claim: Claim, state: string, now: number, extra: string): Promise<boolean> {
    // Only an open claim can be closed (a finished job must never reopen); closing it again
    // the same way is allowed, so a retried request whose first answer was lost succeeds.
    const condition = '#token = :token AND #state IN (:claimed, :state)';
    const update = `SET #state = :state, #expiresAt = :ttl, ${extra} REMOVE #pending`;
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { jobId: S(claim.jobId) },
          ConditionExpression: condition,
          UpdateExpression: update,
          ExpressionAttributeNames: names(condition + update),
          ExpressionAttributeValues: {
            ':token': S(claim.token),
            ':claimed': S('claimed'),
            ':state': S(state),
            ':ttl': N(this.#ttl(now)),
            ...(extra.includes(':now') ? { ':now': N(now) } : {}),
            ...(extra.includes(':zero') ? { ':zero': N(0) } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #read(jobId: string): Promise<Record<string, AttributeValue> | undefined> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { jobId: S(jobId) },
        ConsistentRead: true,
        ProjectionExpression: 'jobId, #nonce, #nonces, #state, #token, #attempts',
        ExpressionAttributeNames: {
          '#nonce': 'nonce',
          '#nonces': 'nonces',
          '#state': 'state',
          '#token': 'claimToken',
          '#attempts': 'attempts',
        },
      }),
    );
    return result.Item;
  }

  #ttl(now: number): number {
    return Math.floor(now / 1000) + this.#retention;
  }
}

/** The claim `item` records, if it holds `token`: a claim this ledger call made. */
function ownClaim(
  item: Record<string, AttributeValue> | undefined,
  token: string,
  leaseExpiresAt: number,
): Claim | undefined {
  const jobId = item?.jobId?.S;
  const nonce = item?.nonce?.S;
  if (!jobId || !nonce || item?.claimToken?.S !== token || item.state?.S !== 'claimed') {
    return undefined;
  }
  return { jobId, nonce, token, attempt: Number(item.attempts?.N ?? 1), leaseExpiresAt };
}

/** Why a claim's condition failed, from the item as it was. */
export function classifyConflict(
  item: Record<string, AttributeValue> | undefined,
  nonce: string,
): ClaimResult {
  // The item vanished between the write and the read (TTL): the dispatch is stale.
  if (!item) return { kind: 'duplicate' };
  if (item.nonces?.SS?.includes(nonce)) return { kind: 'duplicate' };
  const state = item.state?.S;
  if (state && !(OPEN_STATES as readonly string[]).includes(state)) return { kind: 'finished' };
  return { kind: 'held' };
}
