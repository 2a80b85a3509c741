/**
 * Local emulator of the CodePipeline job-worker API (PollForJobs, AcknowledgeJob,
 * PutJobSuccessResult, PutJobFailureResult, GetJobDetails, Create/DeleteCustomActionType,
 * ListActionTypes). Imports nothing from `lambda/`, so it cannot share a bug with the worker.
 */
export type { RequestLogEntry } from './api.js';
export type { FaultConfig, FaultKind, StatsView } from './faults.js';
export type { EnqueueJobInput } from './job-data.js';
export type { CallRecord, JobEvent } from './job-store.js';
export { OUTPUT_VARIABLES_MAX_BYTES } from './job-store.js';
export { EmulatorInputError } from './protocol.js';
export type { IssuedSecret, SecretsView } from './secrets.js';
export type { EmulatorCredentials, EmulatorOptions, RunningEmulator } from './server.js';
export { startEmulator } from './server.js';
export type * from './types.js';
export type { JobSummary, JobView } from './views.js';
