/**
 * The worker's configuration: environment variables parsed and validated once, at cold start.
 */

import {
  ACTION_CATEGORIES,
  ACTION_TYPE_ENV,
  type ActionCategory,
  INTEGER_SETTINGS,
  type IntegerSetting,
  LEDGER_TABLE_ENV,
  METRICS_NAMESPACE_PATTERN,
  METRICS_NAMESPACE_RULE,
  POWERTOOLS_ENV,
  PROPERTY_NAME_PATTERN,
  PROVIDER_PATTERN,
  QUERY_PARAM_ENV,
  queryParamProblem,
  SECRET_KEYS_ENV,
  SERVICE_NAME_PATTERN,
  SERVICE_NAME_RULE,
  TABLE_NAME_PATTERN,
  VERSION_PATTERN,
  WORKER_LOG_LEVELS,
} from './contract.js';

export { ACTION_CATEGORIES, type ActionCategory } from './contract.js';

/** The custom action type this worker polls for (owner is always `Custom`). */
export interface ActionTypeId {
  readonly owner: 'Custom';
  readonly category: ActionCategory;
  readonly provider: string;
  readonly version: string;
}

export interface WorkerConfig {
  readonly actionType: ActionTypeId;
  /** DynamoDB table that holds the nonce ledger. */
  readonly ledgerTableName: string;
  /** `maxBatchSize` of each `PollForJobs` call. */
  readonly batchSize: number;
  /** How many jobs run at once in one invocation. */
  readonly concurrency: number;
  /** No new job is taken once the invocation has less than this left (ms). */
  readonly deadlineMarginMs: number;
  /** A claim lives until the invocation's own end plus this grace (ms). */
  readonly leaseGraceMs: number;
  /** How long finished ledger records are kept before TTL removes them (s). */
  readonly recordRetentionSeconds: number;
  /** Configuration properties whose values are secret and must never be logged or stored. */
  readonly secretConfigurationKeys: ReadonlySet<string>;
  /** AWS SDK retry attempts (standard mode) and per-request timeout. */
  readonly sdkMaxAttempts: number;
  readonly sdkRequestTimeoutMs: number;
  /** The queryable property and the value every poll asks for; undefined without one. */
  readonly queryParam?: Readonly<Record<string, string>>;
  /** Continuations an action execution may have before its job is failed instead. */
  readonly maxContinuations: number;
  /** How long after its first job an action execution may still continue (ms). */
  readonly maxContinuationAgeMs: number;
}

/** Raised at cold start when an environment variable is missing or invalid. */
export class WorkerConfigError extends Error {
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

  integer({ variable, min, max, default: fallback }: IntegerSetting): number {
    const raw = this.env[variable]?.trim();
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!/^-?\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      this.problems.push({
        variable,
        problem: `must be an integer from ${min} to ${max} (got "${raw}")`,
      });
      return fallback;
    }
    return value;
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
  const category = read.string(ACTION_TYPE_ENV.category, (v) =>
    (ACTION_CATEGORIES as readonly string[]).includes(v)
      ? undefined
      : `must be one of ${ACTION_CATEGORIES.join(', ')} (got "${v}")`,
  ) as ActionCategory;
  const provider = read.string(ACTION_TYPE_ENV.provider, (v) =>
    PROVIDER_PATTERN.test(v) ? undefined : `must be 1-35 characters of [0-9A-Za-z_-] (got "${v}")`,
  );
  const version = read.string(ACTION_TYPE_ENV.version, (v) =>
    VERSION_PATTERN.test(v) ? undefined : `must be 1-9 characters of [0-9A-Za-z_-] (got "${v}")`,
  );
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
    batchSize: read.integer(INTEGER_SETTINGS.batchSize),
    concurrency: read.integer(INTEGER_SETTINGS.concurrency),
    deadlineMarginMs: read.integer(INTEGER_SETTINGS.deadlineMargin),
    leaseGraceMs: read.integer(INTEGER_SETTINGS.leaseGrace) * 1_000,
    recordRetentionSeconds: read.integer(INTEGER_SETTINGS.recordRetention) * 86_400,
    secretConfigurationKeys: new Set(splitList(secretKeys)),
    sdkMaxAttempts: read.integer(INTEGER_SETTINGS.sdkMaxAttempts),
    sdkRequestTimeoutMs: read.integer(INTEGER_SETTINGS.sdkRequestTimeout),
    queryParam: queryParam as Record<string, string> | undefined,
    maxContinuations: read.integer(INTEGER_SETTINGS.maxContinuations),
    maxContinuationAgeMs: read.integer(INTEGER_SETTINGS.maxContinuationAge) * 60_000,
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
      (WORKER_LOG_LEVELS as readonly string[]).includes(v.toUpperCase())
        ? undefined
        : `must be one of ${WORKER_LOG_LEVELS.join(', ')} (got "${v}")`,
    'unset',
  );
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}
