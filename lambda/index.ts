/**
 * codepipeline-job-worker, the function side: turn a job processor into the Lambda handler
 * of a CodePipeline custom action's job worker.
 *
 * @example
 * import { createJobWorkerHandler, failure, success, type JobProcessor } from 'codepipeline-job-worker';
 *
 * const hello: JobProcessor = {
 *   name: 'hello',
 *   async process(job) {
 *     const target = job.configuration.Target;
 *     if (!target) return failure('ConfigurationError', 'Target is required');
 *     return success({ summary: `Deployed to ${target}` });
 *   },
 * };
 * export const handler = createJobWorkerHandler(hello);
 */
export { MalformedJobError } from './adapters/codepipeline-job.js';
export { WorkerConfigError } from './config.js';
export {
  createJobWorkerHandler,
  type JobWorkerHandler,
  type JobWorkerHandlerOptions,
} from './create-handler.js';
export { JobWorkerError } from './errors.js';
export { InvalidEventError } from './events.js';
export {
  CANCEL_REASONS,
  type CancelContext,
  type Cancellation,
  type CancelReason,
  JobCanceledError,
} from './job/cancellation.js';
export type {
  Artifact,
  ArtifactCredentials,
  Job,
  JobActionTypeId,
  PipelineContext,
} from './job/job.js';
export { CHECK_AFTER_SECONDS, LIMITS, PROCESSOR_TOKEN_LIMIT } from './job/limits.js';
export {
  type ContinueOutcome,
  type CurrentRevision,
  continueLater,
  FAILURE_TYPES,
  type FailureOutcome,
  type FailureType,
  failure,
  JobFailureError,
  type JobOutcome,
  type SuccessOutcome,
  success,
} from './job/outcome.js';
export type {
  JobLogger,
  JobProcessor,
  OutcomeCheck,
  ProcessingContext,
  SdkSettings,
} from './job/processor.js';
export { MIN_SECRET_LENGTH, REDACTED, Secret } from './job/secret.js';
export { JobRejectedError, JobServiceUnavailableError } from './ports.js';
export type { DrainSummary } from './worker/counters.js';
export { DrainError } from './worker/drain.js';
export { InvalidOutcomeError } from './worker/outcome-check.js';
