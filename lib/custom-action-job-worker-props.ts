import type { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import type { LogLevel } from '../lambda/contract.js';
import type { ActionTypeIdentity } from './action-type.js';

/** Log levels Powertools Logger accepts. */
export type WorkerLogLevel = LogLevel;

/**
 * A job worker as another worker of its action type reads it (`registeredBy`): a
 * `CustomActionJobWorker`.
 */
export interface ICustomActionJobWorker extends IConstruct {
  /** Owner, category, provider and version of the action type. */
  readonly actionType: ActionTypeIdentity;
  /** The action type's configuration properties, every flag spelled out. */
  readonly configurationProperties: readonly codepipeline.CustomActionProperty[];
  /** The queryable property and the value this worker polls for, if any. */
  readonly queryParam?: Readonly<Record<string, string>>;
  /** The action type's registration; undefined when another worker registers it. */
  readonly registration?: codepipeline.CustomActionRegistration;
}

/**
 * How the ledger table is encrypted at rest: with a customer-managed KMS key of its own
 * (every use audited in CloudTrail, the data cut off by disabling the key; $1 a month), or
 * with the key DynamoDB owns (free; the ledger holds job ids, nonces, states and times only).
 */
export type LedgerEncryption = 'customer-managed' | 'aws-owned';

/**
 * Properties of `CustomActionJobWorker`. Each of the function's integer settings (`batchSize`,
 * `deadlineMargin`, ...) is a prop named after its entry in the contract's `INTEGER_SETTINGS`,
 * checked against that entry's range and passed to the function in its unit.
 */
export interface CustomActionJobWorkerProps {
  /** Category of the custom action type. */
  readonly category: codepipeline.ActionCategory;
  /** Provider of the custom action type: 1-35 characters of `[0-9A-Za-z_-]`. */
  readonly provider: string;
  /**
   * Version of the custom action type: 1-9 characters of `[0-9A-Za-z_-]`. A deleted
   * type's version can never be reused, so bump it to replace the type.
   * @default '1'
   */
  readonly version?: string;
  /**
   * Configuration properties of the action (at most 10; at most one queryable, which must be
   * required and not secret). The names of the secret ones are passed to the worker so it
   * can keep their values out of logs, metrics and the ledger.
   * @default - no configuration properties
   */
  readonly configurationProperties?: codepipeline.CustomActionProperty[];
  /**
   * The `queryParam` of every poll: the action type's queryable property and the value this
   * worker polls for, `{ Severity: 'high' }` (at most 20 characters of `[A-Za-z0-9_-]`, the
   * values CodePipeline accepts for a queryable property). Required when a configuration
   * property is queryable (CodePipeline refuses every poll without it), refused otherwise. One
   * worker polls one value: pipelines whose actions carry another value need a worker of their
   * own for it.
   * @default - no queryParam (the action type has no queryable property)
   */
  readonly queryParam?: Readonly<Record<string, string>>;
  /**
   * Another worker of the same action type that registers it: this worker then only polls it
   * (for another `queryParam` value), and its log group joins the registering worker's Details
   * link, so that the link finds the jobs of every worker. Category, provider, version and
   * configuration properties must be the registering worker's (the properties are taken from
   * it when left out). Adding a worker later changes the action type's execution URL, which
   * replaces the action type: deploy the workers of one type together, or bump its version.
   * @default - this worker registers the action type itself
   */
  readonly registeredBy?: ICustomActionJobWorker;
  /**
   * The action's "Details" link in the pipeline, for each job: an https link of 1-2048
   * characters in which CodePipeline replaces `{ExternalExecutionId}` with the id the job was
   * reported with (the processor's `externalExecutionId`, else the action execution id) and
   * `{Config:Name}` with the action's value of a configuration property that is required
   * and not secret. Checked at synth. Not allowed with `registeredBy`: the registering
   * worker's link is the type's.
   * @example 'https://ci.example.com/projects/{Config:Project}/runs/{ExternalExecutionId}'
   * @default - a CloudWatch Logs Insights query of the job's log lines, over the log groups of
   *   every worker of the type, for the last 7 days
   */
  readonly executionUrlTemplate?: string;
  /**
   * The link shown on the action in the pipeline (the resource the action works on): an
   * https link of 1-2048 characters in which CodePipeline replaces `{Config:Name}` as in
   * `executionUrlTemplate` (`{ExternalExecutionId}` has no value here). Checked at synth. Not
   * allowed with `registeredBy`.
   * @default - the worker function's page in the Lambda console, on its monitoring tab
   */
  readonly entityUrlTemplate?: string;
  /**
   * Statements for the processor's own calls (StartBuild, StartExecution, ...), added to the
   * function's role in a policy of their own. Grants work too: the worker is an
   * `iam.IGrantable`, so `project.grantStartBuild(worker)`. cdk-nag reports a wildcard in
   * them (AwsSolutions-IAM5) in your stack: scope it, or acknowledge it on
   * `worker.processorPolicy`.
   * @default - none: the function may call only what the worker itself needs
   */
  readonly policyStatements?: iam.PolicyStatement[];
  /**
   * Minimum number of input artifacts (0-5).
   * @default 0
   */
  readonly minInputArtifacts?: number;
  /**
   * Maximum number of input artifacts (0-5).
   * @default 1
   */
  readonly maxInputArtifacts?: number;
  /**
   * Minimum number of output artifacts (0-5).
   * @default 0
   */
  readonly minOutputArtifacts?: number;
  /**
   * Maximum number of output artifacts (0-5).
   * @default 0
   */
  readonly maxOutputArtifacts?: number;
  /**
   * The function's entry file, in your app: a TypeScript or JavaScript ES module that exports
   * the handler, `export const handler = createJobWorkerHandler(processor)`. A relative path
   * is resolved from the directory `cdk` runs the app in. It is bundled with esbuild from
   * the app's root (`projectRoot`), with the packages your lock file installed. A missing
   * file, or one that does not export the handler, fails `cdk synth`.
   */
  readonly entry: string;
  /**
   * The name of the entry's export that is the handler.
   * @default 'handler'
   */
  readonly handler?: string;
  /**
   * The app's lock file, which pins what is bundled.
   * @default - the first lock file found from the entry's folder upwards
   */
  readonly depsLockFilePath?: string;
  /**
   * The app's root: esbuild runs here, and the entry must lie under it.
   * @default - the folder of the lock file
   */
  readonly projectRoot?: string;
  /**
   * Whether the bundle replaces packages the function does not need as published by smaller
   * modules of this package (see docs/design.md, "Bundle and stack traces"). Each is used only
   * where it exports everything the installed package does, so it is safe for any processor;
   * turn them off to bundle every package exactly as published.
   * @default true
   */
  readonly bundleSubstitutes?: boolean;
  /**
   * More bundling options for the function (for example `nodeModules` for a package with
   * native code, or `define`), applied over the worker's own.
   * @default - the worker's bundling options only
   */
  readonly bundling?: nodejs.BundlingOptions;
  /**
   * How often the schedule invokes the worker: whole minutes, 1 to 60. CodePipeline
   * STARTED events invoke it sooner; the schedule catches everything those miss.
   * @default Duration.minutes(1)
   */
  readonly scheduleRate?: Duration;
  /**
   * Jobs requested per PollForJobs call (`BATCH_SIZE`).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * Jobs one invocation works on at the same time (`CONCURRENCY`).
   * @default 10
   */
  readonly concurrency?: number;
  /**
   * Reports (PutJobSuccessResult, PutJobFailureResult) one invocation sends at the same time
   * (`REPORT_CONCURRENCY`), 1-100. A report is sent outside its job's slot, so this bounds the
   * calls a burst of finished jobs makes at once; raise it with `concurrency` (about twice it).
   * @default 20
   */
  readonly reportConcurrency?: number;
  /**
   * Reserved concurrency of the function, when `reserveConcurrency` is on: the most
   * invocations that run at once. It bounds the load on the CodePipeline API and DynamoDB when
   * many pipelines start together, and keeps that capacity for the worker whatever else runs
   * in the account. Throughput comes from `batchSize` and `concurrency` inside an invocation,
   * so a few invocations suffice. Setting it turns `reserveConcurrency` on.
   * @default 5 (when reserving)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Whether to reserve concurrency. Off by default so that the stack deploys in any account:
   * Lambda keeps at least 10 of the account's quota unreserved, and a new account's quota may
   * be 10, in which case CloudFormation fails the deployment of any reservation. Turn it on
   * where the quota leaves room (the quota minus every reservation stays at least 10).
   * @default - true when `reservedConcurrentExecutions` is set, else false
   */
  readonly reserveConcurrency?: boolean;
  /**
   * Memory of the function in MB (128-10240); CPU grows with it.
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * The function's temporary storage (`/tmp`), 512 MiB to 10,240 MiB in whole MiB. The jobs of
   * one invocation share it: a processor that downloads or extracts artifacts needs room for
   * them (raise the artifact API's limits with it).
   * @default Size.mebibytes(512)
   */
  readonly ephemeralStorageSize?: Size;
  /**
   * Timeout of the function. Must exceed `deadlineMargin` by at least 10 seconds.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Continuations one action execution may have (`MAX_CONTINUATIONS`): a processor that asks to
   * continue once more is failed with a message instead, and the continuation-limit alarm fires.
   * @default 3000
   */
  readonly maxContinuations?: number;
  /**
   * How long after its first job an action execution may still continue, whole minutes up to
   * the custom action's 24-hour timeout (`MAX_CONTINUATION_MINUTES`): past it, a continue
   * outcome fails the job with a message, and the continuation-limit alarm fires.
   * @default Duration.hours(23)
   */
  readonly maxContinuationAge?: Duration;
  /**
   * How often the action execution of a running processor is checked for a stop, whole
   * seconds from 1 to 300 (`CANCEL_CHECK_SECONDS`): one DynamoDB read per running job and
   * interval. A stop event (ABANDONED, CANCELED, FAILED) noted for the execution aborts the
   * processor's `signal` within this time.
   * @default Duration.seconds(10)
   */
  readonly cancelCheck?: Duration;
  /**
   * Time kept free before the timeout to report the jobs in hand (`DEADLINE_MARGIN_MS`).
   * @default Duration.seconds(20)
   */
  readonly deadlineMargin?: Duration;
  /**
   * Grace added to a claim's lease beyond the invocation's deadline (`LEASE_GRACE_SECONDS`).
   * @default Duration.seconds(10)
   */
  readonly leaseGrace?: Duration;
  /**
   * How long ledger records live before TTL removes them (`RECORD_RETENTION_DAYS`).
   * @default Duration.days(30)
   */
  readonly recordRetention?: Duration;
  /**
   * Attempts per AWS SDK call, first try included (`SDK_MAX_ATTEMPTS`).
   * @default 3
   */
  readonly sdkMaxAttempts?: number;
  /**
   * Timeout of one AWS SDK request (`SDK_REQUEST_TIMEOUT_MS`).
   * @default Duration.seconds(5)
   */
  readonly sdkRequestTimeout?: Duration;
  /**
   * Powertools service name: the `service` key of log lines and the `service` dimension of
   * the worker's metrics. Give each worker in an account its own.
   * @default 'codepipeline-job-worker'
   */
  readonly serviceName?: string;
  /**
   * CloudWatch namespace of the worker's metrics.
   * @default 'CodePipelineJobWorker'
   */
  readonly metricsNamespace?: string;
  /**
   * Log level of the worker (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: WorkerLogLevel;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Retries of a failed delivery or invocation: applied to both EventBridge targets and the
   * function's asynchronous invocation (0-2, Lambda's limit).
   * @default 2
   */
  readonly retryAttempts?: number;
  /**
   * How long an invocation event may wait (in EventBridge or in Lambda's asynchronous queue)
   * before it goes to the dead-letter queue (1 minute to 6 hours). An event only says "poll
   * now": once later ticks have run, an old one has no value.
   * @default Duration.minutes(10)
   */
  readonly maxEventAge?: Duration;
  /**
   * How the ledger table is encrypted at rest.
   * @default 'customer-managed'
   */
  readonly ledgerEncryption?: LedgerEncryption;
  /**
   * A CloudWatch dashboard of the worker ($3 a month each): `true` for one of its own, or a
   * dashboard shared by several workers, to which this worker adds its widgets. The alarms do
   * not depend on it.
   * @default false
   */
  readonly dashboard?: boolean | cloudwatch.Dashboard;
  /**
   * Acknowledge, report or ledger errors (each kind counted on its own) in 5 minutes at which
   * that kind's alarm fires. The SDK has already retried each of them.
   * @default 3
   */
  readonly errorAlarmThreshold?: number;
  /**
   * What happens to the ledger table, its KMS key and the log group when they leave the
   * stack. RETAIN keeps the claims and the audit trail (and turns on the table's deletion
   * protection); use DESTROY for throw-away environments.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * E-mail address subscribed to the alarms through a new encrypted SNS topic.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Existing SNS topic for alarm and OK notifications, instead of creating one.
   * @default - a new topic when `alarmEmail` is set, else no notifications
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Consecutive periods (of 5 minutes, or the schedule rate if longer) without a successful
   * poll before the no-poll alarm fires.
   * @default 3
   */
  readonly missedPollPeriods?: number;
}
