import { ActionTypeRegistry } from './action-type-registry.js';
import { parseCustomActionTypeInput } from './action-types.js';
import { DEFAULT_FAULTS, type FaultConfig, FaultInjector, mergeFaults, Stats } from './faults.js';
import { buildJobTemplate, type EnqueueJobInput } from './job-data.js';
import { JobStore } from './job-store.js';
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
}

/** The emulator's moving parts, shared by the API, the admin API and the in-process handle. */
export class EmulatorState {
  readonly registry = new ActionTypeRegistry();
  readonly secrets = new SecretLedger();
  readonly stats = new Stats();
  readonly faults: FaultInjector;
  readonly store: JobStore;
  private offsetMs = 0;

  constructor(readonly settings: EmulatorSettings) {
    if (!/^[0-9]{12}$/.test(settings.accountId)) throw new Error('accountId must be 12 digits');
    this.faults = new FaultInjector(settings.faults);
    this.store = new JobStore(
      {
        accountId: settings.accountId,
        dispatchTimeoutMs: settings.dispatchTimeoutMs,
        actionTimeoutMs: settings.actionTimeoutMs,
        now: () => this.now(),
      },
      this.secrets,
    );
    this.registerInitialTypes();
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

  /** Queues a job as a pipeline run would; returns its id. */
  enqueueJob(input: EnqueueJobInput | unknown): string {
    const { accountId, region } = this.settings;
    const { actionType, template } = buildJobTemplate(this.registry, input, { accountId, region });
    return this.store.enqueue(actionType, template);
  }

  /** Back to the state right after start: no jobs, stats or secrets; initial types and faults. */
  reset(): void {
    this.store.reset();
    this.secrets.reset();
    this.stats.reset();
    this.registry.reset();
    this.faults.replace(this.settings.faults);
    this.offsetMs = 0;
    this.registerInitialTypes();
  }

  private registerInitialTypes(): void {
    for (const input of this.settings.actionTypes) this.createActionType(input);
  }
}

export function resolveFaults(patch: Partial<FaultConfig> | undefined): FaultConfig {
  return mergeFaults(DEFAULT_FAULTS, patch ?? {});
}
