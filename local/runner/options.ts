/**
 * What a local run takes (the action type, the jobs, how to run them) and what it returns:
 * the shapes shared by {@link runLocally}, the jobs file of `codepipeline-job-worker run`
 * and `npm start`.
 */
import type { ActionCategory } from '../../lambda/contract.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import type { StandInFailure, StandInRecord, StandIns } from '../stand-ins/types.js';

/** A configuration property of the action type, as `CustomActionJobWorker` declares it. */
export interface LocalConfigurationProperty {
  readonly name: string;
  readonly required: boolean;
  /** @default false */
  readonly key?: boolean;
  /** Its values are wrapped in `Secret` and kept out of logs. @default false */
  readonly secret?: boolean;
  /** @default false */
  readonly queryable?: boolean;
  readonly description?: string;
  /** `String`, `Number` or `Boolean` (typed `string`, as the CDK's `CustomActionProperty`). */
  readonly type?: string;
}

/**
 * The custom action type the jobs belong to, registered with `CreateCustomActionType` as
 * `cdk deploy` would. The names and defaults are those of `CustomActionJobWorker`'s props, so
 * an app can hand one object to both.
 */
export interface LocalActionType {
  /** One of CodePipeline's categories (`Test`, `Build`, ...; a CDK `ActionCategory` value works). */
  readonly category: ActionCategory;
  /** 1-35 characters of `[0-9A-Za-z_-]`. */
  readonly provider: string;
  /** @default '1' */
  readonly version?: string;
  /** @default - none */
  readonly configurationProperties?: readonly LocalConfigurationProperty[];
  /** @default 0 */
  readonly minInputArtifacts?: number;
  /** @default 1 */
  readonly maxInputArtifacts?: number;
  /** @default 0 */
  readonly minOutputArtifacts?: number;
  /** @default 0 */
  readonly maxOutputArtifacts?: number;
}

/**
 * An artifact of a job, by name. The run's local S3 store holds the pipeline's artifact
 * bucket: an input artifact is written there as a zip before its job is queued, from at most
 * one of `files`, `directory` and `zipBase64` (none: an empty zip), and an output artifact's
 * location is where the processor's upload lands (see {@link LocalJobReport.outputs}).
 */
export interface LocalArtifact {
  /** 1-100 characters of `[a-zA-Z0-9_-]`. */
  readonly name: string;
  /** @default a random revision for inputs, none for outputs */
  readonly revision?: string;
  /** Inputs only: the archive's files, by path inside it. */
  readonly files?: Readonly<Record<string, string>>;
  /**
   * Inputs only: a directory whose contents become the archive's root (in a jobs file,
   * relative to the file's folder).
   */
  readonly directory?: string;
  /** Inputs only: the archive itself, any bytes, base64-encoded (a corrupt or hostile zip). */
  readonly zipBase64?: string;
}

/** What a job uploaded to one of its output artifacts, as the local S3 store recorded it. */
export interface LocalOutputReport {
  /** Bytes of the stored object; 0 when nothing was uploaded. */
  readonly bytes: number;
  /** The archive's file paths; empty when nothing was uploaded or the object is not a zip. */
  readonly entries: readonly string[];
  /** `x-amz-server-side-encryption` of the upload (`aws:kms`), if any. */
  readonly serverSideEncryption?: string;
  /** The KMS key the upload named, if any (the job's `encryptionKey.id`). */
  readonly kmsKeyId?: string;
}

/**
 * What a job is meant to end with. A job that states it passes the run only when it ends so;
 * one that does not passes with any decision of the processor (a success, a returned
 * `failure()`, a thrown `JobFailureError`), but not when the processor threw anything else or
 * missed its deadline.
 */
export interface LocalJobExpectation {
  /**
   * `success` and `failure`: how the job's chain (the job and its continuations) ends.
   * `continue`: the job returns `continueLater` at least once; the run does not wait for the
   * chain to end. `stopped`: the job's `stop` took place and the chain has ended (abandoned,
   * canceled, timed out, or run to its end after a stop without abandon).
   */
  readonly outcome: 'success' | 'failure' | 'continue' | 'stopped';
  /** For `failure`: the failure type (`ConfigurationError`, `JobFailed`). @default any */
  readonly failureType?: string;
  /**
   * Text the failure message (for `failure`) or the execution summary (otherwise) must hold.
   * @default any
   */
  readonly messageIncludes?: string;
}

/**
 * A stop of the job's pipeline execution (or a timeout of its action execution) during its
 * chain, made by the run as CodePipeline would make it.
 *
 * @example
 * // Stopped and abandoned while its second continuation waits to be polled: the worker's
 * // `cancel` hook case.
 * { afterContinuations: 2, while: 'waiting', mode: 'abandon' }
 */
export interface LocalJobStop {
  /**
   * How many continuations the chain has when the stop happens: with `waiting`, from 1 (the
   * stop follows the report that queued that continuation); with `running`, from 0 (the stop
   * happens while job N+1 of the chain runs).
   */
  readonly afterContinuations: number;
  /**
   * `waiting`: right after the continuation is queued, before any poll can take it (it is then
   * never handed out, unless `mode` is `stop`). `running`: `delayMs` after the job is
   * acknowledged, while its processor runs (the abort case).
   */
  readonly while: 'waiting' | 'running';
  /**
   * `abandon`: StopPipelineExecution with abandon (an ABANDONED event). `stop`: without abandon
   * (the action runs to its end). `supersede`: a newer execution supersedes it (CANCELED).
   * `timeout`: the action execution times out (FAILED).
   */
  readonly mode: 'abandon' | 'stop' | 'supersede' | 'timeout';
  /** With `running`: how long after the acknowledgement (ms, 0-60,000). @default 100 */
  readonly delayMs?: number;
}

/** One job to queue (or several alike, with `repeat`). */
export interface LocalJob {
  /** Shown in the report's `kind` column. @default `job-N`, N its place in the list (from 1) */
  readonly name?: string;
  /** The action configuration, secret properties included (they arrive wrapped). @default {} */
  readonly configuration?: Readonly<Record<string, string>>;
  /**
   * Queues the job as CodePipeline queues the continuation of an earlier job: carrying this
   * token. @default none
   */
  readonly continuationToken?: string;
  /**
   * Hands the job's first dispatch to a poller that crashes before acknowledging it: the
   * dispatch times out and the job is dispatched again with a new nonce. @default false
   */
  readonly firstDispatchAbandoned?: boolean;
  /** How many such jobs to queue; each gets its own line in the report. @default 1 */
  readonly repeat?: number;
  /** @default the emulator's (pipeline `emulator`, stage the category, action the provider) */
  readonly pipelineContext?: {
    readonly pipelineName?: string;
    readonly stageName?: string;
    readonly actionName?: string;
  };
  /** @default as many as `minInputArtifacts`, named `Input`, `Input2`, ... */
  readonly inputArtifacts?: readonly LocalArtifact[];
  /** @default as many as `minOutputArtifacts`, named `Output`, `Output2`, ... */
  readonly outputArtifacts?: readonly LocalArtifact[];
  /** What the job is meant to end with. @default any decision of the processor */
  readonly expect?: LocalJobExpectation;
  /** Stops the job's execution during its chain. @default no stop */
  readonly stop?: LocalJobStop;
}

/** The part of a local run that a jobs file can hold: pure data. */
export interface LocalRunPlan {
  readonly actionType: LocalActionType;
  readonly jobs: readonly LocalJob[];
  /**
   * Share (0 to 1) of dispatches the emulator hands to two pollers at once, from the first
   * invocation on. @default 0.3
   */
  readonly duplicateRate?: number;
  /** Gives up on unfinished jobs after this long (ms). @default 120_000 */
  readonly timeLimitMs?: number;
  /**
   * More environment variables for the worker (its settings, such as `CONCURRENCY`, or the
   * processor's own), set only while the run lasts. `AWS_ENDPOINT_URL_S3` is the run's local
   * S3 store unless given here; an `AWS_ENDPOINT_URL_` variable given here wins over a stand-in.
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * A module whose default export is the run's {@link StandIns} (TypeScript or JavaScript; in
   * a jobs file, relative to the file's folder). @default none: every call beyond
   * CodePipeline, DynamoDB and S3 is refused
   */
  readonly standIns?: string;
}

/** Progress after each round of invocations. */
export interface LocalRunProgress {
  readonly tick: number;
  readonly finished: number;
  readonly total: number;
  readonly elapsedMs: number;
}

/** Options of {@link runLocally}: a plan, and either a processor or an entry file. */
export interface RunLocallyOptions extends Omit<LocalRunPlan, 'standIns'> {
  /**
   * Handlers that answer the processor's own AWS calls, by service and operation, or a module
   * whose default export they are. @default none: every call beyond CodePipeline, DynamoDB and
   * S3 is refused, and fails the run
   */
  readonly standIns?: StandIns | string;
  /** The processor to run, wrapped by `createJobWorkerHandler` as an entry file does. */
  readonly processor?: JobProcessor;
  /**
   * Instead of `processor`: the function's entry file (TypeScript or JavaScript), imported
   * afresh once the worker's environment is set, as Lambda's cold start does.
   */
  readonly entry?: string;
  /** The entry's export that is the handler. @default 'handler' */
  readonly handler?: string;
  /** Concurrent invocations per round (a scheduled one and the event fast path). @default 2 */
  readonly pollers?: number;
  /** Pause between rounds (ms). @default 500 */
  readonly tickMs?: number;
  /** The simulated Lambda timeout of each invocation (ms). @default 60_000 */
  readonly invocationTimeoutMs?: number;
  /** Where the worker's log lines go. @default a new file under the OS temp dir */
  readonly logFile?: string;
  /** Called after every round of invocations. */
  readonly onProgress?: (progress: LocalRunProgress) => void;
  /**
   * Invoke the handler, as EventBridge would, with every ABANDONED, CANCELED and FAILED action
   * execution event of the action type (asynchronously, alongside the rounds).
   * @default true: the construct subscribes the function to them
   */
  readonly deliverStopEvents?: boolean;
}

/** What the run's scheduled stop of a job's chain did. */
export interface LocalStopReport {
  readonly mode: LocalJobStop['mode'];
  readonly while: LocalJobStop['while'];
  readonly afterContinuations: number;
  /** When the stop was made (ISO-8601); absent when the chain never got there. */
  readonly at?: string;
  /** Why the stop could not be made (the chain had ended, say), if so. */
  readonly error?: string;
}

/** What happened to one queued job (and the jobs its continuation tokens created). */
export interface LocalJobReport {
  /** Id of the first job of the chain. */
  readonly jobId: string;
  /** Its `name` in the plan. */
  readonly name: string;
  /** Final status of the last job of the chain: `Succeeded`, `Failed`, `TimedOut`, or not final. */
  readonly outcome: string;
  readonly failureType?: string;
  readonly failureMessage?: string;
  /** The execution summary of the last result. */
  readonly summary?: string;
  /**
   * The failure message, or else the summary, on one line: secret values the emulator handed
   * out removed, control characters escaped, at most 200 characters.
   */
  readonly message?: string;
  /** What the job was meant to end with, if the plan said. */
  readonly expect?: LocalJobExpectation;
  /** Why this job fails the run (an unmet expectation, a processor that threw), if it does. */
  readonly problem?: string;
  /** The output variables of the final success. */
  readonly outputVariables?: Readonly<Record<string, string>>;
  /** Jobs in the chain: 1 + continuations. */
  readonly jobs: number;
  readonly continuations: number;
  /** The continuation tokens the processor returned, in order. */
  readonly continuationTokens: readonly string[];
  /** AcknowledgeJob calls received for the chain. */
  readonly acknowledgements: number;
  /** Nonces issued (one per dispatch; more than one when a dispatch was abandoned). */
  readonly nonces: number;
  /** Results reported (PutJobSuccessResult / PutJobFailureResult); one per job when all is well. */
  readonly results: number;
  /**
   * Times the processor started, over the chain's jobs (from the worker's `job processor
   * started` log lines): one per job, unless a worker stopped while the processor ran.
   */
  readonly processorRuns: number;
  /** Extra deliveries of a dispatch that the worker did not process again. */
  readonly duplicatesSkipped: number;
  /** What the last job of the chain uploaded, by output artifact name. */
  readonly outputs: Readonly<Record<string, LocalOutputReport>>;
  /** From queueing to the last result, in seconds. */
  readonly seconds: number;
  /** The plan's stop of this chain and what it did, when the plan has one. */
  readonly stopped?: LocalStopReport;
  /**
   * How the emulator ended the chain's last job when no report did: `abandoned`, `canceled`
   * or `timed-out`.
   */
  readonly endedBy?: string;
}

/** The figures of a whole run. */
export interface LocalRunTotals {
  readonly jobs: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly continued: number;
  readonly unfinished: number;
  /** Duplicates the worker counted and skipped (its `DuplicatesSkipped` metric). */
  readonly duplicatesSkipped: number;
  readonly duplicateDispatches: number;
  readonly redispatches: number;
  /** Times a processor started, over every job of every chain. */
  readonly processorRuns: number;
  /** Jobs (of any chain) whose processor started more than once: must be 0. */
  readonly processedTwice: number;
  /** Jobs (of any chain) that received more than one result: must be 0. */
  readonly reportedTwice: number;
  readonly invocations: number;
  readonly failedInvocations: number;
  /** Log lines that contain a secret value the emulator handed out: must be 0. */
  readonly secretsInLogs: number;
  readonly seconds: number;
}

/** What {@link runLocally} returns. */
export interface LocalRunResult {
  /** One per queued job, in the order of the plan. */
  readonly jobs: readonly LocalJobReport[];
  readonly totals: LocalRunTotals;
  /** The worker's log lines (JSON) and metrics (EMF). */
  readonly logFile: string;
  /** Distinct errors of failed invocations, if any. */
  readonly invocationErrors: readonly string[];
  /**
   * The action execution events handed to the handler (with `deliverStopEvents`), and how many
   * of those invocations failed (also counted in `totals.invocations` and `failedInvocations`).
   */
  readonly stopEvents: { readonly delivered: number; readonly failed: number };
  /** Every call the stand-ins received, and the calls that failed because of the local world. */
  readonly standIns: StandInRecord & { readonly failures: readonly StandInFailure[] };
  /** Why the run is not ok, one line each, the local world's failures first; empty when ok. */
  readonly problems: readonly string[];
  /**
   * True when every job finished (or continued, as expected), none was processed or reported
   * twice, no secret reached a log, every job ended as it was meant to or by the processor's
   * own decision, and every call beyond CodePipeline, DynamoDB and S3 was answered by a stand-in.
   */
  readonly ok: boolean;
}
