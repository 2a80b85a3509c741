import { type ApiError, apiErrors, EmulatorInputError } from './protocol.js';
import { type Random, seededRandom } from './random.js';
import { OPERATIONS, type Operation } from './types.js';

/** Faults injected into API calls (never into the admin API). */
export interface FaultConfig {
  /** Added to every API call, in real milliseconds. */
  latencyMs: number;
  /** Share (0..1) of calls answered HTTP 400 ThrottlingException. */
  throttleRate: number;
  /** Share (0..1) of calls answered HTTP 500 InternalFailure or 503 ServiceUnavailable. */
  errorRate: number;
  /** Share (0..1) of dispatches handed out a second time, same nonce, to the next poll. */
  duplicateRate: number;
  /** The operations faults apply to; `null` for all. */
  operations: Operation[] | null;
  /** Seed of the fault generator; setting it restarts the sequence. */
  seed: number;
}

export type FaultKind =
  | 'throttling'
  | 'internalFailure'
  | 'serviceUnavailable'
  | 'latency'
  | 'duplicateDispatch';

export const DEFAULT_FAULTS: FaultConfig = {
  latencyMs: 0,
  throttleRate: 0,
  errorRate: 0,
  duplicateRate: 0,
  operations: null,
  seed: 1,
};

function rate(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new EmulatorInputError(`${name} must be a number between 0 and 1`);
  }
  return value;
}

/** Validates a partial fault configuration (from options or the admin API). */
export function mergeFaults(base: FaultConfig, patch: unknown): FaultConfig {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
    throw new EmulatorInputError('faults must be a JSON object');
  }
  const p = patch as Partial<Record<keyof FaultConfig, unknown>>;
  const next = { ...base };
  if (p.latencyMs !== undefined) {
    if (typeof p.latencyMs !== 'number' || !(p.latencyMs >= 0 && p.latencyMs <= 60_000)) {
      throw new EmulatorInputError('latencyMs must be a number between 0 and 60000');
    }
    next.latencyMs = p.latencyMs;
  }
  if (p.throttleRate !== undefined) next.throttleRate = rate(p.throttleRate, 'throttleRate');
  if (p.errorRate !== undefined) next.errorRate = rate(p.errorRate, 'errorRate');
  if (p.duplicateRate !== undefined) next.duplicateRate = rate(p.duplicateRate, 'duplicateRate');
  if (p.operations !== undefined) {
    const ops = p.operations;
    const known = (op: unknown) => OPERATIONS.includes(op as Operation);
    if (ops !== null && !(Array.isArray(ops) && ops.every(known))) {
      throw new EmulatorInputError(
        `operations must be null or a list of: ${OPERATIONS.join(', ')}`,
      );
    }
    next.operations = ops as Operation[] | null;
  }
  if (p.seed !== undefined) {
    if (!Number.isInteger(p.seed)) throw new EmulatorInputError('seed must be an integer');
    next.seed = p.seed as number;
  }
  return next;
}

/** Draws faults from a seeded generator, so a seed gives the same faults every run. */
export class FaultInjector {
  private config: FaultConfig;
  private random: Random;

  constructor(initial: FaultConfig) {
    this.config = initial;
    this.random = seededRandom(initial.seed);
  }

  get current(): FaultConfig {
    return { ...this.config, operations: this.config.operations && [...this.config.operations] };
  }

  /** Applies a partial configuration; a given seed (or a full reset) restarts the sequence. */
  configure(patch: unknown): FaultConfig {
    this.config = mergeFaults(this.config, patch);
    if ((patch as { seed?: unknown }).seed !== undefined) {
      this.random = seededRandom(this.config.seed);
    }
    return this.current;
  }

  replace(config: FaultConfig): void {
    this.config = config;
    this.random = seededRandom(config.seed);
  }

  private applies(operation: Operation): boolean {
    return this.config.operations === null || this.config.operations.includes(operation);
  }

  latencyFor(operation: Operation): number {
    return this.applies(operation) ? this.config.latencyMs : 0;
  }

  /** The error to answer instead of running the operation, if the dice say so. */
  drawError(operation: Operation): { kind: FaultKind; error: ApiError } | undefined {
    const { throttleRate, errorRate } = this.config;
    if (!this.applies(operation) || throttleRate + errorRate === 0) return undefined;
    const roll = this.random();
    if (roll < throttleRate) return { kind: 'throttling', error: apiErrors.throttling() };
    if (roll >= throttleRate + errorRate) return undefined;
    return this.random() < 0.5
      ? { kind: 'internalFailure', error: apiErrors.internalFailure() }
      : { kind: 'serviceUnavailable', error: apiErrors.serviceUnavailable() };
  }

  /** Whether this dispatch will be handed out once more. */
  drawDuplicate(operation: Operation): boolean {
    const { duplicateRate } = this.config;
    if (!this.applies(operation) || duplicateRate === 0) return false;
    return duplicateRate >= 1 || this.random() < duplicateRate;
  }
}

export interface StatsView {
  /** API calls received per operation (including refused ones). */
  calls: Record<string, number>;
  /** Answers per operation: `200` or the error name. */
  outcomes: Record<string, Record<string, number>>;
  /** Injected faults per operation and kind. */
  faults: Record<string, Partial<Record<FaultKind, number>>>;
}

/** Counters of what the API answered and which faults were injected. */
export class Stats {
  private view: StatsView = { calls: {}, outcomes: {}, faults: {} };

  call(operation: string): void {
    this.view.calls[operation] = (this.view.calls[operation] ?? 0) + 1;
  }

  outcome(operation: string, outcome: string): void {
    const byOutcome = this.view.outcomes[operation] ?? {};
    byOutcome[outcome] = (byOutcome[outcome] ?? 0) + 1;
    this.view.outcomes[operation] = byOutcome;
  }

  fault(operation: string, kind: FaultKind): void {
    const byKind = this.view.faults[operation] ?? {};
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    this.view.faults[operation] = byKind;
  }

  snapshot(): StatsView {
    return structuredClone(this.view);
  }

  reset(): void {
    this.view = { calls: {}, outcomes: {}, faults: {} };
  }
}
