/**
 * The stops a local run's plan schedules: each watches its job's chain through the emulator's
 * job events (told before the call that caused them is answered) and stops the chain's pipeline
 * execution, or times out its action execution, at the planned moment.
 */
import {
  type ActionExecutionEvent,
  EmulatorInputError,
  type JobEvent,
  type RunningEmulator,
} from '../emulator/index.js';
import type { LocalJobStop, LocalStopReport } from './options.js';

/** How long after the acknowledgement a `running` stop happens, unless the plan says. */
export const DEFAULT_STOP_DELAY_MS = 100;

interface Watched {
  readonly stop: LocalJobStop;
  /** Continuations queued so far. */
  continuations: number;
  /** Made, or planned (a timer), or given up: never twice. */
  triggered: boolean;
  at?: string;
  error?: string;
}

export class ScheduledStops {
  /** By first job id. */
  private readonly chains = new Map<string, Watched>();
  /** Every job of a watched chain: its chain's first job id and its place in the chain. */
  private readonly jobs = new Map<string, { first: string; index: number }>();
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly unsubscribe: () => void;

  /**
   * @param emulator - the run's emulator
   * @param planned - each chain's first job id with its stop (chains without one are ignored)
   */
  constructor(
    private readonly emulator: RunningEmulator,
    planned: readonly { readonly jobId: string; readonly stop?: LocalJobStop }[],
  ) {
    for (const { jobId, stop } of planned) {
      if (stop === undefined) continue;
      this.chains.set(jobId, { stop, continuations: 0, triggered: false });
      this.jobs.set(jobId, { first: jobId, index: 0 });
    }
    this.unsubscribe =
      this.chains.size > 0
        ? emulator.onJobEvent((jobId, event) => this.seen(jobId, event))
        : () => undefined;
  }

  /** What the stop of the chain that starts with `jobId` did; undefined without one. */
  report(jobId: string): LocalStopReport | undefined {
    const chain = this.chains.get(jobId);
    if (chain === undefined) return undefined;
    const { stop } = chain;
    return {
      mode: stop.mode,
      while: stop.while,
      afterContinuations: stop.afterContinuations,
      ...(chain.at !== undefined ? { at: chain.at } : {}),
      ...(chain.error !== undefined ? { error: chain.error } : {}),
    };
  }

  /** Stops watching; a planned stop not yet made is dropped. */
  close(): void {
    this.unsubscribe();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private seen(jobId: string, event: JobEvent): void {
    if (event.type === 'created') this.created(jobId);
    if (event.type !== 'acknowledged') return;
    const place = this.jobs.get(jobId);
    const chain = place && this.chains.get(place.first);
    if (!place || !chain || chain.triggered || chain.stop.while !== 'running') return;
    if (place.index !== chain.stop.afterContinuations) return;
    chain.triggered = true;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      // Nothing may escape a timer: whatever went wrong is the chain's stop error.
      try {
        this.make(place.first, chain);
      } catch (error) {
        chain.error = String(error);
      }
    }, chain.stop.delayMs ?? DEFAULT_STOP_DELAY_MS);
    this.timers.add(timer);
  }

  /** A continuation of a watched chain was queued (no poll can have taken it yet). */
  private created(jobId: string): void {
    const parent = this.emulator.getJob(jobId)?.continuationOf;
    const place = parent ? this.jobs.get(parent) : undefined;
    const chain = place && this.chains.get(place.first);
    if (!place || !chain) return;
    chain.continuations += 1;
    this.jobs.set(jobId, { first: place.first, index: chain.continuations });
    const { stop } = chain;
    if (chain.triggered || stop.while !== 'waiting') return;
    if (chain.continuations !== stop.afterContinuations) return;
    chain.triggered = true;
    this.make(place.first, chain);
  }

  private make(first: string, chain: Watched): void {
    const context = this.emulator.getJob(first)?.data.pipelineContext;
    if (context === undefined) return;
    try {
      const { mode } = chain.stop;
      if (mode === 'timeout') this.emulator.timeOutAction(context.action.actionExecutionId);
      else if (mode === 'supersede') this.emulator.supersedeExecution(context.pipelineExecutionId);
      else {
        this.emulator.stopExecution(context.pipelineExecutionId, { abandon: mode === 'abandon' });
      }
      chain.at = new Date(this.emulator.now()).toISOString();
    } catch (error) {
      if (!(error instanceof EmulatorInputError)) throw error;
      chain.error = error.message;
    }
  }
}

/** The four fields that identify an action type. */
interface ActionTypeIdentity {
  readonly owner: string;
  readonly category: string;
  readonly provider: string;
  readonly version: string;
}

/**
 * Whether EventBridge would hand `event` to the worker of `actionType` as a stop: an action
 * execution event of that type whose state is one of `states`.
 */
export function isStopEventFor(
  event: ActionExecutionEvent,
  actionType: ActionTypeIdentity,
  states: readonly string[],
): boolean {
  const type = event.detail.type;
  return (
    states.includes(event.detail.state) &&
    type.owner === actionType.owner &&
    type.category === actionType.category &&
    type.provider === actionType.provider &&
    type.version === actionType.version
  );
}
