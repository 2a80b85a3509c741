import { actionTypeKey } from './action-types.js';
import { secretConfigurationValues } from './job-data.js';
import { apiErrors, EmulatorInputError } from './protocol.js';
import { newArtifactCredentials, newJobId, newNonce } from './random.js';
import type { SecretLedger } from './secrets.js';
import type {
  ActionType,
  ArtifactCredentials,
  Job,
  JobData,
  JobStatus,
  JobTemplate,
} from './types.js';

/** CodePipeline's limit on the output variables of one action. */
export const OUTPUT_VARIABLES_MAX_BYTES = 122_880;

/** One AcknowledgeJob / PutJob*Result call received for a job, whatever its outcome. */
export interface CallRecord {
  at: string;
  operation: string;
  nonce?: string;
  /** The status answered, or the error name. */
  outcome: string;
  request?: unknown;
}

export interface JobEvent {
  at: string;
  type:
    | 'created'
    | 'queued'
    | 'inputs-failed'
    | 'dispatched'
    | 'redelivered'
    | 'requeued'
    | 'acknowledged'
    | 'timed-out'
    | 'succeeded'
    | 'failed'
    | 'abandoned'
    | 'canceled';
  nonce?: string;
  /** Why, for `inputs-failed`. */
  detail?: string;
}

/** How the emulator ended a job that was not reported: its execution stopped, or timed out. */
export type JobStopKind = 'abandoned' | 'canceled' | 'timed-out';

/** How an execution was stopped: StopPipelineExecution with or without abandon, or superseded. */
export type ExecutionStopMode = 'abandon' | 'wait' | 'supersede';

/** The action execution states the store reports (the EventBridge events' `detail.state`). */
export type ActionState = 'STARTED' | 'SUCCEEDED' | 'FAILED' | 'ABANDONED' | 'CANCELED';

/** What else must know of a job's artifact credentials and of its end (an artifact store). */
export interface JobStoreHooks {
  /**
   * Credentials were handed out for a job by a poll or GetJobDetails; `live` is false when the
   * job has already ended.
   */
  credentialsIssued(
    jobId: string,
    source: 'PollForJobs' | 'GetJobDetails',
    credentials: ArtifactCredentials,
    live: boolean,
  ): void;
  /** The job reached Succeeded, Failed or TimedOut. */
  jobEnded(jobId: string): void;
}

/** Who is told of a job's lifecycle and of its action execution's states. */
export interface JobStoreObserver {
  /** An event was added to a job's story (called once the job is in the store). */
  jobEvent(jobId: string, event: JobEvent): void;
  /** An action execution changed state, at `atMs` (the job clock). */
  actionState(template: JobTemplate, state: ActionState, atMs: number): void;
}

const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['Succeeded', 'Failed', 'TimedOut']);

interface JobRecord {
  id: string;
  actionType: ActionType;
  template: JobTemplate;
  status: JobStatus;
  createdAt: number;
  dispatchedAt?: number;
  acknowledgedAt?: number;
  completedAt?: number;
  currentNonce?: string;
  /** The nonce of a dispatch chosen to be handed out once more (duplicate dispatch fault). */
  pendingRedelivery?: string;
  nonces: Array<{ nonce: string; issuedAt: number; deliveries: number }>;
  acknowledgements: CallRecord[];
  results: CallRecord[];
  events: JobEvent[];
  continuationOf?: string;
  continuationJobId?: string;
  /** Set when the emulator ended the job (stop, supersede, timeout) rather than a report. */
  stopped?: { how: JobStopKind; at: number };
}

/** A stop of a pipeline execution, as StopPipelineExecution or a newer execution made it. */
export interface ExecutionStop {
  mode: ExecutionStopMode;
  at: number;
  reason?: string;
}

export interface StoreSettings {
  accountId: string;
  dispatchTimeoutMs: number;
  actionTimeoutMs: number;
  now: () => number;
}

export interface PollRequest {
  actionType: ActionType;
  maxBatchSize: number;
  filter?: { key: string; value: string };
  /** Decides, per dispatch, whether this nonce will be handed out a second time. */
  duplicate: () => boolean;
  /** Called for each duplicate actually handed out. */
  onDuplicate: () => void;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The job lifecycle as CodePipeline lives it: Queued -> Dispatched (new nonce) -> InProgress
 * -> Succeeded | Failed | TimedOut. Timeouts are applied lazily against the injected clock on
 * every access, so there are no timers and a test can jump hours ahead.
 */
export class JobStore {
  private readonly jobs = new Map<string, JobRecord>();
  /** Stopped (or stopping) pipeline executions, by id. */
  private readonly stops = new Map<string, ExecutionStop>();
  /** Told of every job event and action state; set by the emulator's state. */
  observer: JobStoreObserver | undefined;

  constructor(
    private readonly settings: StoreSettings,
    private readonly secrets: SecretLedger,
    private readonly hooks?: JobStoreHooks,
  ) {}

  /**
   * Creates a job. A `held` job stays Created (no poll hands it out) until `release`: its
   * input artifacts are being written to the artifact store.
   */
  enqueue(
    actionType: ActionType,
    template: JobTemplate,
    continuationOf?: string,
    held = false,
  ): string {
    const now = this.settings.now();
    const job: JobRecord = {
      id: newJobId(),
      actionType,
      template: structuredClone(template),
      status: held ? 'Created' : 'Queued',
      createdAt: now,
      nonces: [],
      acknowledgements: [],
      results: [],
      events: [],
      ...(continuationOf ? { continuationOf } : {}),
    };
    this.jobs.set(job.id, job);
    this.note(job, { at: iso(now), type: 'created' });
    // An action execution starts with its first job's queuing; its continuations are in it.
    if (!held && continuationOf === undefined) this.actionState(job, 'STARTED', now);
    return job.id;
  }

  /** Queues a held job; a job that is not (any more) Created is left as it is. */
  release(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (job?.status !== 'Created') return;
    const now = this.settings.now();
    job.status = 'Queued';
    this.note(job, { at: iso(now), type: 'queued' });
    if (job.continuationOf === undefined) this.actionState(job, 'STARTED', now);
  }

  /** Notes why a held job's inputs could not be written; it stays Created. */
  recordHoldFailure(jobId: string, detail: string): void {
    const job = this.jobs.get(jobId);
    if (job) this.note(job, { at: iso(this.settings.now()), type: 'inputs-failed', detail });
  }

  /** How the pipeline execution was stopped, if it was. */
  executionStop(pipelineExecutionId: string): Readonly<ExecutionStop> | undefined {
    return this.stops.get(pipelineExecutionId);
  }

  /**
   * Stops a pipeline execution. `abandon` and `supersede` end every unfinished job of it at once
   * (status Failed; reports refused with InvalidJobStateException; a queued continuation is
   * never handed out) and emit ABANDONED or CANCELED per action execution; `wait` lets its
   * action executions run to their end, continuations included.
   *
   * @throws EmulatorInputError 404 for an unknown execution, 409 for one that has ended or is
   * already stopped so (as PipelineExecutionNotStoppable / DuplicatedStopRequest)
   */
  stopExecution(pipelineExecutionId: string, mode: ExecutionStopMode, reason?: string): void {
    const now = this.settings.now();
    const all = this.executionJobs(pipelineExecutionId, now);
    if (all.length === 0) {
      throw new EmulatorInputError(`pipeline execution ${pipelineExecutionId} not found`, 404);
    }
    const previous = this.stops.get(pipelineExecutionId);
    if (previous !== undefined && !(previous.mode === 'wait' && mode !== 'wait')) {
      throw new EmulatorInputError(
        `pipeline execution ${pipelineExecutionId} is already ${previous.mode === 'supersede' ? 'superseded' : `stopped (${previous.mode})`}`,
        409,
      );
    }
    const unfinished = all.filter((job) => !FINAL_STATUSES.has(job.status));
    if (unfinished.length === 0) {
      throw new EmulatorInputError(
        `pipeline execution ${pipelineExecutionId} has ended: nothing to stop`,
        409,
      );
    }
    this.stops.set(pipelineExecutionId, { mode, at: now, ...(reason ? { reason } : {}) });
    if (mode === 'wait') return;
    const how = mode === 'abandon' ? 'abandoned' : 'canceled';
    const state = mode === 'abandon' ? 'ABANDONED' : 'CANCELED';
    for (const job of unfinished) this.end(job, 'Failed', how, now);
    for (const job of firstOfEachAction(unfinished)) this.actionState(job, state, now);
  }

  /**
   * Times out an action execution now, as its action timeout would: its unfinished job becomes
   * TimedOut (reports refused; a queued continuation never handed out) and FAILED is emitted.
   *
   * @throws EmulatorInputError 404 for an unknown action execution, 409 for one that has ended
   */
  timeOutAction(actionExecutionId: string): void {
    const now = this.settings.now();
    const all = [...this.jobs.values()].filter((job) => {
      this.settle(job, now);
      return job.template.pipelineContext.action.actionExecutionId === actionExecutionId;
    });
    if (all.length === 0) {
      throw new EmulatorInputError(`action execution ${actionExecutionId} not found`, 404);
    }
    const unfinished = all.filter((job) => !FINAL_STATUSES.has(job.status));
    const [first] = unfinished;
    if (first === undefined) {
      throw new EmulatorInputError(`action execution ${actionExecutionId} has ended`, 409);
    }
    for (const job of unfinished) this.end(job, 'TimedOut', 'timed-out', now);
    this.actionState(first, 'FAILED', now);
  }

  poll(request: PollRequest): Job[] {
    const now = this.settings.now();
    const key = actionTypeKey(request.actionType.id);
    const candidates = [...this.jobs.values()].filter((job) => {
      this.settle(job, now);
      if (actionTypeKey(job.actionType.id) !== key) return false;
      const filter = request.filter;
      return !filter || job.template.actionConfiguration.configuration[filter.key] === filter.value;
    });
    const out: Job[] = [];
    for (const job of candidates) {
      const nonce = job.pendingRedelivery;
      if (out.length >= request.maxBatchSize || nonce === undefined) continue;
      job.pendingRedelivery = undefined;
      if (nonce !== job.currentNonce || !['Dispatched', 'InProgress'].includes(job.status))
        continue;
      const entry = job.nonces.find((n) => n.nonce === nonce);
      if (entry) entry.deliveries += 1;
      this.note(job, { at: iso(now), type: 'redelivered', nonce });
      request.onDuplicate();
      out.push(this.handOut(job, nonce, 'PollForJobs'));
    }
    for (const job of candidates) {
      if (out.length >= request.maxBatchSize) break;
      if (job.status !== 'Queued') continue;
      const nonce = this.freshNonce(job);
      Object.assign(job, { status: 'Dispatched', currentNonce: nonce, dispatchedAt: now });
      job.nonces.push({ nonce, issuedAt: now, deliveries: 1 });
      this.note(job, { at: iso(now), type: 'dispatched', nonce });
      if (request.duplicate()) job.pendingRedelivery = nonce;
      out.push(this.handOut(job, nonce, 'PollForJobs'));
    }
    return out;
  }

  acknowledge(jobId: string, nonce: string): JobStatus {
    const job = this.require(jobId);
    const record = (outcome: string) => this.record(job, 'AcknowledgeJob', outcome, { nonce });
    if (job.currentNonce === undefined || nonce !== job.currentNonce) {
      record('InvalidNonceException');
      throw apiErrors.invalidNonce(`Nonce ${nonce} is not valid for job ${jobId}`);
    }
    if (job.status === 'Dispatched') {
      const now = this.settings.now();
      Object.assign(job, { status: 'InProgress', acknowledgedAt: now });
      this.note(job, { at: iso(now), type: 'acknowledged', nonce });
    }
    record(job.status);
    return job.status;
  }

  /** PutJobSuccessResult; a continuation token completes the job and queues a new one. */
  succeed(
    jobId: string,
    request: { continuationToken?: string },
    outputVariablesBytes: number,
  ): void {
    const job = this.requireInProgress(jobId, 'PutJobSuccessResult', request);
    if (outputVariablesBytes > OUTPUT_VARIABLES_MAX_BYTES) {
      this.record(job, 'PutJobSuccessResult', 'OutputVariablesSizeExceededException', request);
      throw apiErrors.outputVariablesTooLarge(
        `Output variables take ${outputVariablesBytes} bytes; the limit is ${OUTPUT_VARIABLES_MAX_BYTES}`,
      );
    }
    this.complete(job, 'Succeeded', 'PutJobSuccessResult', request);
    if (request.continuationToken !== undefined) {
      const template = { ...job.template, continuationToken: request.continuationToken };
      job.continuationJobId = this.enqueue(job.actionType, template, job.id);
    } else {
      this.actionState(job, 'SUCCEEDED', job.completedAt ?? this.settings.now());
    }
  }

  fail(jobId: string, request: unknown): void {
    const job = this.requireInProgress(jobId, 'PutJobFailureResult', request);
    this.complete(job, 'Failed', 'PutJobFailureResult', request);
    this.actionState(job, 'FAILED', job.completedAt ?? this.settings.now());
  }

  details(jobId: string): { id: string; data: JobData; accountId: string } {
    const job = this.require(jobId);
    return {
      id: job.id,
      data: this.data(job, 'GetJobDetails'),
      accountId: this.settings.accountId,
    };
  }

  /** Notes a call refused before it reached the job (e.g. a ValidationException). */
  recordRejected(jobId: string | undefined, operation: string, outcome: string, request: unknown) {
    const job = jobId === undefined ? undefined : this.jobs.get(jobId);
    if (job) this.record(job, operation, outcome, request);
  }

  /** The raw record, timeouts applied, for views; undefined when unknown. */
  get(jobId: string): Readonly<JobRecord> | undefined {
    const job = this.jobs.get(jobId);
    if (job) this.settle(job, this.settings.now());
    return job;
  }

  all(): ReadonlyArray<Readonly<JobRecord>> {
    const now = this.settings.now();
    for (const job of this.jobs.values()) this.settle(job, now);
    return [...this.jobs.values()];
  }

  reset(): void {
    this.jobs.clear();
    this.stops.clear();
  }

  private require(jobId: string): JobRecord {
    const job = this.jobs.get(jobId);
    if (job === undefined) throw apiErrors.jobNotFound(jobId);
    this.settle(job, this.settings.now());
    return job;
  }

  private requireInProgress(jobId: string, operation: string, request: unknown): JobRecord {
    const job = this.require(jobId);
    if (job.status !== 'InProgress') {
      this.record(job, operation, 'InvalidJobStateException', request);
      throw apiErrors.invalidJobState(`Job ${jobId} is ${job.status}, not InProgress`);
    }
    return job;
  }

  private complete(
    job: JobRecord,
    status: 'Succeeded' | 'Failed',
    operation: string,
    request: unknown,
  ) {
    const now = this.settings.now();
    Object.assign(job, { status, completedAt: now });
    const type = status === 'Succeeded' ? 'succeeded' : 'failed';
    this.note(job, {
      at: iso(now),
      type,
      ...(job.currentNonce ? { nonce: job.currentNonce } : {}),
    });
    this.record(job, operation, status, request);
    this.hooks?.jobEnded(job.id);
  }

  private record(job: JobRecord, operation: string, outcome: string, request: unknown): void {
    const at = iso(this.settings.now());
    if (operation === 'AcknowledgeJob') {
      const nonce = (request as { nonce?: string } | undefined)?.nonce;
      job.acknowledgements.push({
        at,
        operation,
        ...(nonce !== undefined ? { nonce } : {}),
        outcome,
      });
    } else {
      job.results.push({ at, operation, outcome, request: structuredClone(request) });
    }
  }

  /** Applies the dispatch and action timeouts that have passed by `now`. */
  private settle(job: JobRecord, now: number): void {
    const { dispatchTimeoutMs, actionTimeoutMs } = this.settings;
    if (job.status === 'Dispatched' && now >= (job.dispatchedAt ?? now) + dispatchTimeoutMs) {
      const at = (job.dispatchedAt ?? now) + dispatchTimeoutMs;
      this.note(job, { at: iso(at), type: 'requeued', nonce: job.currentNonce });
      Object.assign(job, { status: 'Queued', currentNonce: undefined, dispatchedAt: undefined });
    }
    if (job.status === 'InProgress' && now >= (job.acknowledgedAt ?? now) + actionTimeoutMs) {
      const at = (job.acknowledgedAt ?? now) + actionTimeoutMs;
      this.end(job, 'TimedOut', 'timed-out', at);
      this.actionState(job, 'FAILED', at);
    }
  }

  /** Ends an unreported job as the emulator decided (stop, supersede, timeout). */
  private end(job: JobRecord, status: 'Failed' | 'TimedOut', how: JobStopKind, at: number) {
    Object.assign(job, { status, completedAt: at, stopped: { how, at } });
    job.pendingRedelivery = undefined;
    this.note(job, {
      at: iso(at),
      type: how,
      ...(job.currentNonce ? { nonce: job.currentNonce } : {}),
    });
    this.hooks?.jobEnded(job.id);
  }

  /** The jobs of a pipeline execution, timeouts applied. */
  private executionJobs(pipelineExecutionId: string, now: number): JobRecord[] {
    return [...this.jobs.values()].filter((job) => {
      this.settle(job, now);
      return job.template.pipelineContext.pipelineExecutionId === pipelineExecutionId;
    });
  }

  private note(job: JobRecord, event: JobEvent): void {
    job.events.push(event);
    this.observer?.jobEvent(job.id, structuredClone(event));
  }

  private actionState(job: JobRecord, state: ActionState, at: number): void {
    this.observer?.actionState(structuredClone(job.template), state, at);
  }

  private freshNonce(job: JobRecord): string {
    let nonce = newNonce();
    while (job.nonces.some((n) => n.nonce === nonce)) nonce = newNonce();
    return nonce;
  }

  private handOut(job: JobRecord, nonce: string, source: 'PollForJobs'): Job {
    return { id: job.id, data: this.data(job, source), nonce, accountId: this.settings.accountId };
  }

  /** JobData with fresh artifact credentials, every value of which goes to the ledger. */
  private data(job: JobRecord, source: 'PollForJobs' | 'GetJobDetails'): JobData {
    const credentials = newArtifactCredentials();
    const at = iso(this.settings.now());
    this.secrets.record({
      jobId: job.id,
      at,
      source,
      kind: 'artifactCredentials',
      values: Object.values(credentials),
    });
    this.hooks?.credentialsIssued(job.id, source, credentials, !FINAL_STATUSES.has(job.status));
    this.secrets.record({
      jobId: job.id,
      at,
      source,
      kind: 'secretConfiguration',
      values: secretConfigurationValues(job.actionType, job.template),
    });
    const { continuationToken, encryptionKey, ...rest } = structuredClone(job.template);
    return {
      ...rest,
      artifactCredentials: credentials,
      ...(continuationToken !== undefined ? { continuationToken } : {}),
      ...(encryptionKey !== undefined ? { encryptionKey } : {}),
    };
  }
}

/** One job per action execution: the first of each, in order. */
function firstOfEachAction(jobs: readonly JobRecord[]): JobRecord[] {
  const seen = new Set<string>();
  return jobs.filter((job) => {
    const id = job.template.pipelineContext.action.actionExecutionId;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
