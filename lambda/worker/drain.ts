/**
 * One invocation's scheduling: recover claims whose worker died, then poll and run jobs with
 * bounded concurrency until the queue is empty or the deadline margin is reached. A job that
 * asked to be checked again waits without a slot and comes back ahead of new polls (or is sent
 * as a continuation at the stop time). Every job taken is reported (or deliberately left to its
 * lease) before `drain` returns. What happens to one job is `job-runner.ts`'s.
 */

import { INTEGER_SETTINGS } from '../contract.js';
import { JobWorkerError } from '../errors.js';
import type { Job } from '../job/job.js';
import type { JobProcessor, SdkSettings } from '../job/processor.js';
import type { Claim, JobService, NonceLedger } from '../ports.js';
import type { Cancellations } from './cancellations.js';
import type { ContinuationLimits } from './continuation.js';
import {
  type DrainSummary,
  emptySummary,
  type MetricsSink,
  OLDEST_EXPIRED_CLAIM_METRIC,
  publishSummary,
} from './counters.js';
import type { WaitingCheck } from './job-run.js';
import { type JobRun, JobRunner } from './job-runner.js';
import { describeError, type WorkerLogger } from './logging.js';
import type { SecretScrubber } from './secrets.js';

/** A polled job not started within this time is left for the service to dispatch again. */
const MAX_BUFFERED_MS = 10_000;

export interface WorkerSettings {
  readonly batchSize: number;
  readonly concurrency: number;
  readonly deadlineMarginMs: number;
  readonly leaseGraceMs: number;
  /**
   * Reports being sent at once, at most: they are sent outside the jobs' slots.
   * @default the contract's default of `REPORT_CONCURRENCY`
   */
  readonly reportConcurrency?: number;
}

export interface WorkerDeps {
  readonly jobs: JobService;
  readonly ledger: NonceLedger;
  readonly processor: JobProcessor;
  readonly logger: WorkerLogger;
  readonly metrics: MetricsSink;
  readonly scrubber: SecretScrubber;
  readonly settings: WorkerSettings;
  /** @default Date.now */
  readonly now?: () => number;
  /** @default setTimeout-based */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Uniform draws in [0, 1), for the jitter of report retries. @default Math.random */
  readonly random?: () => number;
  /** The SDK settings processors are told about. @default 3 attempts, 5 s per request */
  readonly sdk?: SdkSettings;
  /** Where jobs' work directories are made. @default under the OS temp dir */
  readonly workRoot?: string;
  /** Continuation limits, counted in the worker's envelope. @default none: not counted */
  readonly continuations?: ContinuationLimits;
  /**
   * Whether a job's action execution was stopped, asked before a job is checked again.
   * @default none: nothing is checked
   */
  readonly cancellations?: Cancellations;
}

const DEFAULT_SDK_SETTINGS: SdkSettings = { maxAttempts: 3, requestTimeoutMs: 5_000 };

export interface DrainRequest {
  /** Epoch ms at which the invocation ends (now + remaining time). */
  readonly deadline: number;
  /** Empty polls to retry before stopping (the job behind an event may need a moment). */
  readonly emptyPollRetries?: number;
  readonly emptyPollDelayMs?: number;
}

/** Raised after a drain whose polling failed, once every job it held was finished. */
export class DrainError extends JobWorkerError {
  readonly summary: DrainSummary;

  constructor(message: string, summary: DrainSummary, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DrainError';
    this.summary = summary;
  }
}

type Task =
  | {
      readonly kind: 'polled';
      readonly job: Job;
      /** The claim, started as soon as the job was polled (never rejects). */
      readonly claim: Promise<Claim | undefined>;
      readonly bufferedAt: number;
    }
  | { readonly kind: 'recover'; readonly jobId: string; readonly bufferedAt: number }
  /** A job whose wait to be checked again is over: ahead of polled jobs, it waits for no limit. */
  | { readonly kind: 'check'; readonly check: WaitingCheck; readonly bufferedAt: number };

/** What a drain needs of its worker. */
interface DrainDeps {
  readonly jobs: JobService;
  readonly ledger: NonceLedger;
  readonly runner: JobRunner;
  readonly logger: WorkerLogger;
  readonly metrics: MetricsSink;
  readonly scrubber: SecretScrubber;
  readonly settings: WorkerSettings;
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The job worker.
 *
 * @example
 * const worker = new Worker({ jobs, ledger, processor, logger, metrics, scrubber, settings });
 * const summary = await worker.drain({ deadline: Date.now() + context.getRemainingTimeInMillis() });
 */
export class Worker {
  readonly #deps: DrainDeps;

  constructor(deps: WorkerDeps) {
    const now = deps.now ?? Date.now;
    const sleep = deps.sleep ?? defaultSleep;
    this.#deps = {
      ...deps,
      now,
      sleep,
      runner: new JobRunner({
        ...deps,
        now,
        sleep,
        random: deps.random ?? Math.random,
        sdk: deps.sdk ?? DEFAULT_SDK_SETTINGS,
        reportConcurrency:
          deps.settings.reportConcurrency ?? INTEGER_SETTINGS.reportConcurrency.default,
      }),
    };
  }

  /** Drains the queue; publishes the invocation's counters as metrics and returns them. */
  async drain(request: DrainRequest): Promise<DrainSummary> {
    const summary = emptySummary();
    try {
      await new Drain(this.#deps, request, summary).run();
    } finally {
      publishSummary(summary, this.#deps.metrics);
    }
    return summary;
  }
}

class Drain {
  readonly #deps: DrainDeps;
  readonly #settings: WorkerSettings;
  readonly #request: DrainRequest;
  readonly #summary: DrainSummary;
  readonly #stopTakingAt: number;
  /** What every job of this invocation shares: its times, counters and logger. */
  readonly #run: JobRun;
  readonly #running = new Set<Promise<void>>();
  /**
   * Work that no longer holds a slot but must end before the drain does: ledger writes that
   * record outcomes, reports being sent again.
   */
  readonly #trailing = new Set<Promise<void>>();
  /** Jobs waiting, without a slot, to be checked again. */
  readonly #waiting = new Set<Promise<void>>();
  readonly #buffer: Task[] = [];
  /** Jobs whose expired claim this invocation is recovering, by id. */
  readonly #recovering = new Map<string, Promise<void>>();
  #polling: Promise<void> | undefined;
  #findingExpired: Promise<void> | undefined;
  /** Set when a job or a poll ends; the loop sleeps until then. */
  #changed = false;
  #wake: (() => void) | undefined;
  #pollingDone = false;
  #emptyPollsLeft: number;
  #pollError: unknown;

  constructor(deps: DrainDeps, request: DrainRequest, summary: DrainSummary) {
    this.#deps = deps;
    this.#settings = deps.settings;
    this.#request = request;
    this.#summary = summary;
    this.#stopTakingAt = request.deadline - this.#settings.deadlineMarginMs;
    this.#emptyPollsLeft = request.emptyPollRetries ?? 0;
    this.#run = {
      jobDeadline: request.deadline - this.#settings.deadlineMarginMs / 2,
      // Reports may be sent again until a quarter of the margin is left; the last quarter is
      // kept for the ledger writes that follow them and for publishing the metrics.
      reportDeadline: request.deadline - this.#settings.deadlineMarginMs / 4,
      // One timer for the invocation, not one per report.
      reportSignal: AbortSignal.timeout(
        Math.max(0, request.deadline - this.#settings.deadlineMarginMs / 4 - deps.now()),
      ),
      // A report is recorded until a tenth of the margin is left: the last tenth is kept for
      // the invocation's own end (its metrics).
      recordDeadline: request.deadline - this.#settings.deadlineMarginMs / 10,
      recordSignal: AbortSignal.timeout(
        Math.max(0, request.deadline - this.#settings.deadlineMarginMs / 10 - deps.now()),
      ),
      leaseExpiresAt: request.deadline + this.#settings.leaseGraceMs,
      taking: () => this.#taking(),
      stopTakingAt: this.#stopTakingAt,
      checkAgainAt: (at, check) => this.#checkAgainAt(at, check),
      summary,
      log: deps.logger,
      background: (work) => {
        // Its end wakes the loop: trailing work may put a job back to wait for a check.
        const trailing: Promise<void> = work.finally(() => {
          this.#trailing.delete(trailing);
          this.#notify();
        });
        this.#trailing.add(trailing);
      },
    };
  }

  async run(): Promise<void> {
    if (!this.#taking()) {
      this.#deps.logger.warn('invocation started inside the deadline margin; no job taken', {
        remainingMs: this.#request.deadline - this.#deps.now(),
        deadlineMarginMs: this.#settings.deadlineMarginMs,
      });
    } else {
      // Alongside the first poll: an invocation that finds nothing waits for one round trip.
      this.#findingExpired = this.#findExpiredClaims().finally(() => {
        this.#findingExpired = undefined;
        this.#notify();
      });
    }
    for (;;) {
      this.#startTasks();
      this.#maybePoll();
      const busy =
        this.#running.size > 0 ||
        this.#buffer.length > 0 ||
        this.#polling ||
        this.#findingExpired ||
        this.#waiting.size > 0 ||
        this.#trailing.size > 0;
      if (!busy) break;
      await this.#nextChange();
    }
    while (this.#trailing.size > 0) await Promise.all([...this.#trailing]);
    if (this.#pollError !== undefined) {
      throw new DrainError(
        'PollForJobs failed; the jobs already taken were finished',
        this.#summary,
        {
          cause: this.#pollError,
        },
      );
    }
  }

  /** Resolves once a job or a poll has ended since the last call. */
  async #nextChange(): Promise<void> {
    if (!this.#changed) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
    this.#changed = false;
  }

  #notify(): void {
    this.#changed = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #taking(): boolean {
    return this.#deps.now() < this.#stopTakingAt;
  }

  #startTasks(): void {
    const now = this.#deps.now();
    if (!this.#taking()) {
      this.#defer(this.#buffer.splice(0), 'the invocation is near its deadline');
      this.#pollingDone = true;
      return;
    }
    while (this.#running.size < this.#settings.concurrency && this.#buffer.length > 0) {
      const task = this.#buffer.shift() as Task;
      if (task.kind !== 'check' && now - task.bufferedAt > MAX_BUFFERED_MS) {
        this.#defer([task], 'it waited too long for a free slot');
        continue;
      }
      const running: Promise<void> = this.#runTask(task)
        .catch((error: unknown) => {
          this.#deps.logger.error('unexpected error while running a job', {
            error: describeError(error, this.#deps.scrubber),
          });
        })
        .finally(() => {
          this.#running.delete(running);
          this.#notify();
        });
      this.#running.add(running);
    }
  }

  #defer(tasks: Task[], reason: string): void {
    for (const task of tasks) {
      if (task.kind === 'polled') {
        this.#run.background?.(this.#deps.runner.leave(task.job, task.claim, this.#run, reason));
      } else if (task.kind === 'check') {
        this.#run.background?.(task.check.giveUp(reason));
      }
    }
  }

  #maybePoll(): void {
    if (this.#polling || this.#pollingDone || !this.#taking()) return;
    const { concurrency, batchSize } = this.#settings;
    // Keep up to one extra round of jobs ready, so slots never wait for a poll.
    const room = 2 * concurrency - this.#running.size - this.#buffer.length;
    const idle = this.#running.size + this.#buffer.length === 0;
    if (!idle && room < Math.min(batchSize, concurrency)) return;
    this.#polling = this.#poll(Math.min(batchSize, room)).finally(() => {
      this.#polling = undefined;
      this.#notify();
    });
  }

  async #poll(maxBatchSize: number): Promise<void> {
    let jobs: Job[];
    try {
      jobs = await this.#deps.jobs.poll(maxBatchSize);
    } catch (error) {
      this.#pollError = error;
      this.#pollingDone = true;
      this.#deps.logger.error('PollForJobs failed', {
        error: describeError(error, this.#deps.scrubber),
      });
      return;
    }
    this.#summary.polls++;
    this.#summary.polled += jobs.length;
    const now = this.#deps.now();
    for (const job of jobs) {
      // Claimed while it waits for a slot, so that a slot spends its time on CodePipeline only.
      this.#buffer.push({
        kind: 'polled',
        job,
        // A new dispatch of a job this invocation is recovering is claimed once the recovery
        // is done (it releases the stale claim), not skipped as held by another worker.
        claim: (this.#recovering.get(job.id) ?? Promise.resolve()).then(() =>
          this.#deps.runner.claim(job, this.#run),
        ),
        bufferedAt: now,
      });
    }
    if (jobs.length > 0) {
      this.#emptyPollsLeft = 0;
      return;
    }
    if (this.#emptyPollsLeft > 0 && this.#running.size === 0) {
      this.#emptyPollsLeft--;
      await this.#deps.sleep(this.#request.emptyPollDelayMs ?? 1_000);
      return;
    }
    this.#pollingDone = true;
  }

  async #findExpiredClaims(): Promise<void> {
    try {
      const asked = this.#deps.now();
      const expired = await this.#deps.ledger.findExpired(asked, this.#settings.concurrency);
      const [oldest] = expired;
      if (oldest) {
        // The query this invocation makes anyway says how long the oldest dead claim has
        // waited: its alarm fires when recoveries keep failing.
        this.#summary.expiredClaims += expired.length;
        this.#deps.metrics.addMetric(
          OLDEST_EXPIRED_CLAIM_METRIC,
          'Milliseconds',
          asked - oldest.leaseExpiresAt,
        );
        this.#deps.logger.info('found expired claims', {
          count: expired.length,
          oldestExpiredMs: asked - oldest.leaseExpiresAt,
        });
      }
      const now = this.#deps.now();
      // Ahead of polled jobs: these have waited longest.
      this.#buffer.unshift(
        ...expired.map(({ jobId }) => ({ kind: 'recover' as const, jobId, bufferedAt: now })),
      );
    } catch (error) {
      this.#summary.ledgerErrors++;
      this.#deps.logger.warn('could not look for expired claims', {
        error: describeError(error, this.#deps.scrubber),
      });
    }
  }

  /**
   * Puts a job back in the queue at `at`, after the jobs already due to be checked again or
   * recovered and ahead of polled ones; it holds no slot until then.
   */
  #checkAgainAt(at: number, check: WaitingCheck): void {
    const due = () => {
      const firstPolled = this.#buffer.findIndex((task) => task.kind === 'polled');
      const task: Task = { kind: 'check', check, bufferedAt: this.#deps.now() };
      this.#buffer.splice(firstPolled < 0 ? this.#buffer.length : firstPolled, 0, task);
    };
    // A sleep that fails ends the wait early: the job is never left without its end.
    const waiting: Promise<void> = this.#deps
      .sleep(Math.max(0, at - this.#deps.now()))
      .then(due, due)
      .finally(() => {
        this.#waiting.delete(waiting);
        this.#notify();
      });
    this.#waiting.add(waiting);
  }

  async #runTask(task: Task): Promise<void> {
    if (task.kind === 'check') {
      await task.check.resume();
      return;
    }
    if (task.kind === 'polled') {
      await this.#deps.runner.run(task.job, task.claim, this.#run);
      return;
    }
    const recovery = this.#deps.runner.recover(task.jobId, this.#run);
    this.#recovering.set(task.jobId, recovery);
    try {
      await recovery;
    } finally {
      this.#recovering.delete(task.jobId);
    }
  }
}
