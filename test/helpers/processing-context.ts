/**
 * A {@link ProcessingContext} for calling a job processor directly, with a clock the test
 * controls, an abort switch and a logger that records what it is told.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Job,
  JobLogger,
  JobOutcome,
  OutcomeCheck,
  ProcessingContext,
} from '../../lambda/processors/job-processor.js';

/** 2025-01-15T10:00:00Z: a fixed instant to start fake clocks at. */
export const T0 = Date.UTC(2025, 0, 15, 10, 0, 0);

export interface FakeClock {
  /** Epoch ms; pass it as `now`. */
  readonly now: () => number;
  advance(ms: number): void;
}

/** A clock that moves only when told to. */
export function fakeClock(start: number = T0): FakeClock {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
  };
}

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes?: Record<string, unknown>;
}

export interface TestProcessingContext extends ProcessingContext {
  /** Every line the processor logged. */
  readonly logs: readonly LogLine[];
  /** Aborts `signal`, as the worker does when the deadline passes. */
  abort(): void;
  /** Runs the registered `beforeReport` checks on `outcome`, as the worker does. */
  checked(outcome: JobOutcome): Promise<JobOutcome>;
  /** How many times `refreshJob` was called. */
  readonly refreshes: number;
}

export interface ProcessingContextOptions {
  /** @default Date.now (so that vitest fake timers drive it) */
  readonly now?: () => number;
  /** Epoch ms. @default now() + 60 s */
  readonly deadline?: number;
  /** @default 1 */
  readonly attempt?: number;
  /** @default a fresh path under the OS temp dir (not created) */
  readonly workDirectory?: string;
  /** What `refreshJob` answers. @default it throws */
  readonly refreshJob?: () => Promise<Job>;
}

/**
 * A context as the worker passes it to `JobProcessor.process`.
 *
 * @example
 * const clock = fakeClock();
 * const context = processingContext({ now: clock.now, deadline: clock.now() + 30_000 });
 */
export function processingContext(options: ProcessingContextOptions = {}): TestProcessingContext {
  const now = options.now ?? (() => Date.now());
  const controller = new AbortController();
  const logs: LogLine[] = [];
  const write =
    (level: LogLine['level']) => (message: string, attributes?: Record<string, unknown>) => {
      logs.push({ level, message, attributes });
    };
  const logger: JobLogger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
  const checks: OutcomeCheck[] = [];
  let refreshes = 0;
  return {
    deadline: options.deadline ?? now() + 60_000,
    signal: controller.signal,
    attempt: options.attempt ?? 1,
    logger,
    workDirectory: options.workDirectory ?? join(tmpdir(), `processing-context-${randomUUID()}`),
    sdk: { maxAttempts: 1, requestTimeoutMs: 5_000 },
    now,
    refreshJob: () => {
      refreshes++;
      return options.refreshJob?.() ?? Promise.reject(new Error('refreshJob is not set up'));
    },
    beforeReport: (check) => {
      checks.push(check);
    },
    logs,
    abort: () => controller.abort(),
    async checked(outcome) {
      let result = outcome;
      for (const check of checks) result = await check(result);
      return result;
    },
    get refreshes() {
      return refreshes;
    },
  };
}
