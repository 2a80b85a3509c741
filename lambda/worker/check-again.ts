/**
 * Checking a job again within the invocation: a processor that returns a continue outcome
 * with `checkAfterSeconds` is run again on the same job (the same claim, no CodePipeline call
 * in between) once that time has passed, when the invocation has it. Its continue report is
 * recorded in the ledger as any report is, but not sent: the job's slot is freed at once, and
 * the drain puts the job back ahead of new polls when the wait ends. A worker that dies while
 * the job waits leaves the recorded report to the next holder of the claim, which sends it:
 * CodePipeline then continues the job with the latest token. When the wait does not fit in the
 * invocation, or the invocation stops taking jobs while the job waits, the recorded report is
 * sent: the job continues as a continuation.
 *
 * Each run is counted in the worker's envelope as a continuation would be (the job the
 * processor sees next is the one the next continuation would carry), so the continuation
 * limits bound the checks too.
 */
import type { Job } from '../job/job.js';
import type { Claim } from '../ports.js';
import type { Cancellations } from './cancellations.js';
import { unwrapToken } from './continuation.js';
import type { JobRun, WaitingCheck } from './job-run.js';
import { describeError, type WorkerLogger } from './logging.js';
import type { Report } from './report.js';
import type { SecretScrubber } from './secrets.js';

/**
 * The least time a job's processor is given to run again before the invocation stops taking
 * jobs: a check is kept in the invocation only when its wait, and then the longer of this and
 * the time its last run took, end before the stop time.
 */
export const MIN_CHECK_RUN_MS = 1_000;

/** What the checks need of one job's protocol (`job-runner.ts`). */
export interface CheckAgainSteps {
  /** Records the report on the claim: true when recorded, false when the claim was lost. */
  record(
    claim: Claim,
    report: Report,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<boolean | undefined>;
  /** Sends a recorded report and records how the job ended (never throws). */
  deliver(
    claim: Claim,
    report: Report,
    run: JobRun,
    log: WorkerLogger,
    started: number,
    /** The job, so that its action execution learns how the report ended. */
    job?: Job,
  ): Promise<void>;
  /** Runs the processor on the job, in the caller's slot, then records and reports. */
  process(job: Job, claim: Claim, run: JobRun, log: WorkerLogger): Promise<void>;
  /** Completes the claim as abandoned. */
  abandon(claim: Claim, run: JobRun, log: WorkerLogger): Promise<void>;
}

export interface CheckAgainDeps {
  readonly steps: CheckAgainSteps;
  readonly scrubber: SecretScrubber;
  readonly now: () => number;
  /** Secret values a job carries, held while its processor runs again. */
  readonly secrets: (job: Job) => string[];
  /** The logger of a job: every line carries the job's keys. */
  readonly log: (job: Job, run: JobRun) => WorkerLogger;
  /** Whether a job's action execution was stopped. @default nothing is checked */
  readonly cancellations?: Cancellations;
}

/** One run of a job's processor, as its check sees it. */
export interface CheckRun {
  /** What the outcome asked: seconds before the job is checked again. */
  readonly checkAfterSeconds: number | undefined;
  /** Epoch ms at which the run started, and at which it ended. */
  readonly started: number;
  readonly ended: number;
}

/** The job the next continuation would carry, after `report` (a continue report). */
export function nextCheckJob(job: Job, report: Report): Job {
  const token = report.kind === 'success' ? report.continuationToken : undefined;
  return { ...job, ...unwrapToken(token) };
}

/** Keeps jobs that asked to be checked again in the invocation, while it has the time. */
export class CheckAgain {
  readonly #deps: CheckAgainDeps;
  /** How many times each claim's job was checked again in this invocation. */
  readonly #checks = new WeakMap<Claim, number>();

  constructor(deps: CheckAgainDeps) {
    this.#deps = deps;
  }

  /**
   * What follows a run whose outcome asked to be checked again, when the invocation has the
   * time: the report is recorded, then the job waits to run again. Undefined when the report
   * is to be recorded and sent as usual: no check was asked, or it does not fit (counted and
   * logged as a check that continues).
   *
   * @param report - the run's report, the worker's envelope around its token
   */
  after(
    job: Job,
    claim: Claim,
    report: Report,
    ran: CheckRun,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void> | undefined {
    const seconds = ran.checkAfterSeconds;
    if (seconds === undefined || report.kind !== 'success' || !report.continuationToken) {
      return undefined;
    }
    const at = ran.ended + seconds * 1_000;
    const runMs = Math.max(MIN_CHECK_RUN_MS, ran.ended - ran.started);
    if (!run.checkAgainAt || at + runMs > run.stopTakingAt) {
      run.summary.checksContinued++;
      log.info('check again does not fit in the invocation; the job continues', {
        checkAfterSeconds: seconds,
        leftMs: Math.max(0, run.stopTakingAt - ran.ended),
      });
      return undefined;
    }
    return this.#recordAndWait(job, claim, report, at, ran, run, log);
  }

  async #recordAndWait(
    job: Job,
    claim: Claim,
    report: Report,
    at: number,
    ran: CheckRun,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void> {
    const { steps } = this.#deps;
    // Recorded before the job waits: a worker that dies while it waits leaves this report to
    // the next holder of the claim, which sends it, and CodePipeline continues the job.
    const recorded = await steps.record(claim, report, run, log);
    if (recorded === false) {
      log.warn('claim was taken over before the report was recorded; not reported');
      return;
    }
    if (recorded === undefined) {
      // Not recorded, the report must be sent now: a worker that died while the job waited
      // would leave nothing to send, and the processor would run again from an older token.
      run.summary.checksContinued++;
      log.warn('report not recorded; the job continues instead of being checked again');
      await steps.deliver(claim, report, run, log, ran.started, job);
      return;
    }
    const next = nextCheckJob(job, report);
    const check = (this.#checks.get(claim) ?? 0) + 1;
    const waitStarted = this.#deps.now();
    const waiting: WaitingCheck = {
      resume: () => this.#resume(next, claim, check, waitStarted, run),
      giveUp: async (reason) => {
        run.summary.checksContinued++;
        log.info('job not checked again; it continues', { reason, check });
        await steps.deliver(claim, report, run, log, ran.started, job);
      },
    };
    run.checkAgainAt?.(at, waiting);
  }

  /** Runs the processor again on the job, in the slot the drain gave it. */
  async #resume(
    job: Job,
    claim: Claim,
    check: number,
    waitStarted: number,
    run: JobRun,
  ): Promise<void> {
    const { steps, scrubber } = this.#deps;
    // The keys of the job as it runs now (the external execution id its last run gave).
    const log = this.#deps.log(job, run);
    const forget = scrubber.hold(this.#deps.secrets(job));
    try {
      const reason = await this.#stopped(job, run, log);
      if (reason !== undefined) {
        log.info('job not checked again: its action execution was stopped', { reason, check });
        try {
          await this.#deps.cancellations?.cancel(
            job,
            job.continuationToken ?? '',
            reason,
            run,
            log,
          );
        } catch (error) {
          log.error('could not cancel the stopped action execution', {
            error: describeError(error, scrubber),
          });
        }
        // CodePipeline would refuse a report: the recorded one is dropped with the claim.
        await steps.abandon(claim, run, log);
        return;
      }
      this.#checks.set(claim, check);
      run.summary.checksRunAgain++;
      log.info('job checked again', {
        check,
        continuation: job.continuation?.count,
        waitedMs: this.#deps.now() - waitStarted,
      });
      await steps.process(job, claim, run, log);
    } finally {
      forget();
    }
  }

  /** Why the job's action execution was stopped, if it was; a failed read is no stop. */
  async #stopped(job: Job, run: JobRun, log: WorkerLogger) {
    const cancellations = this.#deps.cancellations;
    if (!cancellations) return undefined;
    try {
      return await cancellations.stopped(job, run, log);
    } catch (error) {
      // Run again: a report for a stopped execution is refused, and its refusal is a stop too.
      log.warn('could not read whether the action execution was stopped; checked again', {
        error: describeError(error, this.#deps.scrubber),
      });
      return undefined;
    }
  }
}
