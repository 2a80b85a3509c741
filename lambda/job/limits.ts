/**
 * What CodePipeline accepts in a job's result, as numbers: the limits an outcome is held to.
 * The worker checks every outcome against them (`checkOutcome`), and the TSDoc that states a
 * limit names the constant it comes from (test/unit/outcome-check.test.ts holds them equal).
 */

/** API limits (CodePipeline service model), in characters, or bytes for output variables. */
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

/**
 * Characters of the continuation token the worker keeps for its own state (the envelope that
 * counts an execution's continuations: a prefix, a count, a start time and a length).
 */
export const TOKEN_ENVELOPE_RESERVE = 34;

/**
 * The longest continuation token a processor may return: the API's
 * {@link LIMITS}.continuationToken less the worker's {@link TOKEN_ENVELOPE_RESERVE}.
 */
export const PROCESSOR_TOKEN_LIMIT = LIMITS.continuationToken - TOKEN_ENVELOPE_RESERVE;

/**
 * How long a processor may ask the worker to wait before it checks a job again
 * (`checkAfterSeconds` of a continue outcome), in seconds: at least 1, and at most Lambda's
 * longest invocation (900 s).
 */
export const CHECK_AFTER_SECONDS = { min: 1, max: 900 } as const;
