/**
 * The invocation events the worker accepts. Anything else is refused before any poll.
 */

import type { ActionTypeId } from './config.js';
import { STOP_EVENT_STATES, type StopEventState } from './contract.js';
import { JobWorkerError } from './errors.js';
import type { ExecutionStop } from './worker/execution-stops.js';

export type Trigger =
  /** An EventBridge scheduled event (the regular tick). */
  | { readonly kind: 'schedule' }
  /** A `{}` invocation by hand, `aws lambda invoke` or a test. */
  | { readonly kind: 'manual' }
  /** CodePipeline started an action of this type: a job is about to be pollable. */
  | { readonly kind: 'action-started'; readonly executionId?: string }
  /**
   * An action execution of this type was stopped (ABANDONED, CANCELED) or failed (FAILED):
   * its external work may have to be canceled.
   */
  | ({ readonly kind: 'action-stopped' } & ExecutionStop);

/** The invocation event is none of the accepted kinds. */
export class InvalidEventError extends JobWorkerError {
  constructor(reason: string) {
    super(
      `Rejected invocation event: ${reason}. Accepted: an EventBridge scheduled event, a CodePipeline Action Execution State Change (${ACCEPTED_STATES.join(', ')}) event for this action type, or {}.`,
    );
    this.name = 'InvalidEventError';
  }
}

const STATE_CHANGE = 'CodePipeline Action Execution State Change';
const ACCEPTED_STATES: readonly string[] = ['STARTED', ...STOP_EVENT_STATES];

/** An action execution id as a stop event must carry it: the key of the execution's item. */
const ACTION_EXECUTION_ID = /^[A-Za-z0-9_-]{1,100}$/;
/** The most characters a pipeline, stage or action name, or a pipeline execution id, has. */
const MAX_NAME_LENGTH = 100;

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
    if (isStopState(detail.state)) return stopTrigger(detail, detail.state);
    if (detail.state !== 'STARTED') {
      throw new InvalidEventError(
        `the action execution event has state ${show(detail.state)}, not one of ${ACCEPTED_STATES.join(', ')}`,
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

function isStopState(state: unknown): state is StopEventState {
  return (STOP_EVENT_STATES as readonly unknown[]).includes(state);
}

/** The stop trigger of a stop event's detail; refuses one without a usable execution id. */
function stopTrigger(detail: Loose, state: StopEventState): Trigger {
  const id = detail['action-execution-id'];
  if (typeof id !== 'string' || !ACTION_EXECUTION_ID.test(id)) {
    throw new InvalidEventError(
      `the ${state} action execution event has action-execution-id ${quoted(id)}, not 1-100 characters of [A-Za-z0-9_-]`,
    );
  }
  const optional = (key: string): string | undefined => {
    const value = detail[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value.length === 0 || value.length > MAX_NAME_LENGTH) {
      throw new InvalidEventError(
        `the ${state} action execution event has ${key} ${quoted(value)}, not a string of 1-${MAX_NAME_LENGTH} characters`,
      );
    }
    return value;
  };
  const fields = {
    executionId: optional('execution-id'),
    pipeline: optional('pipeline'),
    stage: optional('stage'),
    action: optional('action'),
  };
  return {
    kind: 'action-stopped',
    state,
    actionExecutionId: id,
    ...Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)),
  };
}
