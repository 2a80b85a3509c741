import { Duration, RemovalPolicy, Size, SizeRoundingBehavior, Token } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  DEFAULT_ARTIFACT_COUNTS,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_SERVICE_NAME,
  INTEGER_SETTINGS,
  type IntegerSetting,
  type IntegerSettingName,
  METRICS_NAMESPACE_PATTERN,
  METRICS_NAMESPACE_RULE,
  oneOfProblem,
  rangeProblem,
  SERVICE_NAME_PATTERN,
  SERVICE_NAME_RULE,
  type SettingUnit,
} from '../lambda/contract.js';
import type {
  CustomActionJobWorkerProps,
  LedgerEncryption,
  WorkerLogLevel,
} from './custom-action-job-worker-props.js';
import { unknownPropProblems } from './known-props.js';
import type { SettingProblem } from './setting-problem.js';

export type { SettingProblem } from './setting-problem.js';

/** The type of the prop that sets an integer setting of each unit. */
export type PropValue<U extends SettingUnit> = U extends 'count'
  ? number
  : U extends 'MiB'
    ? Size
    : Duration;

/** The contract's integer settings, each as the prop named after it gives it. */
export type ContractSettings = {
  readonly [K in IntegerSettingName]: PropValue<(typeof INTEGER_SETTINGS)[K]['unit']>;
};

/** The worker's props with every default applied. */
export interface WorkerSettings extends ContractSettings {
  readonly artifactBounds: codepipeline.ActionArtifactBounds;
  readonly scheduleRate: Duration;
  readonly reservedConcurrentExecutions: number | undefined;
  readonly memorySize: number;
  readonly timeout: Duration;
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

/** The default of every optional setting the function does not define, as documented. */
export const WORKER_DEFAULTS = {
  ...DEFAULT_ARTIFACT_COUNTS,
  scheduleRateMinutes: 1,
  reservedConcurrentExecutions: 5,
  memorySize: 512,
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
 * The props of the contract's settings: each prop is named after its setting and has its
 * unit's type, or this does not compile (a setting added to the contract needs its prop).
 */
function contractProps(props: CustomActionJobWorkerProps): Partial<ContractSettings> {
  const declared: Pick<CustomActionJobWorkerProps, IntegerSettingName> = props;
  return declared;
}

/**
 * A prop's value in a setting's unit, not rounded: the one conversion between the construct's
 * types and the function's numbers.
 *
 * @param value - the prop's value: a number (a count), a Duration or a Size
 * @param unit - the contract setting's unit
 */
export function inUnit(value: number | Duration | Size, unit: SettingUnit): number {
  if (typeof value === 'number') return value;
  if (value instanceof Size) return value.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
  switch (unit) {
    case 'ms':
      return value.toMilliseconds({ integral: false });
    case 's':
      return value.toSeconds({ integral: false });
    case 'min':
      return value.toMinutes({ integral: false });
    case 'days':
      return value.toDays({ integral: false });
    default:
      throw new Error(`a Duration is no amount of ${unit}`);
  }
}

/**
 * The prop's value for `amount` of a setting's unit: a number, a Duration or a Size.
 *
 * @param unit - the contract setting's unit
 * @param amount - how many of it
 */
export function propValue<U extends SettingUnit>(unit: U, amount: number): PropValue<U> {
  const values: Record<SettingUnit, () => number | Duration | Size> = {
    count: () => amount,
    ms: () => Duration.millis(amount),
    s: () => Duration.seconds(amount),
    min: () => Duration.minutes(amount),
    days: () => Duration.days(amount),
    MiB: () => Size.mebibytes(amount),
  };
  return values[unit]() as PropValue<U>;
}

/**
 * A Duration of `amount` of the setting's unit.
 *
 * @param unit - the contract setting's unit, a time
 * @param amount - how many of it
 */
export function toDuration(unit: 'ms' | 's' | 'min' | 'days', amount: number): Duration {
  return propValue(unit, amount);
}

/**
 * The value a prop gives the function's variable, and the problem with it if the function
 * would refuse it: the range is the contract's, the one the function checks at cold start.
 *
 * @param name - the contract's name of the setting
 * @param value - the prop's value
 */
export function contractValue(
  name: IntegerSettingName,
  value: number | Duration | Size,
): { value: number; problem?: string } {
  const setting: IntegerSetting = INTEGER_SETTINGS[name];
  const raw = inUnit(value, setting.unit);
  if (Token.isUnresolved(raw)) return { value: raw };
  const problem = rangeProblem(setting, raw);
  return problem ? { value: setting.default, problem } : { value: raw };
}

/**
 * The function's environment variables of the contract's integer settings, each in its unit.
 *
 * @param settings - the resolved settings
 */
export function contractEnvironment(settings: ContractSettings): Record<string, string> {
  const entries: [string, IntegerSetting][] = Object.entries(INTEGER_SETTINGS);
  return Object.fromEntries(
    entries.map(([name, setting]) => [
      setting.variable,
      String(inUnit(settings[name as IntegerSettingName], setting.unit)),
    ]),
  );
}

class Collector {
  readonly problems: SettingProblem[] = [];

  /** Every contract setting: its prop, or the contract's default when unset or refused. */
  contract(props: CustomActionJobWorkerProps): ContractSettings {
    const given = contractProps(props);
    const names = Object.keys(INTEGER_SETTINGS) as IntegerSettingName[];
    return Object.fromEntries(
      names.map((name) => {
        const { unit } = INTEGER_SETTINGS[name];
        const prop = given[name];
        if (prop === undefined) return [name, propValue(unit, INTEGER_SETTINGS[name].default)];
        const { value, problem } = contractValue(name, prop);
        if (problem) this.problems.push({ setting: name, problem });
        return [name, propValue(unit, value)];
      }),
    ) as unknown as ContractSettings;
  }

  /** An integer of the construct's own, or `fallback` when refused. */
  integer(setting: string, value: number, min: number, max: number, fallback: number): number {
    if (Token.isUnresolved(value)) return value;
    const problem = rangeProblem({ min, max }, value);
    if (problem === undefined) return value;
    this.problems.push({ setting, problem });
    return fallback;
  }

  /** A string matching `pattern`, or `fallback` when refused. */
  text(setting: string, value: string, pattern: RegExp, rule: string, fallback: string): string {
    if (Token.isUnresolved(value) || pattern.test(value)) return value;
    this.problems.push({ setting, problem: `${rule} (got '${value}')` });
    return fallback;
  }

  /** One of `allowed`, or the first of them when refused. */
  oneOf<T extends string>(setting: string, value: T, allowed: readonly [T, ...T[]]): T {
    const problem = oneOfProblem(allowed, value);
    if (problem === undefined) return value;
    this.problems.push({ setting, problem });
    return allowed[0];
  }

  /** A Size of whole MiB from `min` to `max`, or `fallback` when refused. */
  mebibytes(setting: string, value: Size, min: number, max: number, fallback: Size): Size {
    if (value.isUnresolved()) return value;
    const problem = rangeProblem({ min, max, unit: 'MiB' }, inUnit(value, 'MiB'));
    if (problem === undefined) return value;
    this.problems.push({ setting, problem });
    return fallback;
  }

  /** A Duration counted in `unit`, or `fallback` when refused. */
  duration(
    setting: string,
    value: Duration,
    unit: 'min' | 's',
    min: number,
    max: number,
    fallback: Duration,
  ): Duration {
    const problem = rangeProblem({ min, max, unit }, inUnit(value, unit));
    if (problem === undefined) return value;
    this.problems.push({ setting, problem });
    return fallback;
  }
}

/**
 * Applies the defaults and checks every value, so that a value the function or CloudFormation
 * would refuse, or a prop the worker does not know, fails at synth. Every problem is collected (none is thrown); a refused value
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
    'min',
    1,
    60,
    Duration.minutes(d.scheduleRateMinutes),
  );
  const timeout = c.duration(
    'timeout',
    props.timeout ?? Duration.seconds(d.timeoutSeconds),
    's',
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
    ...c.contract(props),
    reservedConcurrentExecutions: reservation(c, props),
    memorySize: c.integer(
      'memorySize',
      props.memorySize ?? d.memorySize,
      128,
      10_240,
      d.memorySize,
    ),
    timeout,
    serviceName: c.text(
      'serviceName',
      props.serviceName ?? d.serviceName,
      SERVICE_NAME_PATTERN,
      SERVICE_NAME_RULE,
      d.serviceName,
    ),
    metricsNamespace: c.text(
      'metricsNamespace',
      props.metricsNamespace ?? d.metricsNamespace,
      METRICS_NAMESPACE_PATTERN,
      METRICS_NAMESPACE_RULE,
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
      's',
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
  return {
    settings,
    problems: [...unknownPropProblems(props), ...c.problems, ...crossChecks(settings)],
  };
}

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
