/**
 * The props the worker knows, as tables the compiler holds to their interfaces: a prop added
 * to `CustomActionJobWorkerProps` and not here fails `tsc`. An app run by tsx (or plain
 * JavaScript, or an object built elsewhere and passed in) is not held to the interface, so
 * synth checks the names too: a misspelt prop would otherwise be ignored and its default
 * deployed.
 */
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { CustomActionJobWorkerProps } from './custom-action-job-worker-props.js';
import { closest } from './did-you-mean.js';
import type { SettingProblem } from './setting-problem.js';

/** Every key of `T`, optional ones included: an object literal `satisfies` it only when it names exactly those. */
export type PropTable<T> = Record<keyof T, true>;

/** The props of `CustomActionJobWorker`. */
export const WORKER_PROP_NAMES = {
  category: true,
  provider: true,
  version: true,
  configurationProperties: true,
  queryParam: true,
  registeredBy: true,
  executionUrlTemplate: true,
  entityUrlTemplate: true,
  policyStatements: true,
  minInputArtifacts: true,
  maxInputArtifacts: true,
  minOutputArtifacts: true,
  maxOutputArtifacts: true,
  entry: true,
  handler: true,
  depsLockFilePath: true,
  projectRoot: true,
  bundleSubstitutes: true,
  bundling: true,
  scheduleRate: true,
  batchSize: true,
  concurrency: true,
  reportConcurrency: true,
  reservedConcurrentExecutions: true,
  reserveConcurrency: true,
  memorySize: true,
  ephemeralStorageSize: true,
  timeout: true,
  maxContinuations: true,
  maxContinuationAge: true,
  cancelCheck: true,
  deadlineMargin: true,
  leaseGrace: true,
  recordRetention: true,
  sdkMaxAttempts: true,
  sdkRequestTimeout: true,
  serviceName: true,
  metricsNamespace: true,
  logLevel: true,
  logRetention: true,
  retryAttempts: true,
  maxEventAge: true,
  ledgerEncryption: true,
  dashboard: true,
  errorAlarmThreshold: true,
  removalPolicy: true,
  alarmEmail: true,
  alarmTopic: true,
  missedPollPeriods: true,
} as const satisfies PropTable<CustomActionJobWorkerProps>;

/**
 * The fields of a configuration property that the worker passes on to the action type; any
 * other is dropped, so a misspelt `secret` would leave a secret property shown in plain text.
 */
export const CONFIGURATION_PROPERTY_FIELDS = {
  name: true,
  required: true,
  key: true,
  secret: true,
  queryable: true,
  description: true,
  type: true,
} as const satisfies PropTable<codepipeline.CustomActionProperty>;

/**
 * A problem for each prop the worker does not know, and for each unknown field of a
 * configuration property it was given, with the name it most likely meant. Objects of
 * aws-cdk-lib (a Duration, an IRole, the bundling options) are left to aws-cdk-lib.
 *
 * @param props - the props as given, typed or not
 */
export function unknownPropProblems(props: CustomActionJobWorkerProps): SettingProblem[] {
  const problems = unknownKeys(props, WORKER_PROP_NAMES).map((name) => ({
    setting: name,
    problem: `is not a prop of CustomActionJobWorker${meant(name, WORKER_PROP_NAMES)}`,
  }));
  const properties: unknown = props.configurationProperties;
  if (!Array.isArray(properties)) return problems;
  properties.forEach((property: unknown, index) => {
    if (typeof property !== 'object' || property === null) return;
    const label =
      typeof (property as { name?: unknown }).name === 'string'
        ? `'${(property as { name: string }).name}'`
        : `number ${index + 1}`;
    for (const field of unknownKeys(property, CONFIGURATION_PROPERTY_FIELDS)) {
      problems.push({
        setting: 'configurationProperties',
        problem: `entry ${label} has no field '${field}'${meant(field, CONFIGURATION_PROPERTY_FIELDS)}`,
      });
    }
  });
  return problems;
}

function unknownKeys(given: object, known: object): string[] {
  return Object.keys(given).filter((key) => !Object.hasOwn(known, key));
}

/** " (did you mean 'x'?)" when a known name is close enough, else nothing. */
function meant(name: string, known: object): string {
  const near = closest(name, Object.keys(known));
  return near === undefined ? '' : ` (did you mean '${near}'?)`;
}
