import { actionTypeKey } from './action-types.js';
import { secretConfigurationValues } from './job-data.js';
import { apiErrors } from './protocol.js';
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
    | 'failed';
  nonce?: string;
  /** Why, for `inputs-failed`. */
  detail?: string;
}

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
      events: [{ at: iso(now), type: 'created' }],
      ...(continuationOf ? { continuationOf } : {}),
    };
    this.jobs.set(job.id, job);
    return job.id;
  }

  /** Queues a held job; a job that is not (any more) Created is left as it is. */
  release(jobId: string): void {
    const job = this.jobs.get(jobId);
    if (job?.status !== 'Created') return;
    job.status = 'Queued';
    job.events.push({ at: iso(this.settings.now()), type: 'queued' });
  }

  /** Notes why a held job's inputs could not be written; it stays Created. */
  recordHoldFailure(jobId: string, detail: string): void {
    this.jobs.get(jobId)?.events.push({
      at: iso(this.settings.now()),
      type: 'inputs-failed',
      detail,
    });
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
      job.events.push({ at: iso(now), type: 'redelivered', nonce });
      request.onDuplicate();
      out.push(this.handOut(job, nonce, 'PollForJobs'));
    }
    for (const job of candidates) {
      if (out.length >= request.maxBatchSize) break;
      if (job.status !== 'Queued') continue;
      const nonce = this.freshNonce(job);
      Object.assign(job, { status: 'Dispatched', currentNonce: nonce, dispatchedAt: now });
      job.nonces.push({ nonce, issuedAt: now, deliveries: 1 });
      job.events.push({ at: iso(now), type: 'dispatched', nonce });
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
      job.events.push({ at: iso(now), type: 'acknowledged', nonce });
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
    }
  }

  fail(jobId: string, request: unknown): void {
    const job = this.requireInProgress(jobId, 'PutJobFailureResult', request);
    this.complete(job, 'Failed', 'PutJobFailureResult', request);
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
    job.events.push({
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
      job.events.push({ at: iso(at), type: 'requeued', nonce: job.currentNonce });
      Object.assign(job, { status: 'Queued', currentNonce: undefined, dispatchedAt: undefined });
    }
    if (job.status === 'InProgress' && now >= (job.acknowledgedAt ?? now) + actionTimeoutMs) {
      const at = (job.acknowledgedAt ?? now) + actionTimeoutMs;
      job.events.push({ at: iso(at), type: 'timed-out', nonce: job.currentNonce });
      Object.assign(job, { status: 'TimedOut', completedAt: at });
      this.hooks?.jobEnded(job.id);
    }
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
