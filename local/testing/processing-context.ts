/**
 * A {@link ProcessingContext} for calling a job processor directly in a unit test, with a
 * clock the test controls, an abort switch, a logger that records what it is told, and the
 * `beforeReport` checks run on demand.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '../../lambda/job/job.js';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import type {
  JobLogger,
  OutcomeCheck,
  ProcessingContext,
  SdkSettings,
} from '../../lambda/job/processor.js';
import { reportableOutcome } from '../../lambda/worker/outcome-check.js';

/** 2025-01-15T10:00:00Z: a fixed instant to start fake clocks at. */
export const T0 = Date.UTC(2025, 0, 15, 10, 0, 0);

/** A clock that moves only when told to. */
export interface FakeClock {
  /** Epoch ms; pass it as `now`. */
  readonly now: () => number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
}

/**
 * A clock that moves only when told to.
 *
 * @param start - its first reading, epoch ms (default {@link T0})
 * @example
 * const clock = fakeClock();
 * const context = processingContext({ now: clock.now, deadline: clock.now() + 30_000 });
 * clock.advance(10_000);
 */
export function fakeClock(start: number = T0): FakeClock {
  let current = start;
  return {
    now: () => current,
    advance(ms) {
      current += ms;
    },
  };
}

/** One line the processor logged. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes?: Record<string, unknown>;
}

/** A processing context with what a test needs to look at and drive. */
export interface TestProcessingContext extends ProcessingContext {
  /** Every line the processor logged, in order. */
  readonly logs: readonly LogLine[];
  /** Aborts `signal`, as the worker does when the deadline passes. */
  abort(): void;
  /**
   * What the worker would report for `outcome`: it is checked, run through the registered
   * `beforeReport` checks in order, and each result checked again, by the worker's own code.
   * An outcome the worker would refuse rejects with the `InvalidOutcomeError` whose message is
   * the one the job would fail with (`The job processor returned an invalid result: ...`).
   *
   * @param outcome - what the processor returned
   * @throws InvalidOutcomeError when it (or what a check made of it) is no valid outcome
   */
  checked(outcome: unknown): Promise<JobOutcome>;
  /** How many times `refreshJob` was called. */
  readonly refreshes: number;
  /**
   * Ends the job as the worker does once its outcome is reported: removes `workDirectory`
   * with everything in it (nothing happens when it was never created). Call it when the test
   * is done with the context, in `afterEach` or at the end of the test.
   */
  end(): Promise<void>;
}

/** Options of {@link processingContext}; every one has a default. */
export interface ProcessingContextOptions {
  /** The clock. @default Date.now (so that vitest fake timers drive it) */
  readonly now?: () => number;
  /** Epoch ms by which `process` must return. @default now() + 60 s */
  readonly deadline?: number;
  /** @default 1 */
  readonly attempt?: number;
  /** @default a fresh path under the OS temp dir (not created, as in the worker) */
  readonly workDirectory?: string;
  /** What `refreshJob` answers: a job, or a function giving one. @default it rejects */
  readonly refreshJob?: Job | (() => Promise<Job>);
  /** @default 1 attempt, 5,000 ms per request */
  readonly sdk?: SdkSettings;
}

/**
 * A context as the worker passes it to `JobProcessor.process`, for unit tests of a processor.
 *
 * @param options - the clock, deadline, attempt and answers to use instead of the defaults
 * @example
 * import { jobFixture, processingContext } from 'codepipeline-job-worker/testing';
 *
 * const context = processingContext();
 * const outcome = await context.checked(await myProcessor.process(jobFixture(), context));
 * expect(outcome).toEqual({ kind: 'success', summary: 'done' });
 * expect(context.logs).toContainEqual(expect.objectContaining({ message: 'scanning' }));
 */
export function processingContext(options: ProcessingContextOptions = {}): TestProcessingContext {
  const now = options.now ?? (() => Date.now());
  const controller = new AbortController();
  const logs: LogLine[] = [];
  const write =
    (level: LogLine['level']) => (message: string, attributes?: Record<string, unknown>) => {
      logs.push(attributes === undefined ? { level, message } : { level, message, attributes });
    };
  const logger: JobLogger = {
    debug: write('debug'),
    info: write('info'),
    warn: write('warn'),
    error: write('error'),
  };
  const checks: OutcomeCheck[] = [];
  const refresh = options.refreshJob;
  let refreshes = 0;
  const workDirectory =
    options.workDirectory ?? join(tmpdir(), `processing-context-${randomUUID()}`);
  return {
    deadline: options.deadline ?? now() + 60_000,
    signal: controller.signal,
    attempt: options.attempt ?? 1,
    logger,
    workDirectory,
    sdk: options.sdk ?? { maxAttempts: 1, requestTimeoutMs: 5_000 },
    now,
    refreshJob: () => {
      refreshes++;
      if (refresh === undefined) {
        return Promise.reject(
          new Error('refreshJob is not set up: pass processingContext({ refreshJob })'),
        );
      }
      return typeof refresh === 'function' ? refresh() : Promise.resolve(refresh);
    },
    beforeReport: (check) => {
      checks.push(check);
    },
    logs,
    abort: () => controller.abort(),
    checked: (outcome) => reportableOutcome(outcome, checks),
    end: () => rm(workDirectory, { recursive: true, force: true }),
    get refreshes() {
      return refreshes;
    },
  };
}
