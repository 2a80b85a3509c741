import { ActionEventLog, actionExecutionEvent } from './action-events.js';
import { ActionTypeRegistry } from './action-type-registry.js';
import { parseCustomActionTypeInput } from './action-types.js';
import { type ArtifactStore, ArtifactStoreLink, type OutputView } from './artifact-store.js';
import { DEFAULT_FAULTS, type FaultConfig, FaultInjector, mergeFaults, Stats } from './faults.js';
import { buildJobTemplate, type EnqueueJobInput } from './job-data.js';
import { type ExecutionStopMode, type JobEvent, JobStore } from './job-store.js';
import type { OperationContext } from './operations.js';
import { ApiError, EmulatorInputError } from './protocol.js';
import { SecretLedger } from './secrets.js';
import type { ActionType, CustomActionTypeInput } from './types.js';
import type { JsonObject } from './validation.js';

/** Emulator settings; every field is optional in `startEmulator`. */
export interface EmulatorSettings {
  /** 12 digits. @default '123456789012' */
  accountId: string;
  /** Used in ARNs and bucket names; requests signed for any region are accepted. @default 'us-east-1' */
  region: string;
  /** The job clock in epoch ms (dispatch and action timeouts). @default Date.now */
  now: () => number;
  /** A dispatched job not acknowledged in this time is queued again with a new nonce. @default 30000 */
  dispatchTimeoutMs: number;
  /** An acknowledged job not reported in this time becomes TimedOut. @default 86400000 (24 h) */
  actionTimeoutMs: number;
  /** Action types registered at start (and again on reset). @default [] */
  actionTypes: CustomActionTypeInput[];
  faults: FaultConfig;
  /** Where jobs' artifacts live; without one, their locations point at nothing. */
  artifactStore?: ArtifactStore;
}

/** The emulator's moving parts, shared by the API, the admin API and the in-process handle. */
export class EmulatorState {
  readonly registry = new ActionTypeRegistry();
  readonly secrets = new SecretLedger();
  readonly stats = new Stats();
  readonly faults: FaultInjector;
  readonly store: JobStore;
  /** The artifact store's side of the emulator, when it has one. */
  readonly artifacts: ArtifactStoreLink | undefined;
  /** Every action execution event emitted (EventBridge's shape), and its listeners. */
  readonly events = new ActionEventLog();
  private readonly jobListeners = new Set<(jobId: string, event: JobEvent) => void>();
  /** Jobs whose inputs are being written (or failed to be), by id. */
  private readonly holds = new Map<string, Promise<void>>();
  private offsetMs = 0;

  constructor(readonly settings: EmulatorSettings) {
    if (!/^[0-9]{12}$/.test(settings.accountId)) throw new Error('accountId must be 12 digits');
    this.faults = new FaultInjector(settings.faults);
    const { artifactStore } = settings;
    this.artifacts = artifactStore && new ArtifactStoreLink(artifactStore, settings);
    this.store = new JobStore(
      {
        accountId: settings.accountId,
        dispatchTimeoutMs: settings.dispatchTimeoutMs,
        actionTimeoutMs: settings.actionTimeoutMs,
        now: () => this.now(),
      },
      this.secrets,
      this.artifacts,
    );
    const account = { accountId: settings.accountId, region: settings.region };
    this.store.observer = {
      jobEvent: (jobId, event) => {
        for (const listener of [...this.jobListeners]) listener(jobId, event);
      },
      actionState: (template, state, at) =>
        this.events.emit(actionExecutionEvent(template, state, at, account)),
    };
    this.registerInitialTypes();
  }

  /**
   * Calls `listener` with every job lifecycle event from now on, synchronously, before the call
   * that caused it is answered; returns what unsubscribes it.
   */
  onJobEvent(listener: (jobId: string, event: JobEvent) => void): () => void {
    this.jobListeners.add(listener);
    return () => this.jobListeners.delete(listener);
  }

  /** StopPipelineExecution (`abandon` or not), or a newer execution superseding this one. */
  stopExecution(pipelineExecutionId: unknown, mode: ExecutionStopMode, reason?: unknown): void {
    if (typeof pipelineExecutionId !== 'string' || pipelineExecutionId === '') {
      throw new EmulatorInputError('pipelineExecutionId must be a non-empty string');
    }
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 200)) {
      throw new EmulatorInputError('reason must be a string of at most 200 characters');
    }
    this.store.stopExecution(pipelineExecutionId, mode, reason);
  }

  /** The job clock: the injected clock plus any `advanceTime`. */
  now(): number {
    return this.settings.now() + this.offsetMs;
  }

  advanceTime(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new EmulatorInputError('advanceMs must be >= 0');
    this.offsetMs += ms;
  }

  get context(): OperationContext {
    return { registry: this.registry, store: this.store, faults: this.faults, stats: this.stats };
  }

  /** Registers a custom action type (CreateCustomActionType rules). */
  createActionType(input: unknown): ActionType {
    try {
      return this.registry.create(parseCustomActionTypeInput((input ?? {}) as JsonObject))
        .actionType;
    } catch (error) {
      if (error instanceof ApiError) throw new EmulatorInputError(error.message);
      throw error;
    }
  }

  /**
   * Queues a job as a pipeline run would; returns its id. A job whose input artifacts must be
   * written to the artifact store stays Created until they are (see `whenQueued`).
   */
  enqueueJob(input: EnqueueJobInput | unknown): string {
    const { accountId, region } = this.settings;
    const { actionType, template, inputSources } = buildJobTemplate(this.registry, input, {
      accountId,
      region,
      artifactStore: this.artifacts !== undefined,
    });
    // A stopped execution starts no more actions (its running ones may still continue).
    const executionId = template.pipelineContext.pipelineExecutionId;
    const stop = this.store.executionStop(executionId);
    if (stop !== undefined) {
      throw new EmulatorInputError(
        `pipeline execution ${executionId} was ${stop.mode === 'supersede' ? 'superseded' : 'stopped'}: it starts no more actions`,
        409,
      );
    }
    if (this.artifacts === undefined || inputSources.size === 0) {
      return this.store.enqueue(actionType, template);
    }
    const jobId = this.store.enqueue(actionType, template, undefined, true);
    const writing = this.artifacts.writeInputs(template, inputSources).then(
      () => {
        this.store.release(jobId);
        this.holds.delete(jobId);
      },
      (error: unknown) => {
        this.store.recordHoldFailure(jobId, String(error));
        throw error;
      },
    );
    // Observed through whenQueued; a caller that never asks must not crash the process.
    writing.catch(() => undefined);
    this.holds.set(jobId, writing);
    return jobId;
  }

  /**
   * Resolves once the job is past Created (its input artifacts are in the store); at once for
   * any other job. Rejects with the store's error when they could not be written.
   */
  async whenQueued(jobId: string): Promise<void> {
    if (this.store.get(jobId) === undefined) {
      throw new EmulatorInputError(`job ${jobId} not found`, 404);
    }
    await this.holds.get(jobId);
  }

  /** What a job uploaded to its output artifact `name`. */
  async jobOutput(jobId: string, name: string): Promise<OutputView> {
    return this.requireArtifacts().output(this.requireJob(jobId), name);
  }

  /** The bytes a job uploaded to its output `name`, or of one file of that archive. */
  async jobOutputBytes(jobId: string, name: string, entryPath?: string): Promise<Buffer> {
    return this.requireArtifacts().outputBytes(this.requireJob(jobId), name, entryPath);
  }

  /** Back to the state right after start: no jobs, stats or secrets; initial types and faults. */
  reset(): void {
    this.artifacts?.revokeAll();
    this.holds.clear();
    this.store.reset();
    this.events.reset();
    this.secrets.reset();
    this.stats.reset();
    this.registry.reset();
    this.faults.replace(this.settings.faults);
    this.offsetMs = 0;
    this.registerInitialTypes();
  }

  private requireArtifacts(): ArtifactStoreLink {
    if (this.artifacts === undefined) {
      throw new EmulatorInputError(
        'the emulator has no artifact store: start it with artifactStore',
        404,
      );
    }
    return this.artifacts;
  }

  private requireJob(jobId: string) {
    const job = this.store.get(jobId);
    if (job === undefined) throw new EmulatorInputError(`job ${jobId} not found`, 404);
    return job;
  }

  private registerInitialTypes(): void {
    for (const input of this.settings.actionTypes) this.createActionType(input);
  }
}

export function resolveFaults(patch: Partial<FaultConfig> | undefined): FaultConfig {
  return mergeFaults(DEFAULT_FAULTS, patch ?? {});
}
