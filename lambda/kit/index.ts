/**
 * The processor kit (`codepipeline-job-worker/kit`): what most processors write by hand,
 * typed and small. A separate entry point with no dependency of its own, so that a processor
 * that does not use it carries none of it.
 *
 * - {@link parseConfiguration}: the job's configuration checked by any Standard Schema
 *   validator (zod, valibot, arktype, or the helpers here), every problem in one
 *   `ConfigurationError`;
 * - {@link properties} and the property helpers: {@link text}, {@link integer},
 *   {@link oneOf}, {@link boolean}, {@link json}, {@link list}, {@link optional},
 *   {@link secret};
 * - {@link awsClient}: any AWS SDK v3 client with the worker's retries, timeout, region, and
 *   the job's abort signal on every call;
 * - {@link continuationState}: a typed, versioned continuation state with migrations, its size
 *   checked before anything is sent;
 * - {@link waitUntil}: a processor that starts external work and checks it on a cadence that
 *   backs off ({@link nextCheckAfter}), and stops it in `cancel` when the pipeline stops.
 *
 * Small output artifacts are written by the artifact API's `writeOutput`
 * (`codepipeline-job-worker/artifacts`), which needs the S3 client.
 *
 * @example
 * import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
 * import { awsClient, integer, optional, parseConfiguration, properties, text } from 'codepipeline-job-worker/kit';
 *
 * const schema = properties({ ProjectName: text(), TimeoutMinutes: optional(integer({ min: 5, max: 480 }), 60) });
 *
 * const processor: JobProcessor = {
 *   name: 'codebuild-runner',
 *   async process(job, context) {
 *     const config = parseConfiguration(job, schema);
 *     const codebuild = awsClient(CodeBuildClient, context);
 *     const { build } = await codebuild.send(new StartBuildCommand({
 *       projectName: config.ProjectName,
 *       timeoutInMinutesOverride: config.TimeoutMinutes,
 *     }));
 *     return continueLater(JSON.stringify({ id: build?.id }));
 *   },
 * };
 */
export {
  type AwsClientOptions,
  awsClient,
  type ClientTracer,
  type SdkClient,
  type SdkClientClass,
  type SdkClientConfig,
} from './aws-client.js';
export {
  ConfigurationError,
  type ConfigurationProblem,
  parseConfiguration,
  SECRET_QUOTE_CHARS,
} from './configuration.js';
export {
  type ContinuationStateDefinition,
  ContinuationStateError,
  type ContinuationStateOptions,
  type ContinueDetails,
  continuationState,
  STATE_TOKEN_PREFIX,
  type StateMigration,
} from './continuation-state.js';
export {
  boolean,
  integer,
  json,
  list,
  oneOf,
  optional,
  type PropertiesOutput,
  type PropertySchema,
  type PropertyShape,
  properties,
  secret,
  text,
} from './properties.js';
export type { StandardSchemaV1 } from './standard-schema.js';
export {
  type Cadence,
  type CheckResult,
  DEFAULT_CADENCE,
  type NotYet,
  type NotYetDetails,
  nextCheckAfter,
  notYet,
  type WaitProgress,
  type WaitStop,
  type WaitStopReason,
  type WaitUntilOptions,
  waitUntil,
} from './wait-until.js';
