/**
 * One invocation's work: recover claims whose worker died, then poll and run jobs with
 * bounded concurrency until the queue is empty or the deadline margin is reached. Every job
 * taken is reported (or deliberately left to its lease) before `drain` returns.
 */
import type { Claim, JobService, NonceLedger } from '../ports.js';
import type { JobProcessor, SdkSettings } from '../processors/job-processor.js';
import { type DrainSummary, emptySummary, type MetricsSink, publishSummary } from './counters.js';
import { type Job, jobLogKeys, secretValues } from './job.js';
import { describeError, type WorkerLogger, withKeys } from './logging.js';
import { type JobRun, JobRunner } from './run-job.js';
import type { SecretScrubber } from './secrets.js';

/** A polled job not started within this time is left for the service to dispatch again. */
const MAX_BUFFERED_MS = 10_000;

export interface WorkerSettings {
  readonly batchSize: number;
  readonly concurrency: number;
  readonly deadlineMarginMs: number;
  readonly leaseGraceMs: number;
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
  /** The SDK settings processors are told about. @default 3 attempts, 5 s per request */
  readonly sdk?: SdkSettings;
  /** Where jobs' work directories are made. @default under the OS temp dir */
  readonly workRoot?: string;
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
export class DrainError extends Error {
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
      readonly run: JobRun;
      /** The claim, started as soon as the job was polled (never rejects). */
      readonly claim: Promise<Claim | undefined>;
      readonly bufferedAt: number;
    }
  | { readonly kind: 'recover'; readonly jobId: string; readonly bufferedAt: number };

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The job worker.
 *
 * @example
 * const worker = new Worker({ jobs, ledger, processor, logger, metrics, scrubber, settings });
 * const summary = await worker.drain({ deadline: Date.now() + context.getRemainingTimeInMillis() });
 */
export class Worker {
  readonly #deps: WorkerDeps;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #runner: JobRunner;

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#sleep = deps.sleep ?? defaultSleep;
    this.#runner = new JobRunner({
      ...deps,
      now: this.#now,
      sdk: deps.sdk ?? DEFAULT_SDK_SETTINGS,
    });
  }

  /** Drains the queue; publishes the invocation's counters as metrics and returns them. */
  async drain(request: DrainRequest): Promise<DrainSummary> {
    const summary = emptySummary();
    try {
      await new Drain(this, request, summary).run();
    } finally {
      publishSummary(summary, this.#deps.metrics);
    }
    return summary;
  }

  /** @internal */
  get deps() {
    return { ...this.#deps, now: this.#now, sleep: this.#sleep, runner: this.#runner };
  }
}

class Drain {
  readonly #deps: Worker['deps'];
  readonly #settings: WorkerSettings;
  readonly #request: DrainRequest;
  readonly #summary: DrainSummary;
  readonly #stopTakingAt: number;
  readonly #jobDeadline: number;
  readonly #leaseExpiresAt: number;
  readonly #running = new Set<Promise<void>>();
  /** Ledger writes that record outcomes: they no longer hold a slot, but the drain awaits them. */
  readonly #trailing = new Set<Promise<void>>();
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

  constructor(worker: Worker, request: DrainRequest, summary: DrainSummary) {
    this.#deps = worker.deps;
    this.#settings = this.#deps.settings;
    this.#request = request;
    this.#summary = summary;
    this.#stopTakingAt = request.deadline - this.#settings.deadlineMarginMs;
    this.#jobDeadline = request.deadline - this.#settings.deadlineMarginMs / 2;
    this.#leaseExpiresAt = request.deadline + this.#settings.leaseGraceMs;
    this.#emptyPollsLeft = request.emptyPollRetries ?? 0;
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
        this.#running.size > 0 || this.#buffer.length > 0 || this.#polling || this.#findingExpired;
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
      if (now - task.bufferedAt > MAX_BUFFERED_MS) {
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
      if (task.kind === 'polled') task.run.background?.(this.#deferClaimed(task, reason));
    }
  }

  /** A job claimed ahead of a slot that it will not get: its claim is given back. */
  async #deferClaimed(task: Extract<Task, { kind: 'polled' }>, reason: string): Promise<void> {
    const claim = await task.claim;
    // Not claimed: it was counted as a duplicate, held elsewhere, or a ledger error.
    if (claim) await this.#giveBack(claim, task.run, reason);
  }

  /** Leaves a claimed, unacknowledged job to its next dispatch, releasing the claim at once. */
  async #giveBack(claim: Claim, run: JobRun, reason: string): Promise<void> {
    this.#summary.deferred++;
    run.log.info('job left for a later dispatch', { reason });
    await this.#deps.runner.release(claim, run);
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
      const run = this.#run(withKeys(this.#deps.logger, jobLogKeys(job)));
      // Claimed while it waits for a slot, so that a slot spends its time on CodePipeline only.
      this.#buffer.push({
        kind: 'polled',
        job,
        run,
        // A new dispatch of a job this invocation is recovering is claimed once the recovery
        // is done (it releases the stale claim), not skipped as held by another worker.
        claim: (this.#recovering.get(job.id) ?? Promise.resolve()).then(() =>
          this.#claim(job, run),
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
      const jobIds = await this.#deps.ledger.findExpired(
        this.#deps.now(),
        this.#settings.concurrency,
      );
      const now = this.#deps.now();
      // Ahead of polled jobs: these have waited longest.
      this.#buffer.unshift(
        ...jobIds.map((jobId) => ({ kind: 'recover' as const, jobId, bufferedAt: now })),
      );
    } catch (error) {
      this.#summary.ledgerErrors++;
      this.#deps.logger.warn('could not look for expired claims', {
        error: describeError(error, this.#deps.scrubber),
      });
    }
  }

  #run(log: WorkerLogger): JobRun {
    return {
      jobDeadline: this.#jobDeadline,
      summary: this.#summary,
      log,
      background: (work) => {
        const trailing: Promise<void> = work.finally(() => this.#trailing.delete(trailing));
        this.#trailing.add(trailing);
      },
    };
  }

  async #runTask(task: Task): Promise<void> {
    if (task.kind === 'recover') {
      const recovery = this.#recover(task.jobId);
      this.#recovering.set(task.jobId, recovery);
      try {
        return await recovery;
      } finally {
        this.#recovering.delete(task.jobId);
      }
    }
    const { job, run } = task;
    const forget = this.#deps.scrubber.hold(secretValues(job));
    try {
      const claim = await task.claim;
      if (!claim) return;
      // A slow claim may answer after the stop time: no job is taken from then on.
      if (!this.#taking()) {
        await this.#giveBack(claim, run, 'the invocation reached its stop time during the claim');
        return;
      }
      const status = await this.#deps.runner.acknowledge(claim, run);
      if (status === undefined) return;
      if (status !== 'InProgress') {
        run.log.warn('job is not InProgress after acknowledge; not processed', { status });
        await this.#deps.runner.complete(claim, 'abandoned', run);
        return;
      }
      this.#summary.acknowledged++;
      await this.#deps.runner.processAndReport(job, claim, run);
    } finally {
      forget();
    }
  }

  async #claim(job: Job, run: JobRun): Promise<Claim | undefined> {
    let result: Awaited<ReturnType<NonceLedger['claim']>>;
    try {
      result = await this.#deps.ledger.claim({
        jobId: job.id,
        nonce: job.nonce,
        actionExecutionId: job.pipelineContext.actionExecutionId,
        now: this.#deps.now(),
        leaseExpiresAt: this.#leaseExpiresAt,
      });
    } catch (error) {
      this.#summary.ledgerErrors++;
      run.log.error('could not claim the job; the service dispatches it again', {
        error: describeError(error, this.#deps.scrubber),
      });
      return undefined;
    }
    switch (result.kind) {
      case 'claimed':
        return result.claim;
      case 'held':
        this.#summary.claimsLost++;
        run.log.info('job is claimed by another worker; skipped');
        return undefined;
      default:
        this.#summary.duplicates++;
        run.log.info('duplicate dispatch skipped', { reason: result.kind });
        return undefined;
    }
  }

  /** Finishes a job whose worker died: the ledger has its nonce, the service its state. */
  async #recover(jobId: string): Promise<void> {
    const run = this.#run(withKeys(this.#deps.logger, { jobId }));
    let claim: Claim | undefined;
    try {
      claim = await this.#deps.ledger.takeOver(jobId, this.#deps.now(), this.#leaseExpiresAt);
    } catch (error) {
      this.#summary.ledgerErrors++;
      run.log.error('could not take over an expired claim', {
        error: describeError(error, this.#deps.scrubber),
      });
      return;
    }
    if (!claim) return;
    if (!this.#taking()) {
      // Taken over after the stop time: left to its lease, for the next invocation to finish
      // (released, it would leave the pending-claims index, and nobody would finish it).
      run.log.info('took over an expired claim after the stop time; left to its lease');
      return;
    }
    this.#summary.recovered++;
    run.log.info('took over an expired claim', { attempt: claim.attempt });
    const status = await this.#deps.runner.acknowledge(claim, run);
    if (status === undefined) return;
    if (status === 'Succeeded' || status === 'Failed') {
      // The result was reported; only the ledger write was lost.
      await this.#deps.runner.complete(claim, status === 'Succeeded' ? 'succeeded' : 'failed', run);
      return;
    }
    if (status !== 'InProgress') {
      await this.#deps.runner.complete(claim, 'abandoned', run);
      return;
    }
    this.#summary.acknowledged++;
    let job: Job;
    try {
      job = await this.#deps.jobs.getJob(jobId, claim.nonce);
    } catch (error) {
      // The job stays acknowledged and unreported until a later invocation: counted like a
      // result that could not be reported, so the error metrics and alarms see it.
      this.#summary.reportErrors++;
      run.log.error('could not read the job again; the claim expires with its lease', {
        error: describeError(error, this.#deps.scrubber),
      });
      return;
    }
    const forget = this.#deps.scrubber.hold(secretValues(job));
    try {
      const jobRun = this.#run(withKeys(this.#deps.logger, jobLogKeys(job)));
      await this.#deps.runner.processAndReport(job, claim, jobRun);
    } finally {
      forget();
    }
  }
}
