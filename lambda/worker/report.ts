/**
 * How a processor's outcome becomes a result CodePipeline accepts (the wire half): every
 * field is checked against the API's limits before it is sent, and free text is made safe to
 * show.
 */
import { JobWorkerError } from '../errors.js';
import {
  type CurrentRevision,
  FAILURE_TYPES,
  type FailureOutcome,
  type FailureType,
  type JobOutcome,
} from '../job/outcome.js';
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

/** API limits (CodePipeline service model). */
export const LIMITS = {
  summary: 2048,
  externalExecutionId: 1500,
  failureMessage: 5000,
  continuationToken: 2048,
  revision: 1500,
  changeIdentifier: 100,
  revisionSummary: 2048,
  outputVariablesBytes: 122_880,
} as const;

const OUTPUT_VARIABLE_KEY = /^[A-Za-z0-9@\-_]+$/;
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

/** An outcome the API would refuse; it becomes a failure result with this message. */
export class InvalidOutcomeError extends JobWorkerError {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidOutcomeError';
  }
}

/** Free text: controls escaped (see {@link escapeControls}), then cut to `max`. */
function nonEmpty(value: string | undefined, max: number): string | undefined {
  return value === undefined || value === '' ? undefined : displayText(value, max);
}

/**
 * An identifier is sent as it is or not at all: one over the limit, or (when it is shown in
 * the console) holding a control or bidirectional character, fails the job.
 */
function identifier(
  name: string,
  value: string | undefined,
  max: number,
  shown = true,
): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > max) {
    throw new InvalidOutcomeError(`${name} is ${value.length} characters; the limit is ${max}`);
  }
  if (shown && hasControls(value)) {
    throw new InvalidOutcomeError(
      `${name} contains a control or bidirectional-override character: it is shown as it is`,
    );
  }
  return value;
}

/** Whether `id` can be sent as an external execution id as it is. */
function usableId(id: string | undefined): id is string {
  return !!id && id.length <= LIMITS.externalExecutionId && !hasControls(id);
}

/** The output variables as reported: values with controls escaped, then checked. */
function checkOutputVariables(
  variables: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  let bytes = 0;
  const checked: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(variables)) {
    if (!OUTPUT_VARIABLE_KEY.test(key)) {
      throw new InvalidOutcomeError(
        `output variable name "${truncate(key, 100)}" is invalid: use only letters, digits and @ - _`,
      );
    }
    if (typeof value !== 'string') {
      throw new InvalidOutcomeError(`output variable "${key}" must be a string`);
    }
    // A value is substituted into later actions' configuration: a raw control character
    // there is as unsafe as in a summary. The size is what is sent, escapes included.
    const shown = escapeControls(value);
    checked.push([key, shown]);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(shown);
  }
  if (bytes > LIMITS.outputVariablesBytes) {
    throw new InvalidOutcomeError(
      `output variables take ${bytes} bytes; the limit is ${LIMITS.outputVariablesBytes}`,
    );
  }
  // Defined, not assigned: a variable named `__proto__` stays a variable.
  return Object.fromEntries(checked);
}

function checkRevision(revision: CurrentRevision): CurrentRevision {
  const checked = {
    revision: identifier('currentRevision.revision', revision.revision, LIMITS.revision),
    changeIdentifier: identifier(
      'currentRevision.changeIdentifier',
      revision.changeIdentifier,
      LIMITS.changeIdentifier,
    ),
  };
  if (!checked.revision || !checked.changeIdentifier) {
    throw new InvalidOutcomeError('currentRevision needs both revision and changeIdentifier');
  }
  return {
    revision: checked.revision,
    changeIdentifier: checked.changeIdentifier,
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
 * Turns a processor's outcome into a report the API accepts.
 *
 * Free text (summaries, messages, output variable values) has its control and bidirectional
 * characters escaped, then is truncated; identifiers, tokens and output variable names that
 * break the API's rules are not altered: the job fails with a message that says why.
 *
 * @param outcome - what the processor returned
 * @param defaultExecutionId - external execution id used when the processor gives none
 */
export function toReport(outcome: JobOutcome, defaultExecutionId?: string): Report {
  const executionId = outcome.externalExecutionId || defaultExecutionId;
  try {
    switch (outcome.kind) {
      case 'failure':
        return failureReport(outcome.failureType, outcome.message, executionId);
      case 'continue': {
        // The token is the processor's own (read back by the next job), never shown.
        const token = identifier(
          'continuationToken',
          outcome.continuationToken,
          LIMITS.continuationToken,
          false,
        );
        if (!token) throw new InvalidOutcomeError('a continue outcome needs a continuationToken');
        return {
          kind: 'success',
          continuationToken: token,
          executionDetails: details(outcome.summary, executionId, outcome.percentComplete),
        };
      }
      case 'success': {
        const variables = outcome.outputVariables
          ? checkOutputVariables(outcome.outputVariables)
          : undefined;
        return {
          kind: 'success',
          executionDetails: details(outcome.summary, executionId, undefined),
          outputVariables: variables && Object.keys(variables).length > 0 ? variables : undefined,
          currentRevision: outcome.currentRevision
            ? checkRevision(outcome.currentRevision)
            : undefined,
        };
      }
      default:
        throw new InvalidOutcomeError(
          `the processor returned an unknown outcome kind "${String((outcome as { kind: unknown }).kind)}"`,
        );
    }
  } catch (error) {
    if (!(error instanceof InvalidOutcomeError)) throw error;
    return failureReport(
      'JobFailed',
      `The job processor returned an invalid result: ${error.message}`,
      usableId(executionId) ? executionId : defaultExecutionId,
    );
  }
}

/**
 * The outcome as plain data, each of its fields read once. A processor's outcome is its own
 * object: a getter or a proxy could give one value to the check that a field holds no secret
 * and another to the copy that is reported. Everything after this reads the snapshot, never the
 * processor's object. Fields that no outcome has are left out; output variables are read once
 * as the entries they hold. Anything that is not an object is returned as it is, for
 * {@link toReport} to refuse.
 *
 * @param outcome - what the processor (or an outcome check) returned
 */
export function outcomeSnapshot(outcome: JobOutcome): JobOutcome {
  if (typeof outcome !== 'object' || outcome === null) return outcome;
  const { kind, externalExecutionId } = outcome;
  switch (kind) {
    case 'failure': {
      const { failureType, message } = outcome;
      return { kind, failureType, message, externalExecutionId };
    }
    case 'continue': {
      const { continuationToken, percentComplete, summary } = outcome;
      return { kind, continuationToken, percentComplete, summary, externalExecutionId };
    }
    case 'success': {
      const { summary, outputVariables, currentRevision } = outcome;
      return {
        kind,
        summary,
        externalExecutionId,
        outputVariables:
          typeof outputVariables === 'object' && outputVariables !== null
            ? // Defined, not assigned: a variable named `__proto__` stays a variable.
              Object.fromEntries(Object.entries(outputVariables))
            : outputVariables,
        currentRevision:
          typeof currentRevision === 'object' && currentRevision !== null
            ? revisionSnapshot(currentRevision)
            : currentRevision,
      };
    }
    default:
      // An unknown kind: toReport refuses it, naming the kind.
      return { kind } as unknown as JobOutcome;
  }
}

function revisionSnapshot(revision: CurrentRevision): CurrentRevision {
  const { revision: id, changeIdentifier, created, revisionSummary } = revision;
  return { revision: id, changeIdentifier, created, revisionSummary };
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
  const checkedId = identifier(
    'externalExecutionId',
    externalExecutionId,
    LIMITS.externalExecutionId,
  );
  const percent =
    typeof percentComplete === 'number' && Number.isFinite(percentComplete)
      ? Math.min(100, Math.max(0, Math.round(percentComplete)))
      : undefined;
  const result = {
    summary: nonEmpty(summary, LIMITS.summary),
    externalExecutionId: checkedId,
    percentComplete: percent,
  };
  return Object.values(result).some((value) => value !== undefined) ? result : undefined;
}
