/**
 * The contract between the infrastructure and the function, as pure data: the function's
 * environment variables with their defaults and ranges, the metrics it emits, and the
 * ledger table's schema. The construct (`lib/`) and the function (`lambda/`) both read this
 * module, so they cannot disagree: a value the construct accepts is a value the function
 * accepts, and the table it creates is the one the function queries.
 *
 * Nothing here may import anything: `lib/` imports it, and it must stay free of runtime code.
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

/** Comma-separated names of the configuration properties whose values are secret. */
export const SECRET_KEYS_ENV = 'SECRET_CONFIGURATION_KEYS';
/** A configuration property name as the worker can receive it in that list. */
export const PROPERTY_NAME_PATTERN = /^[^,\s]{1,50}$/;

/** An integer setting: its variable, its inclusive range and its default. */
export interface IntegerSetting {
  readonly variable: string;
  readonly min: number;
  readonly max: number;
  readonly default: number;
  /** What one unit of the value is. */
  readonly unit: 'count' | 'ms' | 's' | 'days';
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

/** The counters of one invocation, by the name the worker counts them under, as EMF metrics. */
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
  /** Times a job processor was started: more than the jobs only when a worker died mid-run. */
  processorRuns: 'ProcessorRuns',
} as const;

export type CounterName = keyof typeof COUNTER_METRICS;

/** Milliseconds one job's processing took, one value per job. */
export const PROCESSING_DURATION_METRIC = 'ProcessingDuration';

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
