/**
 * Sending a job's report, once it is recorded: a report CodePipeline could not take
 * (throttling, a server error, a timeout) is sent again with backoff and jitter, for as long
 * as the invocation has time; then the ledger learns how the job ended. A report still not
 * accepted at the report deadline stays recorded in the ledger, for the invocation that takes
 * the claim over once its lease expires. At most `reportConcurrency` reports are being sent at
 * once: a burst of reports (the jobs of a whole batch ending together, a deadline that hands
 * every waiting job back) must not become a burst of CodePipeline calls.
 */
import type { Job } from '../job/job.js';
import {
  type Claim,
  JobRejectedError,
  type JobService,
  JobServiceUnavailableError,
  type LedgerOutcome,
} from '../ports.js';
import type { Cancellations } from './cancellations.js';
import type { JobRun } from './job-run.js';
import type { LedgerSteps } from './ledger-steps.js';
import { describeError, type WorkerLogger } from './logging.js';
import type { Report } from './report.js';
import { reportBackoffMs } from './report-retry.js';
import type { SecretScrubber } from './secrets.js';
import { Semaphore } from './semaphore.js';

export interface ReportDeliveryDeps {
  readonly jobs: JobService;
  readonly ledger: LedgerSteps;
  readonly scrubber: SecretScrubber;
  readonly now: () => number;
  /** Waits between attempts. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform draws in [0, 1) for the jitter of those waits. */
  readonly random: () => number;
  /** Told how each report of a known job ended, for its action execution's stops. */
  readonly cancellations?: Cancellations;
  /** Reports being sent at once, at most (`REPORT_CONCURRENCY`). */
  readonly reportConcurrency: number;
}

/** How one attempt to send a report ended. */
type Attempt =
  | { readonly kind: 'sent' }
  /** For good: the job no longer takes results. */
  | { readonly kind: 'rejected'; readonly reason: JobRejectedError['reason'] }
  /** For now: the same report may be accepted a moment later. */
  | { readonly kind: 'unavailable'; readonly throttled: boolean }
  /** The report deadline came first. */
  | { readonly kind: 'late' }
  /** For a reason a retry in this invocation would not change. */
  | { readonly kind: 'failed' };

/** Sends recorded reports and records how their jobs ended. */
export class ReportDelivery {
  readonly #deps: ReportDeliveryDeps;
  /**
   * Held for each attempt's call only. A report waiting to be sent again holds no permit: its
   * wait is its own backoff, and holding a permit through it would keep back reports that
   * CodePipeline may well take meanwhile. Nothing that holds a permit waits for anything but
   * its own call (never for a job's slot, never for a record), so it cannot deadlock.
   */
  readonly #sending: Semaphore;

  constructor(deps: ReportDeliveryDeps) {
    this.#deps = deps;
    this.#sending = new Semaphore(deps.reportConcurrency);
  }

  /**
   * Sends `report` for the job `claim` holds, again and again while CodePipeline cannot take
   * it and the report deadline allows, then records how the job ended; never throws. The
   * caller runs it outside the job's slot: most of its time may be spent waiting.
   *
   * @param started - epoch ms at which the job's processing started, for the log line
   * @param job - the job, when known: its action execution learns how the report ended
   */
  async deliver(
    claim: Claim,
    report: Report,
    run: JobRun,
    log: WorkerLogger,
    started: number,
    job?: Job,
  ): Promise<void> {
    // Before CodePipeline hears of the report, its execution's item says what it will know:
    // the newest token of a continue report (a stop that follows hands it to cancel), or that
    // a final report is the worker's own (the FAILED event it causes calls no cancel).
    if (job) await this.#deps.cancellations?.reported(job, report, 'sending', run, log);
    const first = await this.#send(claim.jobId, report, run, log);
    if (first.kind === 'unavailable') {
      await this.#retry(claim, report, first.throttled, run, log, started, job);
    } else {
      await this.#settle(claim, report, first, run, log, started, job);
    }
  }

  async #retry(
    claim: Claim,
    report: Report,
    throttled: boolean,
    run: JobRun,
    log: WorkerLogger,
    started: number,
    job: Job | undefined,
  ): Promise<void> {
    let last = throttled;
    for (let retry = 0; ; retry++) {
      const delay = reportBackoffMs(retry, last, this.#deps.random);
      if (this.#deps.now() + delay >= run.reportDeadline) {
        await this.#settle(claim, report, { kind: 'late' }, run, log, started, job);
        return;
      }
      await this.#deps.sleep(delay);
      const attempt = await this.#send(claim.jobId, report, run, log);
      if (attempt.kind !== 'unavailable') {
        await this.#settle(claim, report, attempt, run, log, started, job);
        return;
      }
      last = attempt.throttled;
    }
  }

  /**
   * One attempt (the SDK's own retries included) once a permit to send is free, cut at the
   * report deadline: the wait for the permit too.
   */
  async #send(jobId: string, report: Report, run: JobRun, log: WorkerLogger): Promise<Attempt> {
    const signal = run.reportSignal;
    if (signal.aborted || this.#deps.now() >= run.reportDeadline) return { kind: 'late' };
    if (!(await this.#sending.acquire(signal))) return { kind: 'late' };
    try {
      // The wait for the permit may have taken the time that was left.
      if (this.#deps.now() >= run.reportDeadline) return { kind: 'late' };
      return await this.#call(jobId, report, signal, run, log);
    } finally {
      this.#sending.release();
    }
  }

  async #call(
    jobId: string,
    report: Report,
    signal: AbortSignal,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<Attempt> {
    try {
      if (report.kind === 'success') await this.#deps.jobs.succeed(jobId, report, { signal });
      else await this.#deps.jobs.fail(jobId, report, { signal });
      return { kind: 'sent' };
    } catch (error) {
      run.summary.reportErrors++;
      if (error instanceof JobRejectedError) return { kind: 'rejected', reason: error.reason };
      if (signal.aborted) return { kind: 'late' };
      const safe = describeError(error, this.#deps.scrubber);
      if (error instanceof JobServiceUnavailableError) {
        log.warn('could not report the result; sending it again', { error: safe });
        return { kind: 'unavailable', throttled: error.throttled };
      }
      log.error('could not report the result; a later invocation finishes the job', {
        error: safe,
      });
      return { kind: 'failed' };
    }
  }

  /** What follows the last attempt. */
  async #settle(
    claim: Claim,
    report: Report,
    attempt: Exclude<Attempt, { kind: 'unavailable' }>,
    run: JobRun,
    log: WorkerLogger,
    started: number,
    job: Job | undefined,
  ): Promise<void> {
    switch (attempt.kind) {
      case 'rejected':
        log.warn('result rejected: the job no longer takes results', { reason: attempt.reason });
        await this.#deps.ledger.complete(claim, 'abandoned', run, log);
        if (job && attempt.reason === 'InvalidJobState') {
          await this.#deps.cancellations?.reported(job, report, 'refused', run, log);
        }
        return;
      case 'late':
        log.error(
          'could not report the result before the invocation had to end; a later invocation finishes the job',
        );
        return;
      case 'failed':
        return;
      case 'sent':
        break;
    }
    const outcome: LedgerOutcome =
      report.kind === 'failure' ? 'failed' : report.continuationToken ? 'continued' : 'succeeded';
    run.summary[outcome]++;
    const externalExecutionId =
      report.kind === 'failure'
        ? report.externalExecutionId
        : report.executionDetails?.externalExecutionId;
    log.info('job reported', {
      outcome,
      // The processor's own id, when it gave one: the Details link searches for it.
      ...(externalExecutionId ? { externalExecutionId } : {}),
      ...(report.kind === 'failure' ? { failureType: report.failureType } : {}),
      durationMs: this.#deps.now() - started,
    });
    await this.#deps.ledger.complete(claim, outcome, run, log);
    if (job) await this.#deps.cancellations?.reported(job, report, 'accepted', run, log);
  }
}
