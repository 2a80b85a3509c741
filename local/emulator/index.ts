/**
 * Local emulator of the CodePipeline job-worker API (PollForJobs, AcknowledgeJob,
 * PutJobSuccessResult, PutJobFailureResult, GetJobDetails, Create/DeleteCustomActionType,
 * ListActionTypes), with jobs whose artifacts live in an S3-compatible store when given one
 * (`local/s3`). Executions can be stopped (with or without abandon) or superseded and action
 * executions timed out, with the action execution events CodePipeline sends to EventBridge.
 * Imports nothing from `lambda/`, so it cannot share a bug with the worker.
 */
export type { ActionEventState, ActionExecutionEvent } from './action-events.js';
export { ACTION_EVENT_DETAIL_TYPE, ACTION_EVENT_STATES } from './action-events.js';
export type { RequestLogEntry } from './api.js';
export type {
  ArtifactStore,
  CredentialsSource,
  OutputView,
  UploadView,
} from './artifact-store.js';
export type { FaultConfig, FaultKind, StatsView } from './faults.js';
export type { EnqueueJobInput, InputArtifactInput } from './job-data.js';
export type {
  CallRecord,
  ExecutionStopMode,
  JobEvent,
  JobStopKind,
} from './job-store.js';
export { OUTPUT_VARIABLES_MAX_BYTES } from './job-store.js';
export { EmulatorInputError } from './protocol.js';
export type { IssuedSecret, SecretsView } from './secrets.js';
export type { EmulatorCredentials, EmulatorOptions, RunningEmulator } from './server.js';
export { startEmulator } from './server.js';
export type * from './types.js';
export type { JobSummary, JobView } from './views.js';
export type { ZipEntryView } from './zip-listing.js';
