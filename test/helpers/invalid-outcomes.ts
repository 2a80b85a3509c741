/**
 * Outcomes the worker refuses, each with the message the job fails with: one table, run
 * through every path that checks an outcome (the check itself, `processingContext().checked()`,
 * the worker, a local run), so that they cannot disagree.
 */
import { LIMITS, PROCESSOR_TOKEN_LIMIT } from '../../lambda/job/limits.js';

const PREFIX = 'The job processor returned an invalid result: ';
const FAILURE_TYPE_LIST =
  'JobFailed, ConfigurationError, PermissionError, RevisionOutOfSync, RevisionUnavailable or SystemUnavailable';

/** [what it is, what the processor returns, the failure message the job gets]. */
export const INVALID_OUTCOMES: readonly (readonly [string, () => unknown, string])[] = [
  [
    'undefined',
    () => undefined,
    `${PREFIX}it returned undefined instead of an outcome: return success(), continueLater() or failure()`,
  ],
  [
    'null',
    () => null,
    `${PREFIX}it returned null instead of an outcome: return success(), continueLater() or failure()`,
  ],
  [
    'a string',
    () => 'done',
    `${PREFIX}it returned the string "done" instead of an outcome: return success(), continueLater() or failure()`,
  ],
  [
    'an array',
    () => [{ kind: 'success' }],
    `${PREFIX}it returned an array instead of an outcome: return success(), continueLater() or failure()`,
  ],
  [
    'an object without a kind',
    () => ({ summary: 'done' }),
    `${PREFIX}the outcome has no kind: use "success", "continue" or "failure" (or success(), continueLater(), failure())`,
  ],
  [
    'a misspelt kind',
    () => ({ kind: 'sucess' }),
    `${PREFIX}the outcome kind "sucess" is unknown: use "success", "continue" or "failure"`,
  ],
  [
    'an output variable name with a space',
    () => ({ kind: 'success', outputVariables: { 'Build Id': 'x' } }),
    `${PREFIX}output variable name "Build Id" is invalid: use only letters, digits and @ - _`,
  ],
  [
    'an output variable value that is not a string',
    () => ({ kind: 'success', outputVariables: { Count: 3 } }),
    `${PREFIX}output variable "Count" must be a string, not the number 3`,
  ],
  [
    'output variables over their size',
    () => ({
      kind: 'success',
      outputVariables: { V: 'v'.repeat(LIMITS.outputVariablesBytes) },
    }),
    `${PREFIX}output variables (names and values) take ${LIMITS.outputVariablesBytes + 1} bytes, 1 over the limit of ${LIMITS.outputVariablesBytes}`,
  ],
  [
    'a 3,000-character continuation token',
    () => ({ kind: 'continue', continuationToken: 't'.repeat(3_000) }),
    `${PREFIX}continuationToken is 3000 characters, ${3_000 - PROCESSOR_TOKEN_LIMIT} over the limit of ${PROCESSOR_TOKEN_LIMIT} (CodePipeline's ${LIMITS.continuationToken} less the ${LIMITS.continuationToken - PROCESSOR_TOKEN_LIMIT} the worker keeps for its own state)`,
  ],
  [
    'a continue outcome without a token',
    () => ({ kind: 'continue', summary: 'half way' }),
    `${PREFIX}a continue outcome needs a continuationToken (a string of 1 to ${PROCESSOR_TOKEN_LIMIT} characters), not undefined`,
  ],
  [
    'a percentComplete over 100',
    () => ({ kind: 'continue', continuationToken: 't', percentComplete: 140 }),
    `${PREFIX}percentComplete must be a number from 0 to 100, not the number 140`,
  ],
  [
    'a percentComplete that is text',
    () => ({ kind: 'continue', continuationToken: 't', percentComplete: '40' }),
    `${PREFIX}percentComplete must be a number from 0 to 100, not the string "40"`,
  ],
  [
    'a failure without a failure type',
    () => ({ kind: 'failure', message: 'the build failed' }),
    `${PREFIX}a failure outcome needs a failureType: use ${FAILURE_TYPE_LIST}`,
  ],
  [
    'an unknown failure type',
    () => ({ kind: 'failure', failureType: 'BuildFailed', message: 'the build failed' }),
    `${PREFIX}the failureType "BuildFailed" is unknown: use ${FAILURE_TYPE_LIST}`,
  ],
  [
    'a failure without a message',
    () => ({ kind: 'failure', failureType: 'JobFailed' }),
    `${PREFIX}a failure outcome needs a message (a non-empty string), not undefined`,
  ],
  [
    'a summary that is not text',
    () => ({ kind: 'success', summary: 42 }),
    `${PREFIX}summary must be a string, not the number 42`,
  ],
  [
    'a field the kind does not have',
    () => ({ kind: 'success', summery: 'done' }),
    `${PREFIX}a success outcome has no field "summery": its fields are kind, summary, externalExecutionId, outputVariables or currentRevision`,
  ],
  [
    'an external execution id over its limit',
    () => ({ kind: 'success', externalExecutionId: 'e'.repeat(LIMITS.externalExecutionId + 5) }),
    `${PREFIX}externalExecutionId is ${LIMITS.externalExecutionId + 5} characters, 5 over the limit of ${LIMITS.externalExecutionId}`,
  ],
  [
    'a revision without its change identifier',
    () => ({ kind: 'success', currentRevision: { revision: 'r-1' } }),
    `${PREFIX}currentRevision.changeIdentifier is required and must not be empty`,
  ],
  [
    'a revision created at a date that is text',
    () => ({
      kind: 'success',
      currentRevision: { revision: 'r-1', changeIdentifier: 'c1', created: '2025-01-15' },
    }),
    `${PREFIX}currentRevision.created must be a valid Date, not the string "2025-01-15"`,
  ],
];

/** Outcomes at the edges of what is accepted: every one is reported as it is. */
export const VALID_OUTCOMES: readonly (readonly [string, unknown])[] = [
  ['a bare success', { kind: 'success' }],
  [
    'a success with every field',
    {
      kind: 'success',
      summary: 's'.repeat(LIMITS.summary + 10),
      externalExecutionId: 'e'.repeat(LIMITS.externalExecutionId),
      outputVariables: { 'Build_Id@1-a': 'x' },
      currentRevision: {
        revision: 'r-1',
        changeIdentifier: 'c1',
        created: new Date(0),
        revisionSummary: 'first',
      },
    },
  ],
  [
    `a token of exactly ${PROCESSOR_TOKEN_LIMIT} characters`,
    { kind: 'continue', continuationToken: 't'.repeat(PROCESSOR_TOKEN_LIMIT) },
  ],
  ['a continuation at 0 %', { kind: 'continue', continuationToken: 't', percentComplete: 0 }],
  ['a continuation at 100 %', { kind: 'continue', continuationToken: 't', percentComplete: 100 }],
  [
    'a failure with a message over its limit (it is truncated)',
    { kind: 'failure', failureType: 'ConfigurationError', message: 'm'.repeat(6_000) },
  ],
  ['a success whose unused fields are undefined', { kind: 'success', summary: undefined }],
];
