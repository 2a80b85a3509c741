/**
 * The nonce ledger in DynamoDB. One item per job (partition key `jobId`, see
 * `ledger-record.ts`); every decision is a single-item conditional write whose condition
 * compares timestamps, so TTL only cleans up and correctness never waits for it.
 *
 * A job's happy path is three writes: the claim (before AcknowledgeJob: only one worker may
 * act on the job), the record of its report (after the processor returned and before the
 * report is sent: a worker that dies in between leaves the report for the next holder), and
 * the completion (after the report was accepted: the job leaves the index of open claims).
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
import { LEDGER_SCHEMA } from '../contract.js';
import type {
  CallOptions,
  Claim,
  ClaimRequest,
  ClaimResult,
  ExpiredClaim,
  LedgerOutcome,
  NonceLedger,
} from '../ports.js';
import type { Report } from '../worker/report.js';
import {
  ATTRIBUTES as A,
  decodeRecord,
  isOpen,
  LEDGER_STATES,
  type LedgerRecord,
  type LedgerState,
  PENDING_SHARD,
} from './ledger-record.js';
import { encodeReport } from './recorded-report.js';

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
    const execution = request.actionExecutionId;
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [A.jobId]: S(request.jobId) },
          // New job; or a new nonce of a job whose open claim expired.
          ConditionExpression:
            'attribute_not_exists(#jobId) OR (NOT contains(#nonces, :nonce) AND #state IN (:claimed, :released) AND #lease < :now)',
          UpdateExpression: `SET #nonce = :nonce, #state = :claimed, #token = :token, #lease = :lease, #claimedAt = :now, #expiresAt = :ttl, #pending = :pending${execution ? ', #execution = :execution' : ''} ADD #nonces :nonceSet, #attempts :one`,
          ExpressionAttributeNames: {
            '#jobId': A.jobId,
            '#nonce': A.nonce,
            '#nonces': A.nonces,
            '#state': A.state,
            '#token': A.claimToken,
            '#lease': A.leaseExpiresAt,
            '#claimedAt': A.claimedAt,
            '#expiresAt': A.expiresAt,
            '#pending': A.pendingShard,
            '#attempts': A.attempts,
            ...(execution ? { '#execution': A.actionExecutionId } : {}),
          },
          ExpressionAttributeValues: {
            ':nonce': S(request.nonce),
            ':nonceSet': { SS: [request.nonce] },
            ':claimed': S(LEDGER_STATES.claimed),
            ':released': S(LEDGER_STATES.released),
            ':token': S(token),
            ':lease': N(request.leaseExpiresAt),
            ':now': N(request.now),
            ':ttl': N(this.#ttl(request.now)),
            ':pending': S(PENDING_SHARD),
            ':one': N(1),
            ...(execution ? { ':execution': S(execution) } : {}),
          },
          // The whole item: a job released after its processor returned carries its report.
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: this.#returnOld ? 'ALL_OLD' : undefined,
        }),
      );
      const record = decodeRecord({ [A.jobId]: S(request.jobId), ...result.Attributes });
      return {
        kind: 'claimed',
        claim: {
          jobId: request.jobId,
          nonce: request.nonce,
          token,
          attempt: record?.attempts ?? 1,
          tries: tries(record),
          leaseExpiresAt: request.leaseExpiresAt,
          recorded: record?.report,
        },
      };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const old = decodeRecord(error.Item) ?? (await this.#read(request.jobId));
      // The SDK retried a write whose first answer was lost: the item already holds our token.
      const ours = ownClaim(old, token, request.leaseExpiresAt);
      if (ours) return { kind: 'claimed', claim: ours };
      return classifyConflict(old, request.nonce);
    }
  }

  async takeOver(jobId: string, now: number, leaseExpiresAt: number): Promise<Claim | undefined> {
    const token = randomUUID();
    try {
      const result = await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [A.jobId]: S(jobId) },
          ConditionExpression: '#state = :claimed AND #lease < :now',
          UpdateExpression: 'SET #token = :token, #lease = :lease ADD #attempts :one',
          ExpressionAttributeNames: {
            '#state': A.state,
            '#lease': A.leaseExpiresAt,
            '#token': A.claimToken,
            '#attempts': A.attempts,
          },
          ExpressionAttributeValues: {
            ':claimed': S(LEDGER_STATES.claimed),
            ':now': N(now),
            ':token': S(token),
            ':lease': N(leaseExpiresAt),
            ':one': N(1),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: this.#returnOld ? 'ALL_OLD' : undefined,
        }),
      );
      return ownClaim(decodeRecord(result.Attributes), token, leaseExpiresAt);
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // Either another worker took the claim over first, or the SDK retried our own write
      // whose first answer was lost: only the token tells them apart.
      const old = decodeRecord(error.Item) ?? (await this.#read(jobId));
      return ownClaim(old, token, leaseExpiresAt);
    }
  }

  async record(
    claim: Claim,
    report: Report,
    now: number,
    options: CallOptions = {},
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [A.jobId]: S(claim.jobId) },
          // Only the live holder records; recording again (a retried request) is allowed.
          ConditionExpression: '#token = :token AND #state = :claimed',
          UpdateExpression: 'SET #report = :report, #recordedAt = :now',
          ExpressionAttributeNames: {
            '#token': A.claimToken,
            '#state': A.state,
            '#report': A.report,
            '#recordedAt': A.recordedAt,
          },
          ExpressionAttributeValues: {
            ':token': S(claim.token),
            ':claimed': S(LEDGER_STATES.claimed),
            ':report': encodeReport(report),
            ':now': N(now),
          },
        }),
        { abortSignal: options.signal },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async complete(claim: Claim, outcome: LedgerOutcome, now: number): Promise<boolean> {
    // A finished job keeps no report: it will never be sent again.
    return this.#close(claim, LEDGER_STATES[outcome], now, {
      update: '#completedAt = :now',
      remove: ', #report',
      names: { '#completedAt': A.completedAt, '#report': A.report },
      values: { ':now': N(now) },
    });
  }

  async release(claim: Claim, now: number): Promise<boolean> {
    // A released job keeps its report: the dispatch that claims it next sends it. The claim's
    // token joins the set of claims given back unused, whose processor never ran (see
    // `Claim.tries`): a set, so that a retried request does not count the claim twice.
    return this.#close(claim, LEDGER_STATES.released, now, {
      update: '#lease = :zero',
      remove: '',
      add: '#released :tokenSet',
      names: { '#lease': A.leaseExpiresAt, '#released': A.releasedTokens },
      values: { ':zero': N(0), ':tokenSet': { SS: [claim.token] } },
    });
  }

  async findExpired(now: number, limit: number): Promise<ExpiredClaim[]> {
    const result = await this.#client.send(
      new QueryCommand({
        TableName: this.#table,
        IndexName: LEDGER_SCHEMA.pendingIndex.name,
        KeyConditionExpression: '#pending = :pending AND #lease < :now',
        ExpressionAttributeNames: { '#pending': A.pendingShard, '#lease': A.leaseExpiresAt },
        ExpressionAttributeValues: { ':pending': S(PENDING_SHARD), ':now': N(now) },
        Limit: limit,
      }),
    );
    // The index's sort key is the lease: the items come back longest expired first.
    return (result.Items ?? []).flatMap((item) => {
      const record = decodeRecord(item);
      return record ? [{ jobId: record.jobId, leaseExpiresAt: record.leaseExpiresAt ?? now }] : [];
    });
  }

  /**
   * Closes an open claim in `state`. Only an open claim can be closed (a finished job must
   * never reopen); closing it again the same way is allowed, so a retried request whose first
   * answer was lost succeeds.
   */
  async #close(
    claim: Claim,
    state: LedgerState,
    now: number,
    extra: {
      update: string;
      /** More attributes to remove, after `#pending` (`, #a, #b`). */
      remove: string;
      /** An ADD clause's actions (`#a :set`), if any. */
      add?: string;
      names: Record<string, string>;
      values: Record<string, AttributeValue>;
    },
  ): Promise<boolean> {
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [A.jobId]: S(claim.jobId) },
          ConditionExpression: '#token = :token AND #state IN (:claimed, :state)',
          UpdateExpression: `SET #state = :state, #expiresAt = :ttl, ${extra.update} REMOVE #pending${extra.remove}${extra.add ? ` ADD ${extra.add}` : ''}`,
          ExpressionAttributeNames: {
            '#token': A.claimToken,
            '#state': A.state,
            '#expiresAt': A.expiresAt,
            '#pending': A.pendingShard,
            ...extra.names,
          },
          ExpressionAttributeValues: {
            ':token': S(claim.token),
            ':claimed': S(LEDGER_STATES.claimed),
            ':state': S(state),
            ':ttl': N(this.#ttl(now)),
            ...extra.values,
          },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #read(jobId: string): Promise<LedgerRecord | undefined> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { [A.jobId]: S(jobId) },
        ConsistentRead: true,
        ProjectionExpression:
          '#jobId, #nonce, #nonces, #state, #token, #attempts, #released, #report',
        ExpressionAttributeNames: {
          '#jobId': A.jobId,
          '#nonce': A.nonce,
          '#nonces': A.nonces,
          '#state': A.state,
          '#token': A.claimToken,
          '#attempts': A.attempts,
          '#released': A.releasedTokens,
          '#report': A.report,
        },
      }),
    );
    return decodeRecord(result.Item);
  }

  #ttl(now: number): number {
    return Math.floor(now / 1000) + this.#retention;
  }
}

/** The claims of the job that may have run its processor: all but those given back unused. */
function tries(record: LedgerRecord | undefined): number {
  return record ? record.attempts - record.releasedTokens.length : 1;
}

/** The claim `record` holds, if it holds `token`: a claim this ledger call made. */
function ownClaim(
  record: LedgerRecord | undefined,
  token: string,
  leaseExpiresAt: number,
): Claim | undefined {
  if (!record?.nonce || record.claimToken !== token || record.state !== LEDGER_STATES.claimed) {
    return undefined;
  }
  const { jobId, nonce, attempts: attempt, report: recorded } = record;
  return { jobId, nonce, token, attempt, tries: tries(record), leaseExpiresAt, recorded };
}

/** Why a claim's condition failed, from the record as it was. */
export function classifyConflict(record: LedgerRecord | undefined, nonce: string): ClaimResult {
  // The item vanished between the write and the read (TTL): the dispatch is stale.
  if (!record) return { kind: 'duplicate' };
  if (record.nonces.includes(nonce)) return { kind: 'duplicate' };
  // A state this version does not know is left alone, as a finished one is.
  return isOpen(record) ? { kind: 'held' } : { kind: 'finished' };
}
