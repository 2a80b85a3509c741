/**
 * The one check of a processor's outcome: the worker, `processingContext().checked()` and a
 * local run all use it, so that an outcome a unit test accepts is one the worker reports, and
 * one it refuses fails the test with the message the job would fail with.
 */
import { OUTPUT_VARIABLE_NAME } from '../contract.js';
import { JobWorkerError } from '../errors.js';
import {
  CHECK_AFTER_SECONDS,
  LIMITS,
  PROCESSOR_TOKEN_LIMIT,
  TOKEN_ENVELOPE_RESERVE,
} from '../job/limits.js';
import { FAILURE_TYPES, type JobOutcome } from '../job/outcome.js';
import type { OutcomeCheck } from '../job/processor.js';
import { escapeControls, hasControls } from './safe-text.js';

/** How every message of an {@link InvalidOutcomeError} starts: the job fails with it. */
export const INVALID_OUTCOME_PREFIX = 'The job processor returned an invalid result: ';

/**
 * An outcome CodePipeline would refuse, or that is no outcome at all. Its message is the one
 * the job fails with (`JobFailed`): {@link INVALID_OUTCOME_PREFIX} and what is wrong.
 */
export class InvalidOutcomeError extends JobWorkerError {
  /** What is wrong, without the prefix. */
  readonly problem: string;

  /** @param problem - what is wrong with the outcome, in a few words */
  constructor(problem: string) {
    super(`${INVALID_OUTCOME_PREFIX}${problem}`);
    this.name = 'InvalidOutcomeError';
    this.problem = problem;
  }
}

const KINDS = ['success', 'continue', 'failure'] as const;

/** The fields of each kind of outcome. */
const FIELDS: Readonly<Record<(typeof KINDS)[number], readonly string[]>> = {
  success: ['kind', 'summary', 'externalExecutionId', 'outputVariables', 'currentRevision'],
  continue: [
    'kind',
    'continuationToken',
    'percentComplete',
    'summary',
    'externalExecutionId',
    'checkAfterSeconds',
  ],
  failure: ['kind', 'failureType', 'message', 'externalExecutionId'],
};
const REVISION_FIELDS = ['revision', 'changeIdentifier', 'created', 'revisionSummary'];

/** How the checks of a continuation token differ between the processor's and the wire's. */
export interface OutcomeCheckOptions {
  /**
   * The longest continuation token accepted: the processor's by default; the API's for an
   * outcome whose token the worker has already wrapped in its envelope.
   * @default PROCESSOR_TOKEN_LIMIT
   */
  readonly tokenLimit?: number;
}

/** A value named for a message: its type, and a short rendering of what it is. */
function shown(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string "${short(value)}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value === 'function' ? 'a function' : `the ${typeof value} ${String(value)}`}`;
}

/** The longest value quoted in a message. */
const QUOTED = 100;

/** `text` cut to {@link QUOTED}, controls escaped: for quoting a value in a message. */
function short(text: string): string {
  const escaped = escapeControls(text);
  return escaped.length <= QUOTED ? escaped : `${escaped.slice(0, QUOTED - 3)}...`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const list = (names: readonly string[]) =>
  `${names.slice(0, -1).join(', ')} or ${names.at(-1) ?? ''}`;

/** The problem of a value over its limit, saying by how much. */
function over(name: string, length: number, max: number, unit = 'characters', verb = 'is'): string {
  return `${name} ${verb} ${length} ${unit}, ${length - max} over the limit of ${max}`;
}

/** Fields `allowed` does not name (those set to undefined carry nothing and are let be). */
function unknownFields(value: Record<string, unknown>, allowed: readonly string[]): string[] {
  return Object.keys(value).filter((key) => !allowed.includes(key) && value[key] !== undefined);
}

function optionalText(value: Record<string, unknown>, field: string, at = field): void {
  const text = value[field];
  if (text !== undefined && typeof text !== 'string') {
    throw new InvalidOutcomeError(`${at} must be a string, not ${shown(text)}`);
  }
}

/**
 * An identifier is sent as it is or not at all: one over its limit, or (when it is shown in the
 * console) holding a control or bidirectional character, is refused.
 */
function identifier(
  value: Record<string, unknown>,
  field: string,
  max: number,
  options: { readonly at?: string; readonly required?: boolean; readonly shown?: boolean } = {},
): void {
  const at = options.at ?? field;
  optionalText(value, field, at);
  const text = value[field] as string | undefined;
  if (text === undefined || text === '') {
    if (options.required) throw new InvalidOutcomeError(`${at} is required and must not be empty`);
    return;
  }
  if (text.length > max) throw new InvalidOutcomeError(over(at, text.length, max));
  if (options.shown !== false && hasControls(text)) {
    throw new InvalidOutcomeError(
      `${at} contains a control or bidirectional-override character: it is shown as it is`,
    );
  }
}

function checkOutputVariables(variables: unknown): void {
  if (variables === undefined) return;
  if (!isRecord(variables)) {
    throw new InvalidOutcomeError(
      `outputVariables must be an object of names to strings, not ${shown(variables)}`,
    );
  }
  let bytes = 0;
  for (const [name, value] of Object.entries(variables)) {
    if (!OUTPUT_VARIABLE_NAME.test(name)) {
      throw new InvalidOutcomeError(
        `output variable name "${short(name)}" is invalid: use only letters, digits and @ - _`,
      );
    }
    if (typeof value !== 'string') {
      throw new InvalidOutcomeError(
        `output variable "${name}" must be a string, not ${shown(value)}`,
      );
    }
    // What is sent is the value with its controls escaped: the escapes count.
    bytes += Buffer.byteLength(name) + Buffer.byteLength(escapeControls(value));
  }
  if (bytes > LIMITS.outputVariablesBytes) {
    throw new InvalidOutcomeError(
      over(
        'output variables (names and values)',
        bytes,
        LIMITS.outputVariablesBytes,
        'bytes',
        'take',
      ),
    );
  }
}

function checkRevision(revision: unknown): void {
  if (revision === undefined) return;
  if (!isRecord(revision)) {
    throw new InvalidOutcomeError(`currentRevision must be an object, not ${shown(revision)}`);
  }
  const unknown = unknownFields(revision, REVISION_FIELDS);
  if (unknown.length > 0) {
    throw new InvalidOutcomeError(
      `currentRevision has no field "${short(unknown[0] ?? '')}": its fields are ${list(REVISION_FIELDS)}`,
    );
  }
  const at = (field: string) => `currentRevision.${field}`;
  identifier(revision, 'revision', LIMITS.revision, { at: at('revision'), required: true });
  identifier(revision, 'changeIdentifier', LIMITS.changeIdentifier, {
    at: at('changeIdentifier'),
    required: true,
  });
  optionalText(revision, 'revisionSummary', at('revisionSummary'));
  const created = revision.created;
  if (
    created !== undefined &&
    !(
      Object.prototype.toString.call(created) === '[object Date]' &&
      Number.isFinite((created as Date).getTime())
    )
  ) {
    throw new InvalidOutcomeError(
      `currentRevision.created must be a valid Date, not ${shown(created)}`,
    );
  }
}

function checkToken(token: unknown, limit: number): void {
  if (typeof token !== 'string' || token === '') {
    throw new InvalidOutcomeError(
      `a continue outcome needs a continuationToken (a string of 1 to ${limit} characters), not ${token === '' ? 'an empty string' : shown(token)}`,
    );
  }
  if (token.length <= limit) return;
  const reserve =
    limit === PROCESSOR_TOKEN_LIMIT
      ? ` (CodePipeline's ${LIMITS.continuationToken} less the ${TOKEN_ENVELOPE_RESERVE} the worker keeps for its own state)`
      : '';
  throw new InvalidOutcomeError(`${over('continuationToken', token.length, limit)}${reserve}`);
}

function checkPercent(percent: unknown): void {
  if (percent === undefined) return;
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent < 0 || percent > 100) {
    throw new InvalidOutcomeError(
      `percentComplete must be a number from 0 to 100, not ${shown(percent)}`,
    );
  }
}

function checkAfterSeconds(seconds: unknown): void {
  if (seconds === undefined) return;
  const { min, max } = CHECK_AFTER_SECONDS;
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < min || seconds > max) {
    throw new InvalidOutcomeError(
      `checkAfterSeconds must be a number of seconds from ${min} to ${max}, not ${shown(seconds)}`,
    );
  }
}

/**
 * Checks that `value` is an outcome CodePipeline accepts as the worker reports it, and returns
 * it. Free text (summaries, a failure's message, output variable values, the revision summary)
 * is not checked for length: the worker escapes and truncates it. Everything else that is
 * wrong is refused: no outcome at all (`undefined`, `null`, not an object), an unknown `kind`,
 * a field the kind does not have, a field of the wrong type, an output variable name
 * CodePipeline refuses, output variables over {@link LIMITS}.outputVariablesBytes bytes, a
 * continuation token over {@link PROCESSOR_TOKEN_LIMIT} characters, a `percentComplete`
 * outside 0 to 100, a `checkAfterSeconds` (a continue outcome's only) that is not a number of
 * seconds from {@link CHECK_AFTER_SECONDS}.min to {@link CHECK_AFTER_SECONDS}.max, a missing or unknown `failureType`, an empty failure message, an identifier
 * over its limit or holding a control character, a revision without both its identifiers.
 *
 * @param value - what a processor (or an {@link OutcomeCheck}) returned
 * @param options - the token limit, for an outcome whose token the worker already wrapped
 * @returns the same outcome, typed
 * @throws InvalidOutcomeError saying what is wrong, with the message the job fails with
 * @example
 * checkOutcome({ kind: 'success', outputVariables: { 'Build Id': 'b-1' } });
 * // InvalidOutcomeError: The job processor returned an invalid result: output variable
 * // name "Build Id" is invalid: use only letters, digits and @ - _
 */
export function checkOutcome(value: unknown, options: OutcomeCheckOptions = {}): JobOutcome {
  if (!isRecord(value)) {
    throw new InvalidOutcomeError(
      `it returned ${shown(value)} instead of an outcome: return success(), continueLater() or failure()`,
    );
  }
  const kind = value.kind;
  if (!KINDS.includes(kind as (typeof KINDS)[number])) {
    throw new InvalidOutcomeError(
      kind === undefined
        ? `the outcome has no kind: use ${list(KINDS.map((k) => `"${k}"`))} (or success(), continueLater(), failure())`
        : `the outcome kind ${typeof kind === 'string' ? `"${short(kind)}"` : shown(kind)} is unknown: use ${list(KINDS.map((k) => `"${k}"`))}`,
    );
  }
  const fields = FIELDS[kind as (typeof KINDS)[number]];
  const unknown = unknownFields(value, fields);
  if (unknown.length > 0) {
    throw new InvalidOutcomeError(
      `a ${String(kind)} outcome has no field "${short(unknown[0] ?? '')}": its fields are ${list(fields)}`,
    );
  }
  identifier(value, 'externalExecutionId', LIMITS.externalExecutionId);
  switch (kind) {
    case 'success':
      optionalText(value, 'summary');
      checkOutputVariables(value.outputVariables);
      checkRevision(value.currentRevision);
      break;
    case 'continue':
      checkToken(value.continuationToken, options.tokenLimit ?? PROCESSOR_TOKEN_LIMIT);
      checkPercent(value.percentComplete);
      checkAfterSeconds(value.checkAfterSeconds);
      optionalText(value, 'summary');
      break;
    default: {
      const type = value.failureType;
      if (!FAILURE_TYPES.includes(type as (typeof FAILURE_TYPES)[number])) {
        throw new InvalidOutcomeError(
          `${type === undefined ? 'a failure outcome needs a failureType' : `the failureType ${typeof type === 'string' ? `"${short(type)}"` : shown(type)} is unknown`}: use ${list(FAILURE_TYPES)}`,
        );
      }
      if (typeof value.message !== 'string' || value.message === '') {
        throw new InvalidOutcomeError(
          `a failure outcome needs a message (a non-empty string), not ${value.message === '' ? 'an empty string' : shown(value.message)}`,
        );
      }
    }
  }
  return value as unknown as JobOutcome;
}

/**
 * The outcome the worker reports for what a processor returned: checked, then passed through
 * the processor's `beforeReport` checks in order, each result checked again. The worker runs
 * this; so does `processingContext().checked()`, so that a unit test sees the same outcome, or
 * the same {@link InvalidOutcomeError}.
 *
 * @param returned - what `process` returned
 * @param checks - the checks the processor registered with `beforeReport`
 * @param clean - applied to every outcome before it is checked (the worker removes the job's
 * secret values there)
 * @throws InvalidOutcomeError when `returned`, or what a check made of it, is no valid outcome
 */
export async function reportableOutcome(
  returned: unknown,
  checks: readonly OutcomeCheck[],
  clean: (outcome: JobOutcome) => JobOutcome = (outcome) => outcome,
): Promise<JobOutcome> {
  const checked = (value: unknown) => checkOutcome(clean(value as JobOutcome));
  let outcome = checked(returned);
  for (const check of checks) outcome = checked(await check(outcome));
  return outcome;
}
