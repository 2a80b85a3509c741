/**
 * The execution ledger in DynamoDB: one item per action execution, in the nonce ledger's
 * table, under a partition key no job id can take (`execution#` and the action execution id;
 * the attributes are listed in `ledger-record.ts`). Every write is one UpdateItem, so that two
 * invocations that handle the same stop at once agree: the first stop reason noted is kept
 * (`if_not_exists`), and the right to call the processor's `cancel` is taken by a conditional
 * write that only one caller wins. TTL only cleans up; no decision waits for it.
 */
import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  ConditionalCheckFailedException,
  DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { CANCEL_REASONS, type CancelReason } from '../job/cancellation.js';
import type { ExecutionLedger, ExecutionProgress, ExecutionRecord } from '../ports.js';
import { EXECUTION_ATTRIBUTES as E, executionKey } from './ledger-record.js';

export interface DynamoDbExecutionLedgerOptions {
  readonly tableName: string;
  /** Seconds an execution's item is kept after its last write before TTL may delete it. */
  readonly retentionSeconds: number;
  /** @default new DynamoDBClient({}) */
  readonly client?: DynamoDBClient;
}

type Context = Omit<ExecutionProgress, 'actionExecutionId' | 'jobId'>;

const S = (value: string): AttributeValue => ({ S: value });
const N = (value: number): AttributeValue => ({ N: String(value) });

/** The pipeline keys an execution's item carries, as its writes name them. */
const CONTEXT_FIELDS = ['pipelineName', 'pipelineExecutionId', 'stageName', 'actionName'] as const;

/** An {@link ExecutionLedger} on the nonce ledger's DynamoDB table. */
export class DynamoDbExecutionLedger implements ExecutionLedger {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #retention: number;

  constructor(options: DynamoDbExecutionLedgerOptions) {
    this.#client = options.client ?? new DynamoDBClient({});
    this.#table = options.tableName;
    this.#retention = options.retentionSeconds;
  }

  async continued(
    progress: ExecutionProgress,
    continuationToken: string,
    now: number,
  ): Promise<ExecutionRecord> {
    const item = await this.#update(progress.actionExecutionId, now, {
      set: ['#token = :token', '#by = :by', '#continuedAt = :now'],
      names: { '#token': E.continuationToken, '#by': E.continuedBy, '#continuedAt': E.continuedAt },
      values: { ':token': S(continuationToken), ':by': S(progress.jobId) },
      context: progress,
      overwriteContext: true,
    });
    return decodeExecution(item) ?? emptyRecord(progress.actionExecutionId);
  }

  async finished(progress: ExecutionProgress, now: number): Promise<void> {
    await this.#update(progress.actionExecutionId, now, {
      set: ['#finishedAt = if_not_exists(#finishedAt, :now)'],
      names: { '#finishedAt': E.finishedAt },
      values: {},
      context: progress,
      overwriteContext: false,
    });
  }

  async canceled(
    actionExecutionId: string,
    reason: CancelReason,
    now: number,
    context: Context = {},
  ): Promise<ExecutionRecord> {
    const item = await this.#update(actionExecutionId, now, {
      // The first stop noted is kept: a later event (or a second delivery) changes nothing.
      set: [
        '#reason = if_not_exists(#reason, :reason)',
        '#canceledAt = if_not_exists(#canceledAt, :now)',
      ],
      names: { '#reason': E.canceledReason, '#canceledAt': E.canceledAt },
      values: { ':reason': S(reason) },
      context,
      overwriteContext: false,
    });
    return decodeExecution(item) ?? emptyRecord(actionExecutionId);
  }

  async takeCancel(actionExecutionId: string, now: number): Promise<boolean> {
    const token = randomUUID();
    try {
      await this.#client.send(
        new UpdateItemCommand({
          TableName: this.#table,
          Key: { [E.key]: S(executionKey(actionExecutionId)) },
          ConditionExpression: 'attribute_not_exists(#cancelToken)',
          UpdateExpression:
            'SET #cancelToken = :token, #takenAt = :now, #execution = :execution, #expiresAt = :ttl',
          ExpressionAttributeNames: {
            '#cancelToken': E.cancelToken,
            '#takenAt': E.cancelTakenAt,
            '#execution': E.actionExecutionId,
            '#expiresAt': E.expiresAt,
          },
          ExpressionAttributeValues: {
            ':token': S(token),
            ':now': N(now),
            ':execution': S(actionExecutionId),
            ':ttl': N(this.#ttl(now)),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return true;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The SDK may have retried our own write whose first answer was lost: only the token
      // tells it from another caller's. Servers that ignore ALL_OLD are read once.
      const old = error.Item ?? (await this.#get(actionExecutionId));
      return old?.[E.cancelToken]?.S === token;
    }
  }

  async read(actionExecutionId: string): Promise<ExecutionRecord | undefined> {
    return decodeExecution(await this.#get(actionExecutionId));
  }

  async #get(actionExecutionId: string): Promise<Record<string, AttributeValue> | undefined> {
    const result = await this.#client.send(
      new GetItemCommand({
        TableName: this.#table,
        Key: { [E.key]: S(executionKey(actionExecutionId)) },
        ConsistentRead: true,
      }),
    );
    return result.Item;
  }

  /**
   * One unconditional UpdateItem on the execution's item (created if missing), with the
   * pipeline keys (overwritten, or kept when already there) and the TTL moved on.
   */
  async #update(
    actionExecutionId: string,
    now: number,
    update: {
      set: string[];
      names: Record<string, string>;
      values: Record<string, AttributeValue>;
      context: Context;
      overwriteContext: boolean;
    },
  ): Promise<Record<string, AttributeValue> | undefined> {
    const set = [...update.set, '#execution = :execution', '#expiresAt = :ttl'];
    const names: Record<string, string> = {
      ...update.names,
      '#execution': E.actionExecutionId,
      '#expiresAt': E.expiresAt,
    };
    const values: Record<string, AttributeValue> = {
      ...update.values,
      ':execution': S(actionExecutionId),
      ':ttl': N(this.#ttl(now)),
    };
    if (update.set.some((clause) => clause.includes(':now'))) values[':now'] = N(now);
    for (const field of CONTEXT_FIELDS) {
      const value = update.context[field];
      if (value === undefined) continue;
      names[`#${field}`] = E[field];
      values[`:${field}`] = S(value);
      set.push(
        update.overwriteContext
          ? `#${field} = :${field}`
          : `#${field} = if_not_exists(#${field}, :${field})`,
      );
    }
    const result = await this.#client.send(
      new UpdateItemCommand({
        TableName: this.#table,
        Key: { [E.key]: S(executionKey(actionExecutionId)) },
        UpdateExpression: `SET ${set.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes;
  }

  #ttl(now: number): number {
    return Math.floor(now / 1000) + this.#retention;
  }
}

function emptyRecord(actionExecutionId: string): ExecutionRecord {
  return { actionExecutionId, cancelTaken: false, finished: false };
}

function numberOf(value: AttributeValue | undefined): number | undefined {
  const parsed = value?.N === undefined ? Number.NaN : Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * The record an execution's item holds; undefined when there is none. A stop reason this
 * version does not know is read as `canceled`: the execution was stopped all the same.
 *
 * @param item - the item as DynamoDB returns it
 */
export function decodeExecution(
  item: Record<string, AttributeValue> | undefined,
): ExecutionRecord | undefined {
  const actionExecutionId = item?.[E.actionExecutionId]?.S;
  if (!item || !actionExecutionId) return undefined;
  const reason = item[E.canceledReason]?.S;
  const text = (name: string) => item[name]?.S;
  return {
    actionExecutionId,
    continuationToken: text(E.continuationToken),
    jobId: text(E.continuedBy),
    pipelineName: text(E.pipelineName),
    pipelineExecutionId: text(E.pipelineExecutionId),
    stageName: text(E.stageName),
    actionName: text(E.actionName),
    ...(reason === undefined
      ? {}
      : {
          canceled: {
            reason: (CANCEL_REASONS as readonly string[]).includes(reason)
              ? (reason as CancelReason)
              : 'canceled',
            at: numberOf(item[E.canceledAt]) ?? 0,
          },
        }),
    cancelTaken: item[E.cancelToken] !== undefined,
    finished: item[E.finishedAt] !== undefined,
  };
}
