import { Duration, RemovalPolicy, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  DEFAULT_EPHEMERAL_STORAGE_MIB,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_SERVICE_NAME,
  INTEGER_SETTINGS,
  type IntegerSetting,
  type IntegerSettingName,
} from '../lambda/contract.js';
import type {
  CustomActionJobWorkerProps,
  LedgerEncryption,
  WorkerLogLevel,
} from './custom-action-job-worker-props.js';

/** The worker's props with every default applied. */
export interface WorkerSettings {
  readonly artifactBounds: codepipeline.ActionArtifactBounds;
  readonly scheduleRate: Duration;
  readonly batchSize: number;
  readonly concurrency: number;
  readonly reservedConcurrentExecutions: number | undefined;
  readonly memorySize: number;
  readonly ephemeralStorageSize: Size;
  readonly timeout: Duration;
  readonly deadlineMargin: Duration;
  readonly leaseGrace: Duration;
  readonly recordRetention: Duration;
  readonly sdkMaxAttempts: number;
  readonly sdkRequestTimeout: Duration;
  readonly maxContinuations: number;
  readonly maxContinuationAge: Duration;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logLevel: WorkerLogLevel;
  readonly logRetention: logs.RetentionDays;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
  readonly removalPolicy: RemovalPolicy;
  readonly missedPollPeriods: number;
  readonly ledgerEncryption: LedgerEncryption;
  readonly errorAlarmThreshold: number;
}

/** A value the construct cannot deploy as given: the prop it came from, and why. */
export interface SettingProblem {
  /** The prop (as named in {@link CustomActionJobWorkerProps}). */
  readonly setting: string;
  /** Reads after the setting's name: "must be ... (got ...)". */
  readonly problem: string;
}

/** The default of every optional setting the function does not define, as documented. */
export const WORKER_DEFAULTS = {
  minInputArtifacts: 0,
  maxInputArtifacts: 1,
  minOutputArtifacts: 0,
  maxOutputArtifacts: 0,
  scheduleRateMinutes: 1,
  reservedConcurrentExecutions: 5,
  memorySize: 512,
  ephemeralStorageMiB: DEFAULT_EPHEMERAL_STORAGE_MIB,
  timeoutSeconds: 60,
  serviceName: DEFAULT_SERVICE_NAME,
  metricsNamespace: DEFAULT_METRICS_NAMESPACE,
  logLevel: 'INFO',
  retryAttempts: 2,
  maxEventAgeMinutes: 10,
  missedPollPeriods: 3,
  ledgerEncryption: 'customer-managed',
  errorAlarmThreshold: 3,
} as const;

/** Poll-alarm periods are at least this long, or the schedule rate if that is longer. */
export const MIN_ALARM_PERIOD = Duration.minutes(5);

/**
 * The prop that sets each of the function's integer settings, by the contract's name: a
 * setting added to the contract does not compile until it has a prop here.
 */
export const CONTRACT_PROPS: Readonly<
  Record<IntegerSettingName, keyof CustomActionJobWorkerProps>
> = {
  batchSize: 'batchSize',
  concurrency: 'concurrency',
  deadlineMargin: 'deadlineMargin',
  leaseGrace: 'leaseGrace',
  recordRetention: 'recordRetention',
  sdkMaxAttempts: 'sdkMaxAttempts',
  sdkRequestTimeout: 'sdkRequestTimeout',
  maxContinuations: 'maxContinuations',
  maxContinuationAge: 'maxContinuationAge',
};

const UNIT_NAMES: Readonly<Record<IntegerSetting['unit'], string>> = {
  count: '',
  ms: ' ms',
  s: ' s',
  min: ' minutes',
  days: ' days',
};

/**
 * A Duration in the setting's unit, not rounded.
 *
 * @param duration - the prop's value
 * @param unit - the contract setting's unit (not `count`)
 */
export function inUnit(duration: Duration, unit: IntegerSetting['unit']): number {
  switch (unit) {
    case 'ms':
      return duration.toMilliseconds({ integral: false });
    case 's':
      return duration.toSeconds({ integral: false });
    case 'min':
      return duration.toMinutes({ integral: false });
    case 'days':
      return duration.toDays({ integral: false });
    default:
      throw new Error(`a count is not a duration`);
  }
}

/**
 * The value a prop gives the function's variable, and the problem with it if the function
 * would refuse it: the range is the contract's, the one the function checks at cold start.
 *
 * @param name - the contract's name of the setting
 * @param value - the prop's value (a number, or a Duration for time settings)
 */
export function contractValue(
  name: IntegerSettingName,
  value: number | Duration,
): { value: number; problem?: string } {
  const setting: IntegerSetting = INTEGER_SETTINGS[name];
  const unit = UNIT_NAMES[setting.unit];
  const raw = typeof value === 'number' ? value : inUnit(value, setting.unit);
  if (Token.isUnresolved(raw)) return { value: raw };
  if (!Number.isInteger(raw) || raw < setting.min || raw > setting.max) {
    const whole = setting.unit === 'count' ? 'an integer' : `a whole number of${unit}`;
    return {
      value: setting.default,
      problem: `must be ${whole} from ${setting.min} to ${setting.max} (got ${raw}${unit})`,
    };
  }
  return { value: raw };
}

/**
 * A Duration of `amount` of the setting's unit.
 *
 * @param unit - the contract setting's unit (not `count`)
 * @param amount - how many of it
 */
export function toDuration(unit: IntegerSetting['unit'], amount: number): Duration {
  if (unit === 'ms') return Duration.millis(amount);
  if (unit === 's') return Duration.seconds(amount);
  if (unit === 'min') return Duration.minutes(amount);
  return Duration.days(amount);
}

class Collector {
  readonly problems: SettingProblem[] = [];

  /** A contract setting: the prop, or the contract's default when unset or refused. */
  contract(props: CustomActionJobWorkerProps, name: IntegerSettingName): number {
    const prop = CONTRACT_PROPS[name];
    const given = props[prop] as number | Duration | undefined;
    if (given === undefined) return INTEGER_SETTINGS[name].default;
    const { value, problem } = contractValue(name, given);
    if (problem) this.problems.push({ setting: prop, problem });
    return value;
  }

  /** A duration contract setting, as a Duration. */
  contractDuration(props: CustomActionJobWorkerProps, name: IntegerSettingName): Duration {
    return toDuration(INTEGER_SETTINGS[name].unit, this.contract(props, name));
  }

  /** An integer of the construct's own, or `fallback` when refused. */
  integer(setting: string, value: number, min: number, max: number, fallback: number): number {
    if (Token.isUnresolved(value)) return value;
    if (!Number.isInteger(value) || value < min || value > max) {
      this.problems.push({
        setting,
        problem: `must be an integer from ${min} to ${max} (got ${value})`,
      });
      return fallback;
    }
    return value;
  }

  /** A string matching `pattern`, or `fallback` when refused. */
  text(setting: string, value: string, pattern: RegExp, rule: string, fallback: string): string {
    if (Token.isUnresolved(value) || pattern.test(value)) return value;
    this.problems.push({ setting, problem: `${rule} (got '${value}')` });
    return fallback;
  }

  /** One of `allowed`, or the first of them when refused. */
  oneOf<T extends string>(setting: string, value: T, allowed: readonly [T, ...T[]]): T {
    if (allowed.includes(value)) return value;
    this.problems.push({
      setting,
      problem: `must be one of ${allowed.join(', ')} (got '${value}')`,
    });
    return allowed[0];
  }

  /** A Size of whole MiB from `min` to `max`, or `fallback` when refused. */
  mebibytes(setting: string, value: Size, min: number, max: number, fallback: Size): Size {
    if (value.isUnresolved()) return value;
    const amount = value.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
    if (!Number.isInteger(amount) || amount < min || amount > max) {
      this.problems.push({
        setting,
        problem: `must be a whole number of MiB from ${min} to ${max} (got ${amount} MiB)`,
      });
      return fallback;
    }
    return value;
  }

  /** A Duration counted in `unit`, or `fallback` when refused. */
  duration(
    setting: string,
    value: Duration,
    unit: 'minutes' | 'seconds',
    min: number,
    max: number,
    fallback: Duration,
  ): Duration {
    const amount =
      unit === 'minutes'
        ? value.toMinutes({ integral: false })
        : value.toSeconds({ integral: false });
    if (!Number.isInteger(amount) || amount < min || amount > max) {
      this.problems.push({
        setting,
        problem: `must be a whole number of ${unit} from ${min} to ${max} (got ${amount} ${unit})`,
      });
      return fallback;
    }
    return value;
  }
}

/**
 * Applies the defaults and checks every value, so that a value the function or CloudFormation
 * would refuse fails at synth. Every problem is collected (none is thrown); a refused value
 * is replaced by its default in the settings, so the construct can still be built and report
 * them all at once.
 *
 * @param props - the construct's props
 */
export function resolveSettings(props: CustomActionJobWorkerProps): {
  settings: WorkerSettings;
  problems: SettingProblem[];
} {
  const d = WORKER_DEFAULTS;
  const c = new Collector();
  const scheduleRate = c.duration(
    'scheduleRate',
    props.scheduleRate ?? Duration.minutes(d.scheduleRateMinutes),
    'minutes',
    1,
    60,
    Duration.minutes(d.scheduleRateMinutes),
  );
  const timeout = c.duration(
    'timeout',
    props.timeout ?? Duration.seconds(d.timeoutSeconds),
    'seconds',
    1,
    900,
    Duration.seconds(d.timeoutSeconds),
  );
  const settings: WorkerSettings = {
    artifactBounds: {
      minInputs: props.minInputArtifacts ?? d.minInputArtifacts,
      maxInputs: props.maxInputArtifacts ?? d.maxInputArtifacts,
      minOutputs: props.minOutputArtifacts ?? d.minOutputArtifacts,
      maxOutputs: props.maxOutputArtifacts ?? d.maxOutputArtifacts,
    },
    scheduleRate,
    batchSize: c.contract(props, 'batchSize'),
    concurrency: c.contract(props, 'concurrency'),
    reservedConcurrentExecutions: reservation(c, props),
    memorySize: c.integer(
      'memorySize',
      props.memorySize ?? d.memorySize,
      128,
      10_240,
      d.memorySize,
    ),
    // Lambda's range; CDK would throw on a value outside it, so a refused one is replaced.
    ephemeralStorageSize: c.mebibytes(
      'ephemeralStorageSize',
      props.ephemeralStorageSize ?? Size.mebibytes(d.ephemeralStorageMiB),
      512,
      10_240,
      Size.mebibytes(d.ephemeralStorageMiB),
    ),
    timeout,
    deadlineMargin: c.contractDuration(props, 'deadlineMargin'),
    leaseGrace: c.contractDuration(props, 'leaseGrace'),
    recordRetention: c.contractDuration(props, 'recordRetention'),
    sdkMaxAttempts: c.contract(props, 'sdkMaxAttempts'),
    sdkRequestTimeout: c.contractDuration(props, 'sdkRequestTimeout'),
    maxContinuations: c.contract(props, 'maxContinuations'),
    maxContinuationAge: c.contractDuration(props, 'maxContinuationAge'),
    serviceName: c.text(
      'serviceName',
      props.serviceName ?? d.serviceName,
      SERVICE_NAME_PATTERN,
      'must be 1-1024 characters, none of them a control character',
      d.serviceName,
    ),
    metricsNamespace: c.text(
      'metricsNamespace',
      props.metricsNamespace ?? d.metricsNamespace,
      NAMESPACE_PATTERN,
      "must be 1-255 characters of letters, digits, spaces and . - _ / # : and not start with 'AWS/' (CloudWatch reserves it)",
      d.metricsNamespace,
    ),
    logLevel: props.logLevel ?? d.logLevel,
    logRetention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    retryAttempts: c.integer(
      'retryAttempts',
      props.retryAttempts ?? d.retryAttempts,
      0,
      2,
      d.retryAttempts,
    ),
    maxEventAge: c.duration(
      'maxEventAge',
      props.maxEventAge ?? Duration.minutes(d.maxEventAgeMinutes),
      'seconds',
      60,
      21_600,
      Duration.minutes(d.maxEventAgeMinutes),
    ),
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    missedPollPeriods: c.integer(
      'missedPollPeriods',
      props.missedPollPeriods ?? d.missedPollPeriods,
      1,
      24,
      d.missedPollPeriods,
    ),
    ledgerEncryption: c.oneOf('ledgerEncryption', props.ledgerEncryption ?? d.ledgerEncryption, [
      'customer-managed',
      'aws-owned',
    ] as const),
    errorAlarmThreshold: c.integer(
      'errorAlarmThreshold',
      props.errorAlarmThreshold ?? d.errorAlarmThreshold,
      1,
      1_000,
      d.errorAlarmThreshold,
    ),
  };
  return { settings, problems: [...c.problems, ...crossChecks(settings)] };
}

/**
 * CloudWatch namespaces: letters, digits, spaces and `. - _ / # :`, 1-255 characters, and not
 * `AWS/...`, which is reserved for AWS services (PutMetricData and EMF refuse it).
 */
const NAMESPACE_PATTERN = /^(?!AWS\/)[A-Za-z0-9 ._\-/#:]{1,255}$/;
/** A dimension value (the service name): 1-1024 characters; a log key, so no control ones. */
const SERVICE_NAME_PATTERN = /^[^\p{Cc}]{1,1024}$/u;

/** The reservation: none unless asked for, by `reserveConcurrency` or a number. */
function reservation(c: Collector, props: CustomActionJobWorkerProps): number | undefined {
  const given = props.reservedConcurrentExecutions;
  const reserve = props.reserveConcurrency ?? given !== undefined;
  if (!reserve) {
    if (given !== undefined) {
      c.problems.push({
        setting: 'reservedConcurrentExecutions',
        problem: 'is set while reserveConcurrency is false: drop one of them',
      });
    }
    return undefined;
  }
  const fallback = WORKER_DEFAULTS.reservedConcurrentExecutions;
  return c.integer('reservedConcurrentExecutions', given ?? fallback, 1, 1000, fallback);
}

/** Rules between settings. */
function crossChecks(s: WorkerSettings): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const timeoutMs = s.timeout.toMilliseconds();
  const marginMs = s.deadlineMargin.toMilliseconds();
  if (timeoutMs < marginMs + 10_000) {
    problems.push({
      setting: 'timeout',
      problem: `must exceed deadlineMargin (${marginMs} ms) by at least 10 s (got ${s.timeout.toSeconds()} s)`,
    });
  }
  if (s.sdkRequestTimeout.toMilliseconds() >= timeoutMs) {
    problems.push({
      setting: 'sdkRequestTimeout',
      problem: `must be shorter than the function timeout (got ${s.sdkRequestTimeout.toMilliseconds()} ms)`,
    });
  }
  const pollPeriodSeconds = Math.max(MIN_ALARM_PERIOD.toSeconds(), s.scheduleRate.toSeconds());
  if (pollPeriodSeconds * s.missedPollPeriods > 86_400) {
    // CloudWatch evaluates an alarm over at most one day.
    problems.push({
      setting: 'missedPollPeriods',
      problem: `times the poll alarm period must not exceed one day (got ${s.missedPollPeriods} × ${pollPeriodSeconds / 60} min)`,
    });
  }
  return problems;
}
