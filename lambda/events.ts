/**
 * The invocation events the worker accepts. Anything else is refused before any poll.
 */

import type { ActionTypeId } from './config.js';
import { JobWorkerError } from './errors.js';

export type Trigger =
  /** An EventBridge scheduled event (the regular tick). */
  | { readonly kind: 'schedule' }
  /** A `{}` invocation by hand, `aws lambda invoke` or a test. */
  | { readonly kind: 'manual' }
  /** CodePipeline started an action of this type: a job is about to be pollable. */
  | { readonly kind: 'action-started'; readonly executionId?: string };

/** The invocation event is none of the accepted kinds. */
export class InvalidEventError extends JobWorkerError {
  constructor(reason: string) {
    super(
      `Rejected invocation event: ${reason}. Accepted: an EventBridge scheduled event, a CodePipeline Action Execution State Change (STARTED) event for this action type, or {}.`,
    );
    this.name = 'InvalidEventError';
  }
}

const STATE_CHANGE = 'CodePipeline Action Execution State Change';

type Loose = Record<string, unknown>;
const isRecord = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A short, safe description of an untrusted value: never recursive, never long. */
function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 64 ? `${value.slice(0, 64)}...` : value;
  if (typeof value === 'object' && value !== null) {
    return Array.isArray(value) ? 'an array' : 'an object';
  }
  return String(value);
}

/** {@link show}, with strings quoted (for values that may be empty or contain spaces). */
function quoted(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  return typeof value === 'string' ? JSON.stringify(show(value)) : show(value);
}

function describeType(type: Loose): string {
  return ['owner', 'category', 'provider', 'version'].map((key) => show(type[key])).join('/');
}

/**
 * Identifies the invocation event.
 *
 * @param event - whatever Lambda was invoked with
 * @param actionType - this worker's action type
 * @throws InvalidEventError naming what is wrong
 */
export function parseTrigger(event: unknown, actionType: ActionTypeId): Trigger {
  if (!isRecord(event)) {
    const kind = event === null ? 'null' : Array.isArray(event) ? 'an array' : typeof event;
    throw new InvalidEventError(`expected a JSON object, got ${kind}`);
  }
  if (Object.keys(event).length === 0) return { kind: 'manual' };
  const source = event.source;
  const detailType = event['detail-type'];
  if (source === 'aws.events' && detailType === 'Scheduled Event') return { kind: 'schedule' };
  if (source === 'aws.codepipeline' && detailType === STATE_CHANGE) {
    const detail = isRecord(event.detail) ? event.detail : {};
    const type = isRecord(detail.type) ? detail.type : {};
    const ours =
      type.owner === actionType.owner &&
      type.category === actionType.category &&
      type.provider === actionType.provider &&
      (typeof type.version === 'string' || typeof type.version === 'number') &&
      String(type.version) === actionType.version;
    if (!ours) {
      throw new InvalidEventError(
        `the action execution event is for action type ${describeType(type)}, not ${describeType({ ...actionType })}`,
      );
    }
    if (detail.state !== 'STARTED') {
      throw new InvalidEventError(
        `the action execution event has state ${show(detail.state)}, not STARTED`,
      );
    }
    return {
      kind: 'action-started',
      executionId: typeof detail['execution-id'] === 'string' ? detail['execution-id'] : undefined,
    };
  }
  throw new InvalidEventError(
    `unknown event (source ${quoted(source)}, detail-type ${quoted(detailType)})`,
  );
}
