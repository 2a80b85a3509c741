/**
 * The contract between the infrastructure and the function, as pure data: the function's
 * environment variables with their defaults and ranges, the metrics it emits, and the
 * ledger table's schema. The construct (`lib/`) and the function (`lambda/`) both read this
 * module, so they cannot disagree: a value the construct accepts is a value the function
 * accepts, and the table it creates is the one the function queries.
 *
 * Nothing here may import anything: `lib/` imports it, and it must stay free of runtime code
 * (data, and pure checks of that data).
 */

/** The categories CodePipeline accepts for an action type. */
export const ACTION_CATEGORIES = [
  'Source',
  'Build',
  'Deploy',
  'Test',
  'Invoke',
  'Approval',
  'Compute',
] as const;
export type ActionCategory = (typeof ACTION_CATEGORIES)[number];

/** The action type's identity, read from the environment. */
export const ACTION_TYPE_ENV = {
  category: 'ACTION_CATEGORY',
  provider: 'ACTION_PROVIDER',
  version: 'ACTION_VERSION',
} as const;

/** Provider: 1-35 characters of `[0-9A-Za-z_-]` (service model). */
export const PROVIDER_PATTERN = /^[0-9A-Za-z_-]{1,35}$/;
/** Version: 1-9 characters of `[0-9A-Za-z_-]` (service model). */
export const VERSION_PATTERN = /^[0-9A-Za-z_-]{1,9}$/;

/** The artifact counts an action type may declare: each from 0 to 5 (service model). */
export const ARTIFACT_COUNT_RANGE = { min: 0, max: 5 } as const;
/** The artifact counts of an action type that declares none. */
export const DEFAULT_ARTIFACT_COUNTS = {
  minInputArtifacts: 0,
  maxInputArtifacts: 1,
  minOutputArtifacts: 0,
  maxOutputArtifacts: 0,
} as const;

/**
 * The value in a message: a number with its unit (`999 ms`), anything else as JSON (`"abc"`),
 * so that text from an environment variable or a file shows exactly as it was given.
 */
function shown(value: unknown, unit: SettingUnit = 'count'): string {
  if (typeof value === 'number')
    return unit === 'count' ? `${value}` : `${value} ${UNIT_WORDS[unit]}`;
  return JSON.stringify(value) ?? String(value);
}

/**
 * The rule "one of a list": `must be one of A, B (got "c")`.
 *
 * @param allowed - the accepted values
 * @param value - the value given
 * @returns a problem reading after the setting's name, or undefined
 */
export function oneOfProblem(allowed: readonly unknown[], value: unknown): string | undefined {
  if (allowed.includes(value)) return undefined;
  return `must be one of ${allowed.join(', ')} (got ${shown(value)})`;
}

/**
 * The rule "a whole number in a range", in the range's unit: `must be an integer from 1 to 100
 * (got 0)`, `must be a whole number of ms from 1000 to 600000 (got 999 ms)`.
 *
 * @param range - the inclusive bounds and their unit (a count unless given)
 * @param amount - the value as a number (NaN when it is none)
 * @param given - the value as it was given, shown in the message (defaults to `amount`)
 * @returns a problem reading after the setting's name, or undefined
 */
export function rangeProblem(
  range: { readonly min: number; readonly max: number; readonly unit?: SettingUnit },
  amount: number,
  given: unknown = amount,
): string | undefined {
  if (Number.isSafeInteger(amount) && amount >= range.min && amount <= range.max) return undefined;
  const unit = range.unit ?? 'count';
  const whole = unit === 'count' ? 'an integer' : `a whole number of ${UNIT_WORDS[unit]}`;
  return `must be ${whole} from ${range.min} to ${range.max} (got ${shown(given, unit)})`;
}

/**
 * What is wrong with an action type's category, if anything.
 *
 * @param value - the category given
 */
export function categoryProblem(value: unknown): string | undefined {
  return oneOfProblem(ACTION_CATEGORIES, value);
}

/**
 * What is wrong with an action type's provider, if anything.
 *
 * @param value - the provider given
 */
export function providerProblem(value: string): string | undefined {
  if (PROVIDER_PATTERN.test(value)) return undefined;
  return `must be 1-35 characters of [0-9A-Za-z_-] (got ${shown(value)})`;
}

/**
 * What is wrong with an action type's version, if anything.
 *
 * @param value - the version given
 */
export function versionProblem(value: string): string | undefined {
  if (VERSION_PATTERN.test(value)) return undefined;
  return `must be 1-9 characters of [0-9A-Za-z_-] (got ${shown(value)})`;
}

/** The ledger table's name. */
export const LEDGER_TABLE_ENV = 'LEDGER_TABLE_NAME';
/** DynamoDB table names: 3-255 characters of `[a-zA-Z0-9_.-]`. */
export const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;

/** Comma-separated names of the configuration properties whose values are secret. */
export const SECRET_KEYS_ENV = 'SECRET_CONFIGURATION_KEYS';
/** Configuration properties an action type may declare (CloudFormation, CodePipeline). */
export const MAX_CONFIGURATION_PROPERTIES = 10;
/** An output variable's name as CodePipeline accepts it (letters, digits and `@ - _`). */
export const OUTPUT_VARIABLE_NAME = /^[A-Za-z0-9@\-_]+$/;
/** A configuration property name as the worker can receive it in that list. */
export const PROPERTY_NAME_PATTERN = /^[^,\s]{1,50}$/;

/**
 * The `queryParam` of every poll, as a JSON object of one entry: the action type's queryable
 * property and the value this worker polls for (`{"Severity":"high"}`). Unset for an action
 * type without a queryable property; required for one with it, or every poll is refused.
 */
export const QUERY_PARAM_ENV = 'QUERY_PARAM';
/**
 * A queryable property's value: CodePipeline accepts at most 20 characters of
 * `[A-Za-z0-9_-]` in a pipeline's configuration for it (the poll itself would take up to
 * 50), so a longer value could never match a job.
 */
export const QUERY_VALUE_PATTERN = /^[A-Za-z0-9_-]{1,20}$/;
/** A configuration property's name: 1-50 characters (service model). */
export const QUERYABLE_NAME_PATTERN = /^.{1,50}$/s;

/**
 * What is wrong with a `queryParam`: it must name one property and the value to poll for, as
 * CodePipeline accepts them in a pipeline's configuration. A pure function of the patterns
 * above, so that the construct and the function apply the one rule.
 *
 * @param value - the parsed `QUERY_PARAM`
 * @returns a problem reading after the variable's name, or undefined
 */
export function queryParamProblem(value: unknown): string | undefined {
  const shape = 'must be a JSON object of one entry, {"<queryable property>": "<value>"}';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return shape;
  const entries = Object.entries(value);
  if (entries.length !== 1) return shape;
  const [[name, polled] = ['', undefined]] = entries;
  if (!QUERYABLE_NAME_PATTERN.test(name)) return 'must name a property of 1-50 characters';
  if (typeof polled !== 'string' || !QUERY_VALUE_PATTERN.test(polled)) {
    return `must map '${name}' to 1-20 characters of [A-Za-z0-9_-] (got ${JSON.stringify(polled)})`;
  }
  return undefined;
}

/** What one unit of an integer setting is: a count, a time, or a size. */
export type SettingUnit = 'count' | 'ms' | 's' | 'min' | 'days' | 'MiB';

/** Each unit as messages name it. */
export const UNIT_WORDS: Readonly<Record<SettingUnit, string>> = {
  count: '',
  ms: 'ms',
  s: 'seconds',
  min: 'minutes',
  days: 'days',
  MiB: 'MiB',
};

/** An integer setting: its variable, its inclusive range and its default. */
export interface IntegerSetting {
  readonly variable: string;
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** What one unit of the value is. */
  readonly unit: SettingUnit;
}

/**
 * The worker's tunable integer settings, by name. Each is set by the construct's prop of the
 * same name (a number for a count, a `Duration` for a time, a `Size` for a size), reaches the
 * function as its variable in its unit, and is read by the function into the `WorkerConfig`
 * field named after it (see `lambda/config.ts`). A setting added here has its prop checked,
 * passed and read with no other change; its prop must exist, or `lib/` does not compile.
 */
export const INTEGER_SETTINGS = {
  /** `maxBatchSize` of each PollForJobs call. */
  batchSize: { variable: 'BATCH_SIZE', min: 1, max: 100, default: 10, unit: 'count' },
  /** Jobs one invocation works on at the same time. */
  concurrency: { variable: 'CONCURRENCY', min: 1, max: 100, default: 10, unit: 'count' },
  /**
   * Reports (PutJobSuccessResult, PutJobFailureResult) one invocation sends at the same time.
   * A report leaves its job's slot once the processor returns, so without a bound the reports
   * of a burst of jobs would all be sent at once. CodePipeline states no request rate for
   * these calls: "Quotas in AWS CodePipeline" (docs.aws.amazon.com/codepipeline/latest/
   * userguide/limits.html) counts pipelines, actions, custom actions (50 a Region) and artifact
   * sizes, not requests, and a call over the service's rate is answered with a
   * ThrottlingException, which the SDK and the report's own retries back off from. So the
   * default follows the rate the jobs themselves set: C slots keep about C times (report call
   * / slot) reports in flight, fewer than C while a result is answered as fast as an
   * acknowledgement, more when it is slower; twice the default concurrency leaves that room
   * and still caps a burst.
   */
  reportConcurrency: {
    variable: 'REPORT_CONCURRENCY',
    min: 1,
    max: 100,
    default: 20,
    unit: 'count',
  },
  /** No new job is taken once the invocation has less than this left. */
  deadlineMargin: {
    variable: 'DEADLINE_MARGIN_MS',
    min: 1_000,
    max: 600_000,
    default: 20_000,
    unit: 'ms',
  },
  /** A claim lives until the invocation's own end plus this grace. */
  leaseGrace: { variable: 'LEASE_GRACE_SECONDS', min: 0, max: 3_600, default: 10, unit: 's' },
  /** How long finished ledger records are kept before TTL may delete them. */
  recordRetention: {
    variable: 'RECORD_RETENTION_DAYS',
    min: 2,
    max: 3_650,
    default: 30,
    unit: 'days',
  },
  /** AWS SDK attempts per call, first try included (standard retry mode). */
  sdkMaxAttempts: { variable: 'SDK_MAX_ATTEMPTS', min: 1, max: 10, default: 3, unit: 'count' },
  /** Timeout of one AWS SDK request. */
  sdkRequestTimeout: {
    variable: 'SDK_REQUEST_TIMEOUT_MS',
    min: 100,
    max: 60_000,
    default: 5_000,
    unit: 'ms',
  },
  /**
   * Continuations one action execution may have: a processor that still asks to continue
   * after this many is failed instead (a loop that would only end at the action's timeout).
   */
  maxContinuations: {
    variable: 'MAX_CONTINUATIONS',
    min: 1,
    max: 100_000,
    default: 3_000,
    unit: 'count',
  },
  /**
   * How long after its first job an action execution may still continue: past it, a continue
   * outcome fails the job with a message, before the custom action's 24-hour timeout fails it
   * without one.
   */
  maxContinuationAge: {
    variable: 'MAX_CONTINUATION_MINUTES',
    min: 1,
    max: 1_440,
    default: 1_380,
    unit: 'min',
  },
  /**
   * How often a running processor's action execution is checked for a stop (one consistent
   * read of its ledger item): a stop is noticed within this time while the processor runs.
   */
  cancelCheck: { variable: 'CANCEL_CHECK_SECONDS', min: 1, max: 300, default: 10, unit: 's' },
  /**
   * The function's ephemeral storage (`/tmp`), which the jobs of an invocation share: the
   * artifact API sizes its default limits from it. Lambda's range and default.
   */
  ephemeralStorageSize: {
    variable: 'EPHEMERAL_STORAGE_MIB',
    min: 512,
    max: 10_240,
    default: 512,
    unit: 'MiB',
  },
} as const satisfies Record<string, IntegerSetting>;

export type IntegerSettingName = keyof typeof INTEGER_SETTINGS;

/** The log levels the worker's logger accepts (Powertools Logger's). */
export const LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Powertools' own variables, and the defaults the worker uses when they are unset. */
export const POWERTOOLS_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;
export const DEFAULT_SERVICE_NAME = 'codepipeline-job-worker';
export const DEFAULT_METRICS_NAMESPACE = 'CodePipelineJobWorker';

/**
 * CloudWatch namespaces: letters, digits, spaces and `. - _ / # :`, 1-255 characters, and not
 * `AWS/...`, which is reserved for AWS services (PutMetricData and EMF refuse it).
 */
export const METRICS_NAMESPACE_PATTERN = /^(?!AWS\/)[A-Za-z0-9 ._\-/#:]{1,255}$/;
export const METRICS_NAMESPACE_RULE =
  "must be 1-255 characters of letters, digits, spaces and . - _ / # : and not start with 'AWS/' (CloudWatch reserves it)";
/** A dimension value (the service name): 1-1024 characters; a log key, so no control ones. */
export const SERVICE_NAME_PATTERN = /^[^\p{Cc}]{1,1024}$/u;
export const SERVICE_NAME_RULE = 'must be 1-1024 characters, none of them a control character';

/** The dimension every worker metric carries (Powertools' service name). */
export const METRICS_DIMENSION = 'service';

/**
 * The counters of one invocation, by the name the worker counts them under, as EMF metrics.
 * Each is published only when it is not zero: CloudWatch bills a custom metric for every
 * hour in which it is published, so an idle worker pays for `PollsSucceeded` alone.
 */
export const COUNTER_METRICS = {
  polls: 'PollsSucceeded',
  polled: 'JobsPolled',
  acknowledged: 'JobsAcknowledged',
  succeeded: 'JobsSucceeded',
  failed: 'JobsFailed',
  continued: 'JobsContinued',
  duplicates: 'DuplicatesSkipped',
  claimsLost: 'ClaimsLost',
  acknowledgeErrors: 'AcknowledgeErrors',
  reportErrors: 'ReportErrors',
  ledgerErrors: 'LedgerErrors',
  recovered: 'JobsRecovered',
  abandoned: 'JobsAbandoned',
  deferred: 'JobsDeferred',
  /** Claims found with their lease expired and no outcome: their worker died. */
  expiredClaims: 'ExpiredClaims',
  /**
   * Times a job processor was started, its checks run again within an invocation included:
   * otherwise more than the jobs only when a worker stopped before the outcome was recorded
   * (mid-run, or with both the record and the report failing).
   */
  processorRuns: 'ProcessorRuns',
  /**
   * Runs of a job's processor again within the invocation, after the wait its continue outcome
   * asked for (`checkAfterSeconds`): each is also a processor run.
   */
  checksRunAgain: 'ChecksRunAgain',
  /**
   * Continue outcomes that asked to be checked again but were sent as continuations: the wait
   * did not fit in the invocation, the invocation reached its stop time while the job waited,
   * or the report could not be recorded.
   */
  checksContinued: 'ChecksContinued',
} as const;

export type CounterName = keyof typeof COUNTER_METRICS;

/** Milliseconds one run of a job's processor took, one value per run (checks run again included). */
export const PROCESSING_DURATION_METRIC = 'ProcessingDuration';

/**
 * Milliseconds since the lease of the oldest claim found expired (its worker died and no
 * invocation has finished the job yet), published by each invocation that finds one.
 */
export const OLDEST_EXPIRED_CLAIM_METRIC = 'OldestExpiredClaimAge';

/** Jobs failed because their action execution reached a continuation limit. */
export const CONTINUATION_LIMIT_METRIC = 'ContinuationLimitsReached';

/** Calls of a processor's `cancel` hook that threw or did not return before their deadline. */
export const CANCEL_ERRORS_METRIC = 'CancelErrors';

/** Invocation events refused before any poll, one per refused invocation. */
export const EVENTS_REJECTED_METRIC = 'EventsRejected';

/** Every metric the worker emits (dimension {@link METRICS_DIMENSION}). */
export const EMITTED_METRICS: readonly string[] = [
  ...Object.values(COUNTER_METRICS),
  PROCESSING_DURATION_METRIC,
  OLDEST_EXPIRED_CLAIM_METRIC,
  CONTINUATION_LIMIT_METRIC,
  CANCEL_ERRORS_METRIC,
  EVENTS_REJECTED_METRIC,
];

/** The ledger table: every name the function reads and the construct creates. */
export const LEDGER_SCHEMA = {
  /** Partition key (String). */
  partitionKey: 'jobId',
  /** TTL attribute (epoch seconds): only cleans up; no decision waits for it. */
  timeToLiveAttribute: 'expiresAt',
  /**
   * The partition key value of an action execution's item is this prefix and the action
   * execution id: no job id (a UUID) contains `#`, so it never meets a job's item.
   */
  executionKeyPrefix: 'execution#',
  /** The index of claims that may expire: present while a claim is open. */
  pendingIndex: {
    name: 'pending-claims',
    /** Partition key (String): one shard, `open`. */
    partitionKey: 'pendingShard',
    /** Sort key (Number, epoch ms). */
    sortKey: 'leaseExpiresAt',
  },
} as const;

/**
 * The action execution states whose events the worker subscribes to besides STARTED: each
 * says that an execution was stopped (`ABANDONED`, `CANCELED`) or ended (`FAILED`, which the
 * worker acts on only for an execution it did not fail itself), so that the processor's
 * `cancel` can stop the execution's external work.
 */
export const STOP_EVENT_STATES = ['ABANDONED', 'CANCELED', 'FAILED'] as const;
export type StopEventState = (typeof STOP_EVENT_STATES)[number];
