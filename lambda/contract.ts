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

/** The ledger table's name. */
export const LEDGER_TABLE_ENV = 'LEDGER_TABLE_NAME';
/** DynamoDB table names: 3-255 characters of `[a-zA-Z0-9_.-]`. */
export const TABLE_NAME_PATTERN = /^[a-zA-Z0-9_.-]{3,255}$/;

/**
 * The function's ephemeral storage (`/tmp`) in MiB, as the construct configures it: the
 * artifact API sizes its default limits from it. Unset (a local run, a function deployed
 * some other way), Lambda's default is assumed.
 */
export const EPHEMERAL_STORAGE_ENV = 'EPHEMERAL_STORAGE_MIB';
/** Lambda's default ephemeral storage, in MiB (and its least). */
export const DEFAULT_EPHEMERAL_STORAGE_MIB = 512;

/** Comma-separated names of the configuration properties whose values are secret. */
export const SECRET_KEYS_ENV = 'SECRET_CONFIGURATION_KEYS';
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

/** An integer setting: its variable, its inclusive range and its default. */
export interface IntegerSetting {
  readonly variable: string;
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** What one unit of the value is. */
  readonly unit: 'count' | 'ms' | 's' | 'min' | 'days';
}

/** The worker's tunable integer settings. */
export const INTEGER_SETTINGS = {
  /** `maxBatchSize` of each PollForJobs call. */
  batchSize: { variable: 'BATCH_SIZE', min: 1, max: 100, default: 10, unit: 'count' },
  /** Jobs one invocation works on at the same time. */
  concurrency: { variable: 'CONCURRENCY', min: 1, max: 100, default: 10, unit: 'count' },
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
} as const satisfies Record<string, IntegerSetting>;

export type IntegerSettingName = keyof typeof INTEGER_SETTINGS;

/** Powertools' own variables, and the defaults the worker uses when they are unset. */
export const POWERTOOLS_ENV = {
  serviceName: 'POWERTOOLS_SERVICE_NAME',
  metricsNamespace: 'POWERTOOLS_METRICS_NAMESPACE',
  logLevel: 'POWERTOOLS_LOG_LEVEL',
} as const;
export const DEFAULT_SERVICE_NAME = 'codepipeline-job-worker';
export const DEFAULT_METRICS_NAMESPACE = 'CodePipelineJobWorker';

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
   * Times a job processor was started: more than the jobs only when a worker stopped before
   * the outcome was recorded (mid-run, or with both the record and the report failing).
   */
  processorRuns: 'ProcessorRuns',
} as const;

export type CounterName = keyof typeof COUNTER_METRICS;

/** Milliseconds one job's processing took, one value per job. */
export const PROCESSING_DURATION_METRIC = 'ProcessingDuration';

/**
 * Milliseconds since the lease of the oldest claim found expired (its worker died and no
 * invocation has finished the job yet), published by each invocation that finds one.
 */
export const OLDEST_EXPIRED_CLAIM_METRIC = 'OldestExpiredClaimAge';

/** Jobs failed because their action execution reached a continuation limit. */
export const CONTINUATION_LIMIT_METRIC = 'ContinuationLimitsReached';

/** Invocation events refused before any poll, one per refused invocation. */
export const EVENTS_REJECTED_METRIC = 'EventsRejected';

/** Every metric the worker emits (dimension {@link METRICS_DIMENSION}). */
export const EMITTED_METRICS: readonly string[] = [
  ...Object.values(COUNTER_METRICS),
  PROCESSING_DURATION_METRIC,
  OLDEST_EXPIRED_CLAIM_METRIC,
  CONTINUATION_LIMIT_METRIC,
  EVENTS_REJECTED_METRIC,
];

/** The ledger table: every name the function reads and the construct creates. */
export const LEDGER_SCHEMA = {
  /** Partition key (String). */
  partitionKey: 'jobId',
  /** TTL attribute (epoch seconds): only cleans up; no decision waits for it. */
  timeToLiveAttribute: 'expiresAt',
  /** The index of claims that may expire: present while a claim is open. */
  pendingIndex: {
    name: 'pending-claims',
    /** Partition key (String): one shard, `open`. */
    partitionKey: 'pendingShard',
    /** Sort key (Number, epoch ms). */
    sortKey: 'leaseExpiresAt',
  },
} as const;
