/**
 * The worker's configuration: environment variables parsed and validated once, at cold start.
 */

import {
  ACTION_TYPE_ENV,
  type ActionCategory,
  categoryProblem,
  INTEGER_SETTINGS,
  type IntegerSetting,
  type IntegerSettingName,
  LEDGER_TABLE_ENV,
  LOG_LEVELS,
  METRICS_NAMESPACE_PATTERN,
  METRICS_NAMESPACE_RULE,
  oneOfProblem,
  POWERTOOLS_ENV,
  PROPERTY_NAME_PATTERN,
  providerProblem,
  QUERY_PARAM_ENV,
  queryParamProblem,
  rangeProblem,
  SECRET_KEYS_ENV,
  SERVICE_NAME_PATTERN,
  SERVICE_NAME_RULE,
  type SettingUnit,
  TABLE_NAME_PATTERN,
  versionProblem,
} from './contract.js';
import { JobWorkerError } from './errors.js';

export { ACTION_CATEGORIES, type ActionCategory } from './contract.js';

/** The custom action type this worker polls for (owner is always `Custom`). */
export interface ActionTypeId {
  readonly owner: 'Custom';
  readonly category: ActionCategory;
  readonly provider: string;
  readonly version: string;
}

/**
 * How the function holds a value of each unit, and the suffix that says so in its field's
 * name: counts as they are, times in ms, except a retention in days, kept in seconds as the
 * ledger's TTL counts them, and sizes in bytes.
 */
const IN_FUNCTION = {
  count: { suffix: '', factor: 1 },
  ms: { suffix: 'Ms', factor: 1 },
  s: { suffix: 'Ms', factor: 1_000 },
  min: { suffix: 'Ms', factor: 60_000 },
  days: { suffix: 'Seconds', factor: 86_400 },
  MiB: { suffix: 'Bytes', factor: 1_048_576 },
} as const satisfies Record<SettingUnit, { suffix: string; factor: number }>;

type InFunction<K extends IntegerSettingName> =
  (typeof IN_FUNCTION)[(typeof INTEGER_SETTINGS)[K]['unit']];

/** The `WorkerConfig` field of an integer setting: its name, and its unit in the function. */
export type IntegerField<K extends IntegerSettingName> = `${K}${InFunction<K>['suffix']}`;

/** One field per integer setting of the contract, in the function's unit. */
export type IntegerSettingFields = {
  readonly [K in IntegerSettingName as IntegerField<K>]: number;
};

/**
 * A value read in its setting's unit, converted to the unit the function holds it in.
 *
 * @param unit - the setting's unit
 * @param amount - the value in that unit
 */
export function inFunctionUnit(unit: SettingUnit, amount: number): number {
  return amount * IN_FUNCTION[unit].factor;
}

/**
 * The worker's configuration, as read from its environment at cold start.
 *
 * Besides the fields below, it holds one number per integer setting of the contract
 * (`INTEGER_SETTINGS` in `contract.ts`, whose entry documents it), named after the setting
 * and the unit the function keeps it in: a count under the setting's name (`batchSize`,
 * `concurrency`, `sdkMaxAttempts`, `maxContinuations`), a time in ms with `Ms` appended
 * (`deadlineMarginMs`, `leaseGraceMs`, `sdkRequestTimeoutMs`, `maxContinuationAgeMs`), a
 * retention in days in seconds with `Seconds` (`recordRetentionSeconds`), a size in bytes
 * with `Bytes`.
 */
export interface WorkerConfig extends IntegerSettingFields {
  readonly actionType: ActionTypeId;
  /** DynamoDB table that holds the nonce ledger. */
  readonly ledgerTableName: string;
  /** Configuration properties whose values are secret and must never be logged or stored. */
  readonly secretConfigurationKeys: ReadonlySet<string>;
  /** The queryable property and the value every poll asks for; undefined without one. */
  readonly queryParam?: Readonly<Record<string, string>>;
}

/** Raised at cold start when an environment variable is missing or invalid. */
export class WorkerConfigError extends JobWorkerError {
  readonly variables: readonly string[];

  constructor(problems: readonly { variable: string; problem: string }[]) {
    super(
      `Invalid worker configuration: ${problems.map((p) => `${p.variable} ${p.problem}`).join('; ')}`,
    );
    this.name = 'WorkerConfigError';
    this.variables = problems.map((p) => p.variable);
  }
}

type Env = Readonly<Record<string, string | undefined>>;

class Reader {
  readonly problems: { variable: string; problem: string }[] = [];

  constructor(private readonly env: Env) {}

  string(variable: string, check: (value: string) => string | undefined, fallback?: string) {
    const raw = this.env[variable]?.trim();
    if (raw === undefined || raw === '') {
      if (fallback !== undefined) return fallback;
      this.problems.push({ variable, problem: 'is required' });
      return '';
    }
    const problem = check(raw);
    if (problem) this.problems.push({ variable, problem });
    return raw;
  }

  /** An optional JSON value; `check` says what is wrong with it, if anything. */
  json(variable: string, check: (value: unknown) => string | undefined): unknown {
    const raw = this.env[variable]?.trim();
    if (raw === undefined || raw === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      this.problems.push({ variable, problem: 'must be JSON' });
      return undefined;
    }
    const problem = check(value);
    if (problem === undefined) return value;
    this.problems.push({ variable, problem });
    return undefined;
  }

  /** An integer setting, in its unit. */
  integer(setting: IntegerSetting): number {
    const raw = this.env[setting.variable]?.trim();
    if (raw === undefined || raw === '') return setting.default;
    const value = /^-?\d+$/.test(raw) ? Number(raw) : Number.NaN;
    const problem = rangeProblem(setting, value, raw);
    if (problem === undefined) return value;
    this.problems.push({ variable: setting.variable, problem });
    return setting.default;
  }
}

/**
 * Reads and validates the worker's environment variables.
 *
 * @param env - the environment (defaults to `process.env`)
 * @throws WorkerConfigError naming every variable that is missing or invalid
 * @example
 * const config = loadConfig(process.env);
 */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const read = new Reader(env);
  const category = read.string(ACTION_TYPE_ENV.category, categoryProblem) as ActionCategory;
  const provider = read.string(ACTION_TYPE_ENV.provider, providerProblem);
  const version = read.string(ACTION_TYPE_ENV.version, versionProblem);
  const ledgerTableName = read.string(LEDGER_TABLE_ENV, (v) =>
    TABLE_NAME_PATTERN.test(v)
      ? undefined
      : `must be a DynamoDB table name (3-255 characters of [a-zA-Z0-9_.-])`,
  );
  const secretKeys = read.string(
    SECRET_KEYS_ENV,
    (v) =>
      splitList(v).every((key) => PROPERTY_NAME_PATTERN.test(key))
        ? undefined
        : 'must be a comma-separated list of configuration property names',
    '',
  );
  const queryParam = read.json(QUERY_PARAM_ENV, queryParamProblem);
  checkPowertoolsVariables(read);
  const config: WorkerConfig = {
    actionType: { owner: 'Custom', category, provider, version },
    ledgerTableName,
    ...readIntegerSettings(read),
    secretConfigurationKeys: new Set(splitList(secretKeys)),
    queryParam: queryParam as Record<string, string> | undefined,
  };
  if (read.problems.length > 0) throw new WorkerConfigError(read.problems);
  return config;
}

/**
 * Powertools reads its own variables (logger, metrics); they are checked here so that a value
 * it would ignore or refuse later fails the cold start with the others. Powertools reads the
 * log level in any case.
 */
function checkPowertoolsVariables(read: Reader): void {
  read.string(
    POWERTOOLS_ENV.serviceName,
    (v) => (SERVICE_NAME_PATTERN.test(v) ? undefined : SERVICE_NAME_RULE),
    'unset',
  );
  read.string(
    POWERTOOLS_ENV.metricsNamespace,
    (v) =>
      METRICS_NAMESPACE_PATTERN.test(v) ? undefined : `${METRICS_NAMESPACE_RULE} (got "${v}")`,
    'unset',
  );
  read.string(
    POWERTOOLS_ENV.logLevel,
    (v) =>
      oneOfProblem(LOG_LEVELS, v.toUpperCase()) === undefined
        ? undefined
        : oneOfProblem(LOG_LEVELS, v),
    'unset',
  );
}

/** Every integer setting of the contract, each under its field, in the function's unit. */
function readIntegerSettings(read: Reader): IntegerSettingFields {
  const settings: [string, IntegerSetting][] = Object.entries(INTEGER_SETTINGS);
  const fields = settings.map(([name, setting]) => [
    `${name}${IN_FUNCTION[setting.unit].suffix}`,
    inFunctionUnit(setting.unit, read.integer(setting)),
  ]);
  return Object.fromEntries(fields) as IntegerSettingFields;
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
