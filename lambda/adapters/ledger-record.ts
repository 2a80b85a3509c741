/**
 * The nonce ledger's item, as a record: its states, its attribute names, and the one decoder
 * from a DynamoDB item to a typed record. The adapter writes every command's expression
 * attribute names and values out in full; nothing is picked by matching strings.
 *
 * Item: jobId, nonce (of the current claim), nonces (every nonce ever claimed), state,
 * claimToken, leaseExpiresAt (epoch ms), attempts (claims made), releasedTokens (the claims
 * given back unused), claimedAt, completedAt, actionExecutionId, expiresAt (epoch s, TTL),
 * pendingShard (present while a claim is open; keys the index that finds claims whose worker
 * died), report and recordedAt (epoch ms): the report a processor's outcome became, recorded
 * before it is sent and removed once the job is finished (see `recorded-report.ts`). Never
 * credentials or configuration values: a report is built from the redacted job and holds no
 * secret value.
 *
 * An open claim (claimed or released) is in one of two phases: without a report, its processor
 * may be running (a worker that takes it over runs the processor again); with one, the
 * processor has returned (whoever holds the job next sends the recorded report instead).
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { LEDGER_SCHEMA } from '../contract.js';
import type { Report } from '../worker/report.js';
import { decodeReport } from './recorded-report.js';

/** Where a job stands in the ledger. */
export const LEDGER_STATES = {
  /** A worker holds the job until `leaseExpiresAt`. */
  claimed: 'claimed',
  /** Given up unused: another dispatch of the job may be claimed at once. */
  released: 'released',
  succeeded: 'succeeded',
  failed: 'failed',
  continued: 'continued',
  /** The service no longer wanted a result for the job. */
  abandoned: 'abandoned',
} as const;

export type LedgerState = (typeof LEDGER_STATES)[keyof typeof LEDGER_STATES];

/** States in which a new dispatch of the job may claim it once the lease has expired. */
export const OPEN_STATES: readonly LedgerState[] = [LEDGER_STATES.claimed, LEDGER_STATES.released];

/** The value of `pendingShard` while a claim is open: the index has one partition. */
export const PENDING_SHARD = 'open';

/** The item's attribute names. */
export const ATTRIBUTES = {
  jobId: LEDGER_SCHEMA.partitionKey,
  nonce: 'nonce',
  nonces: 'nonces',
  state: 'state',
  claimToken: 'claimToken',
  leaseExpiresAt: LEDGER_SCHEMA.pendingIndex.sortKey,
  attempts: 'attempts',
  releasedTokens: 'releasedTokens',
  claimedAt: 'claimedAt',
  completedAt: 'completedAt',
  actionExecutionId: 'actionExecutionId',
  report: 'report',
  recordedAt: 'recordedAt',
  expiresAt: LEDGER_SCHEMA.timeToLiveAttribute,
  pendingShard: LEDGER_SCHEMA.pendingIndex.partitionKey,
} as const;

/** A ledger item, decoded. */
export interface LedgerRecord {
  readonly jobId: string;
  /** The nonce of the current (or last) claim. */
  readonly nonce?: string;
  /** Every nonce ever claimed for the job. */
  readonly nonces: readonly string[];
  /** Undefined when the item holds a state this version does not know. */
  readonly state?: LedgerState;
  readonly claimToken?: string;
  /** Epoch ms. */
  readonly leaseExpiresAt?: number;
  /** Claims the job has had, this one included. */
  readonly attempts: number;
  /** The tokens of the claims given back unused (released before the job was acknowledged). */
  readonly releasedTokens: readonly string[];
  /** The report recorded when the job's processor returned, until the job is finished. */
  readonly report?: Report;
}

const KNOWN_STATES = new Set<string>(Object.values(LEDGER_STATES));

function numberOf(value: AttributeValue | undefined): number | undefined {
  const parsed = value?.N === undefined ? Number.NaN : Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/**
 * The record an item holds; undefined when there is no item, or it has no job id.
 *
 * @param item - a ledger item as DynamoDB returns it (any projection of it)
 */
export function decodeRecord(
  item: Record<string, AttributeValue> | undefined,
): LedgerRecord | undefined {
  const jobId = item?.[ATTRIBUTES.jobId]?.S;
  if (!item || !jobId) return undefined;
  const state = item[ATTRIBUTES.state]?.S;
  return {
    jobId,
    nonce: item[ATTRIBUTES.nonce]?.S,
    nonces: item[ATTRIBUTES.nonces]?.SS ?? [],
    state: state !== undefined && KNOWN_STATES.has(state) ? (state as LedgerState) : undefined,
    claimToken: item[ATTRIBUTES.claimToken]?.S,
    leaseExpiresAt: numberOf(item[ATTRIBUTES.leaseExpiresAt]),
    attempts: numberOf(item[ATTRIBUTES.attempts]) ?? 1,
    releasedTokens: item[ATTRIBUTES.releasedTokens]?.SS ?? [],
    report: decodeReport(item[ATTRIBUTES.report]),
  };
}

/** Whether the record is in a state a new dispatch may claim once the lease has expired. */
export function isOpen(record: LedgerRecord): boolean {
  return record.state !== undefined && OPEN_STATES.includes(record.state);
}

/**
 * An action execution's item, in the same table (see `dynamodb-execution-ledger.ts`):
 * jobId (the partition key) is `execution#` and the action execution id; actionExecutionId;
 * continuationToken (the last continue report's token as it was sent, envelope included),
 * continuedBy (the job that sent it), continuedAt (epoch ms); pipelineName,
 * pipelineExecutionId, stageName, actionName; canceledReason and canceledAt (the first stop
 * noted: `abandoned`, `canceled`, `failed` or `refused`, and when); cancelToken and
 * cancelTakenAt (who took the one right to call the processor's `cancel`, and when);
 * finishedAt (when a job of the execution was about to report, or reported, a final result);
 * expiresAt (epoch s, TTL, moved on by every write). It has no state and no pendingShard:
 * no claim ever reads it, and it never enters the index of open claims.
 */
export const EXECUTION_ATTRIBUTES = {
  key: LEDGER_SCHEMA.partitionKey,
  actionExecutionId: 'actionExecutionId',
  continuationToken: 'continuationToken',
  continuedBy: 'continuedBy',
  continuedAt: 'continuedAt',
  pipelineName: 'pipelineName',
  pipelineExecutionId: 'pipelineExecutionId',
  stageName: 'stageName',
  actionName: 'actionName',
  canceledReason: 'canceledReason',
  canceledAt: 'canceledAt',
  cancelToken: 'cancelToken',
  cancelTakenAt: 'cancelTakenAt',
  finishedAt: 'finishedAt',
  expiresAt: LEDGER_SCHEMA.timeToLiveAttribute,
} as const;

/** The partition key value of an action execution's item. */
export function executionKey(actionExecutionId: string): string {
  return `${LEDGER_SCHEMA.executionKeyPrefix}${actionExecutionId}`;
}
