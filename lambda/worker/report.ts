/**
 * How a processor's outcome becomes a result CodePipeline accepts (the wire half): every
 * field is checked against the API's limits before it is sent, and free text is made safe to
 * show.
 */
import { LIMITS } from '../job/limits.js';
import {
  type CurrentRevision,
  FAILURE_TYPES,
  type FailureOutcome,
  type FailureType,
  type JobOutcome,
} from '../job/outcome.js';
import { checkOutcome, InvalidOutcomeError } from './outcome-check.js';
import { displayText, escapeControls, hasControls } from './safe-text.js';

/** `PutJobSuccessResult` input, in the worker's own terms. */
export interface SuccessReport {
  readonly kind: 'success';
  readonly continuationToken?: string;
  readonly executionDetails?: {
    readonly summary?: string;
    readonly externalExecutionId?: string;
    readonly percentComplete?: number;
  };
  readonly outputVariables?: Readonly<Record<string, string>>;
  readonly currentRevision?: CurrentRevision;
}

/** `PutJobFailureResult` input, in the worker's own terms. */
export interface FailureReport {
  readonly kind: 'failure';
  readonly failureType: FailureType;
  readonly message: string;
  readonly externalExecutionId?: string;
}

export type Report = SuccessReport | FailureReport;

export { InvalidOutcomeError, LIMITS };

const ELLIPSIS = '...';

/** Cuts `value` to `max` characters, marking the cut. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - ELLIPSIS.length;
  // Never split a character stored as a UTF-16 surrogate pair.
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${value.slice(0, end)}${ELLIPSIS}`;
}

/** Free text: controls escaped (see {@link escapeControls}), then cut to `max`. */
function nonEmpty(value: string | undefined, max: number): string | undefined {
  return value === undefined || value === '' ? undefined : displayText(value, max);
}

/** Whether `id` can be sent as an external execution id as it is. */
function usableId(id: unknown): id is string {
  return (
    typeof id === 'string' &&
    id !== '' &&
    id.length <= LIMITS.externalExecutionId &&
    !hasControls(id)
  );
}

/** The output variables as reported: values with controls escaped (their size is checked). */
function reportedVariables(
  variables: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  // Defined, not assigned: a variable named `__proto__` stays a variable.
  return Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, escapeControls(value)]),
  );
}

function reportedRevision(revision: CurrentRevision): CurrentRevision {
  return {
    revision: revision.revision,
    changeIdentifier: revision.changeIdentifier,
    created: revision.created,
    revisionSummary: nonEmpty(revision.revisionSummary, LIMITS.revisionSummary),
  };
}

/** A failure report with its message safe to show and its fields within the API's limits. */
export function failureReport(
  failureType: FailureType,
  message: string,
  externalExecutionId?: string,
): FailureReport {
  return {
    kind: 'failure',
    failureType: FAILURE_TYPES.includes(failureType) ? failureType : 'JobFailed',
    message: displayText(message === '' ? 'the job failed' : message, LIMITS.failureMessage),
    // An identifier is never cut or escaped (a changed id links nowhere): one over the limit,
    // or with a control character, is left out.
    externalExecutionId: usableId(externalExecutionId) ? externalExecutionId : undefined,
  };
}

/**
 * Turns an outcome into a report the API accepts.
 *
 * The outcome is checked with {@link checkOutcome} (the check the processor's outcome already
 * passed), here against the API's own token limit: the worker's envelope is around the token
 * by now. Free text (summaries, messages, output variable values) has its control and
 * bidirectional characters escaped, then is truncated; anything else that breaks the API's
 * rules is not altered: the job fails with a message that says why.
 *
 * @param outcome - the outcome to report
 * @param defaultExecutionId - external execution id used when the outcome gives none
 */
export function toReport(outcome: JobOutcome, defaultExecutionId?: string): Report {
  try {
    checkOutcome(outcome, { tokenLimit: LIMITS.continuationToken });
  } catch (error) {
    if (!(error instanceof InvalidOutcomeError)) throw error;
    const own = (outcome as { externalExecutionId?: unknown } | undefined)?.externalExecutionId;
    return failureReport('JobFailed', error.message, usableId(own) ? own : defaultExecutionId);
  }
  const executionId = outcome.externalExecutionId || defaultExecutionId;
  switch (outcome.kind) {
    case 'failure':
      return failureReport(outcome.failureType, outcome.message, executionId);
    case 'continue':
      return {
        kind: 'success',
        // The token is the processor's own (read back by the next job), never shown.
        continuationToken: outcome.continuationToken,
        executionDetails: details(outcome.summary, executionId, outcome.percentComplete),
      };
    default: {
      const variables = outcome.outputVariables
        ? reportedVariables(outcome.outputVariables)
        : undefined;
      return {
        kind: 'success',
        executionDetails: details(outcome.summary, executionId, undefined),
        outputVariables: variables && Object.keys(variables).length > 0 ? variables : undefined,
        currentRevision: outcome.currentRevision
          ? reportedRevision(outcome.currentRevision)
          : undefined,
      };
    }
  }
}

/**
 * The outcome as plain data, each of its fields read once. A processor's outcome is its own
 * object: a getter or a proxy could give one value to the check that a field holds no secret
 * and another to the copy that is reported. Everything after this reads the snapshot, never the
 * processor's object. Every own field is copied as it reads the first time (the outcome check
 * then refuses the fields no outcome has); output variables and the current revision are
 * copied the same way, one level down. Anything that is not an object is returned as it is,
 * for the outcome check to refuse.
 *
 * @param outcome - what the processor (or an outcome check) returned
 */
export function outcomeSnapshot(outcome: JobOutcome): JobOutcome {
  const copy = plainCopy(outcome);
  if (typeof copy !== 'object' || copy === null || Array.isArray(copy)) return outcome;
  const fields = copy as Record<string, unknown>;
  for (const nested of ['outputVariables', 'currentRevision']) {
    if (Object.hasOwn(fields, nested)) fields[nested] = plainCopy(fields[nested]);
  }
  return fields as unknown as JobOutcome;
}

/**
 * An object's own enumerable fields, each read once, into a new plain object (defined, not
 * assigned: a field named `__proto__` stays a field); anything else as it is.
 */
function plainCopy(value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  if (value instanceof Date) return value;
  return Object.fromEntries(Object.entries(value));
}

/**
 * The outcome without secret values: the report it becomes is sent to CodePipeline and
 * recorded in the ledger, and neither may hold one. Free text (summary, message, output
 * variable values, revision summary) and the processor's continuation token are passed through
 * `scrub`. What CodePipeline must receive as it is (the external execution id, the revision
 * and its change identifier) and output variable names are never altered: one that holds a
 * secret value turns the outcome into a failure that says which field, never the value. Run it
 * before {@link toReport}, which then checks the limits, so a replaced value cannot make the
 * report too long, and before the worker wraps a continuation token in its envelope, so that
 * nothing rewrites the envelope.
 *
 * @param scrub - replaces the secret values the process holds (`SecretScrubber.scrub`)
 */
export function withoutSecrets(outcome: JobOutcome, scrub: (text: string) => string): JobOutcome {
  if (typeof outcome !== 'object' || outcome === null) return outcome;
  const text = <T>(value: T): T => (typeof value === 'string' ? scrub(value) : value) as T;
  const holds = (value: unknown): boolean => typeof value === 'string' && scrub(value) !== value;
  const refused = (field: string): FailureOutcome => ({
    kind: 'failure',
    failureType: 'JobFailed',
    message: `The job processor returned an invalid result: ${field} contains a secret value, and CodePipeline would receive it as it is`,
  });
  if (outcome.kind === 'failure') {
    const { externalExecutionId: id, ...rest } = outcome;
    // A failure stays the processor's failure; only the id is left out.
    return holds(id)
      ? {
          ...rest,
          message: `${text(outcome.message)} (the externalExecutionId contains a secret value and is left out)`,
        }
      : { ...outcome, message: text(outcome.message) };
  }
  if (outcome.kind !== 'continue' && outcome.kind !== 'success') return outcome;
  if (holds(outcome.externalExecutionId)) return refused('externalExecutionId');
  if (outcome.kind === 'continue') {
    return {
      ...outcome,
      continuationToken: text(outcome.continuationToken),
      summary: text(outcome.summary),
    };
  }
  const { outputVariables: variables, currentRevision: revision } = outcome;
  const names = variables && typeof variables === 'object' ? Object.keys(variables) : [];
  const secretName = names.findIndex(holds);
  if (secretName >= 0) {
    return refused(`the name of output variable ${secretName + 1} (of ${names.length})`);
  }
  if (revision && typeof revision === 'object') {
    if (holds(revision.revision)) return refused('currentRevision.revision');
    if (holds(revision.changeIdentifier)) return refused('currentRevision.changeIdentifier');
  }
  return {
    ...outcome,
    summary: text(outcome.summary),
    outputVariables:
      variables && typeof variables === 'object'
        ? Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, text(v)]))
        : variables,
    currentRevision:
      revision && typeof revision === 'object'
        ? { ...revision, revisionSummary: text(revision.revisionSummary) }
        : revision,
  };
}

function details(
  summary: string | undefined,
  externalExecutionId: string | undefined,
  percentComplete: number | undefined,
): SuccessReport['executionDetails'] {
  const result = {
    summary: nonEmpty(summary, LIMITS.summary),
    // A default id that cannot be sent as it is (never one the outcome gave: that was checked)
    // is left out.
    externalExecutionId: usableId(externalExecutionId) ? externalExecutionId : undefined,
    // Checked to be within 0 to 100; the API takes whole numbers.
    percentComplete: percentComplete === undefined ? undefined : Math.round(percentComplete),
  };
  return Object.values(result).some((value) => value !== undefined) ? result : undefined;
}
