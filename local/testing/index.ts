/**
 * codepipeline-job-worker/testing: helpers for testing a job processor in your own project.
 *
 * - {@link jobFixture}: a job exactly as the worker hands it to `process` (secrets wrapped);
 * - {@link processingContext}: the context `process` receives, with logs to read, a clock to
 *   drive, the `beforeReport` checks to run and an abort switch;
 * - {@link localArtifactStore}: a local S3 artifact store for a processor that uses
 *   `codepipeline-job-worker/artifacts`: jobs whose artifacts live there, inputs put there,
 *   outputs read back with their encryption headers;
 * - {@link runLocally}: the processor end to end through the local CodePipeline emulator and
 *   a local DynamoDB ledger, the same run as `npm start` and `codepipeline-job-worker run`,
 *   with what happened to each job and a verdict;
 * - {@link standInError} and {@link StandIns}: handlers that answer the processor's own AWS
 *   calls in a local run (CodeBuild, Step Functions, ECS, SSM, Secrets Manager).
 *
 * Importing it silences the AWS SDK's Node.js version warning in the process (tests may run on
 * Node.js 20; the function does not): set `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED`
 * to `false` to see it.
 *
 * @example
 * import { describe, expect, it } from 'vitest';
 * import { jobFixture, processingContext, runLocally } from 'codepipeline-job-worker/testing';
 * import { securityScan } from '../src/security-scan.js';
 *
 * it('fails a job without MaxSizeMB as a configuration error', async () => {
 *   const outcome = await securityScan().process(jobFixture(), processingContext());
 *   expect(outcome).toMatchObject({ kind: 'failure', failureType: 'ConfigurationError' });
 * });
 *
 * it('finishes every job once through the emulator', async () => {
 *   const result = await runLocally({
 *     processor: securityScan(),
 *     actionType: { category: 'Test', provider: 'SecurityScan' },
 *     jobs: [{ configuration: { MaxSizeMB: '10' }, repeat: 3 }],
 *   });
 *   expect(result.ok).toBe(true);
 * });
 */
export type { Job } from '../../lambda/job/job.js';
export type { JobOutcome } from '../../lambda/job/outcome.js';
export type { ProcessingContext } from '../../lambda/job/processor.js';
export type { Secret } from '../../lambda/job/secret.js';
export { MissingPeerDependencyError, type OptionalPeer } from '../../lib/optional-peer.js';
export { EntryError, type EntryProblem, type LambdaHandler } from '../runner/load-handler.js';
export type {
  LocalActionType,
  LocalArtifact,
  LocalConfigurationProperty,
  LocalJob,
  LocalJobExpectation,
  LocalJobReport,
  LocalJobStop,
  LocalOutputReport,
  LocalRunPlan,
  LocalRunProgress,
  LocalRunResult,
  LocalRunTotals,
  LocalStopReport,
  RunLocallyOptions,
} from '../runner/options.js';
export { LocalRunPlanError, readJobsFile } from '../runner/plan.js';
export { jobTable, REPORT_COLUMNS, type ReportColumn, runReport } from '../runner/report-table.js';
export { runLocally } from '../runner/run-locally.js';

import { quietNodeVersionWarning } from '../sdk-warning.js';

export {
  type ServiceStandIn,
  type StandInCall,
  type StandInContext,
  StandInError,
  type StandInFailure,
  type StandInHandler,
  type StandInInput,
  type StandInRecord,
  type StandIns,
  standInError,
} from '../stand-ins/types.js';
export {
  type InputArtifactContents,
  type LocalArtifactStore,
  type LocalArtifactStoreOptions,
  localArtifactStore,
  type StoredInput,
  type StoredOutput,
} from './artifact-store.js';
export {
  type ArtifactFixture,
  FIXTURE_CREDENTIALS,
  type JobFixtureOptions,
  jobFixture,
} from './job-fixture.js';
export {
  type FakeClock,
  fakeClock,
  type LogLine,
  type ProcessingContextOptions,
  processingContext,
  T0,
  type TestProcessingContext,
} from './processing-context.js';

// Before any test builds a client: the SDK reads the variable once, at its first client.
quietNodeVersionWarning();
