import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as logs from 'aws-cdk-lib/aws-logs';
import type {
  CustomActionJobWorkerProps,
  WorkerLogLevel,
} from './custom-action-job-worker-props.js';

/** The worker's props with every default applied. */
export interface WorkerSettings {
  readonly artifactBounds: codepipeline.ActionArtifactBounds;
  readonly jobProcessor: string;
  readonly scheduleRate: Duration;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly reservedConcurrentExecutions: number | undefined;
  readonly memorySize: number;
  readonly timeout: Duration;
  readonly deadlineMargin: Duration;
  readonly leaseGrace: Duration;
  readonly recordRetention: Duration;
  readonly sdkMaxAttempts: number;
  readonly sdkRequestTimeout: Duration;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logLevel: WorkerLogLevel;
  readonly logRetention: logs.RetentionDays;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  readonly removalPolicy: RemovalPolicy;
  readonly missedPollPeriods: number;
}

/** The default of every optional setting, as documented on the props. */
export const WORKER_DEFAULTS = {
  minInputArtifacts: 0,
  maxInputArtifacts: 1,
  minOutputArtifacts: 0,
  maxOutputArtifacts: 0,
  jobProcessor: 'bake-time-gate',
  scheduleRateMinutes: 1,
  batchSize: 10,
  concurrency: 10,
  reservedConcurrentExecutions: 5,
  memorySize: 512,
  timeoutSeconds: 60,
  deadlineMarginMs: 20_000,
  leaseGraceSeconds: 10,
  recordRetentionDays: 30,
  sdkMaxAttempts: 3,
  sdkRequestTimeoutMs: 5_000,
  serviceName: 'codepipeline-job-worker',
  metricsNamespace: 'CodePipelineJobWorker',
  logLevel: 'INFO',
  retryAttempts: 2,
  maxEventAgeMinutes: 10,
  missedPollPeriods: 3,
} as const;

/** Poll-alarm periods are at least this long, or the schedule rate if that is longer. */
export const MIN_ALARM_PERIOD = Duration.minutes(5);

/**
 * Applies the defaults and checks the ranges, so a bad value fails at synth.
 *
 * @param props - the construct's props
 */
export function resolveSettings(props: CustomActionJobWorkerProps): WorkerSettings {
  const d = WORKER_DEFAULTS;
  const settings: WorkerSettings = {
    artifactBounds: {
      minInputs: props.minInputArtifacts ?? d.minInputArtifacts,
      maxInputs: props.maxInputArtifacts ?? d.maxInputArtifacts,
      minOutputs: props.minOutputArtifacts ?? d.minOutputArtifacts,
      maxOutputs: props.maxOutputArtifacts ?? d.maxOutputArtifacts,
    },
    jobProcessor: props.jobProcessor ?? d.jobProcessor,
    scheduleRate: props.scheduleRate ?? Duration.minutes(d.scheduleRateMinutes),
    batchSize: props.batchSize ?? d.batchSize,
    concurrency: props.concurrency ?? d.concurrency,
    reservedConcurrentExecutions:
      props.reserveConcurrency === false
        ? undefined
        : (props.reservedConcurrentExecutions ?? d.reservedConcurrentExecutions),
    memorySize: props.memorySize ?? d.memorySize,
    timeout: props.timeout ?? Duration.seconds(d.timeoutSeconds),
    deadlineMargin: props.deadlineMargin ?? Duration.millis(d.deadlineMarginMs),
    leaseGrace: props.leaseGrace ?? Duration.seconds(d.leaseGraceSeconds),
    recordRetention: props.recordRetention ?? Duration.days(d.recordRetentionDays),
    sdkMaxAttempts: props.sdkMaxAttempts ?? d.sdkMaxAttempts,
    sdkRequestTimeout: props.sdkRequestTimeout ?? Duration.millis(d.sdkRequestTimeoutMs),
    serviceName: props.serviceName ?? d.serviceName,
    metricsNamespace: props.metricsNamespace ?? d.metricsNamespace,
    logLevel: props.logLevel ?? d.logLevel,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    retryAttempts: props.retryAttempts ?? d.retryAttempts,
    maxEventAge: props.maxEventAge ?? Duration.minutes(d.maxEventAgeMinutes),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    missedPollPeriods: props.missedPollPeriods ?? d.missedPollPeriods,
  };
  validateSettings(settings);
  return settings;
}

function integerIn(name: string, value: number, min: number, max: number): void {
  if (Token.isUnresolved(value)) {
    return;
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function validateSettings(s: WorkerSettings): void {
  integerIn('batchSize', s.batchSize, 1, 100);
  integerIn('concurrency', s.concurrency, 1, 100);
  if (s.reservedConcurrentExecutions !== undefined) {
    integerIn('reservedConcurrentExecutions', s.reservedConcurrentExecutions, 1, 1000);
  }
  integerIn('memorySize', s.memorySize, 128, 10_240);
  integerIn('sdkMaxAttempts', s.sdkMaxAttempts, 1, 10);
  integerIn('retryAttempts', s.retryAttempts, 0, 2);
  integerIn('missedPollPeriods', s.missedPollPeriods, 1, 24);
  integerIn('scheduleRate (minutes)', s.scheduleRate.toMinutes({ integral: false }), 1, 60);
  integerIn('maxEventAge (seconds)', s.maxEventAge.toSeconds({ integral: false }), 60, 21_600);
  integerIn('timeout (seconds)', s.timeout.toSeconds({ integral: false }), 1, 900);
  // The same ranges the worker's config parser enforces at cold start (lambda/config.ts).
  integerIn('recordRetention (days)', s.recordRetention.toDays({ integral: false }), 2, 3650);
  integerIn('deadlineMargin (ms)', s.deadlineMargin.toMilliseconds(), 1_000, 600_000);
  integerIn('leaseGrace (seconds)', s.leaseGrace.toSeconds({ integral: false }), 0, 3_600);
  integerIn('sdkRequestTimeout (ms)', s.sdkRequestTimeout.toMilliseconds(), 100, 60_000);
  if (!/^[a-z0-9-]{1,64}$/.test(s.jobProcessor)) {
    throw new Error(
      `jobProcessor must be a processor name like bake-time-gate, got '${s.jobProcessor}'`,
    );
  }
  if (s.timeout.toMilliseconds() < s.deadlineMargin.toMilliseconds() + 10_000) {
    throw new Error(
      `timeout (${s.timeout.toSeconds()} s) must exceed deadlineMargin (${s.deadlineMargin.toMilliseconds()} ms) by at least 10 s`,
    );
  }
  if (s.sdkRequestTimeout.toMilliseconds() >= s.timeout.toMilliseconds()) {
    throw new Error('sdkRequestTimeout must be shorter than the function timeout');
  }
  const pollPeriodSeconds = Math.max(MIN_ALARM_PERIOD.toSeconds(), s.scheduleRate.toSeconds());
  if (pollPeriodSeconds * s.missedPollPeriods > 86_400) {
    // CloudWatch evaluates an alarm over at most one day.
    throw new Error('missedPollPeriods times the poll alarm period must not exceed one day');
  }
}
