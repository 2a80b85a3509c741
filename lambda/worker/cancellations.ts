/**
 * The seam between one job's protocol (`job-runner.ts`, the drain's check-again waits) and the
 * action executions' stops: how a job learns that its action execution was stopped, and how
 * the processor's `cancel` hook is called once per stopped execution. The implementation reads
 * and writes the execution ledger (`ExecutionLedger`); without one, nothing is watched.
 */
import type { CancelReason } from '../job/cancellation.js';
import type { Job } from '../job/job.js';
import type { JobRun } from './job-run.js';
import type { WorkerLogger } from './logging.js';
import type { Report } from './report.js';

/**
 * How a job's report ended, as far as its execution's stops are concerned; `sending`: the
 * report is about to be sent for the first time (so that a stop which follows its acceptance
 * finds the newest token, and the FAILED event a failure report causes is known to be the
 * worker's own before it can arrive).
 */
export type ReportEnd = 'sending' | 'accepted' | 'refused';

export interface Cancellations {
  /**
   * Watches the job's action execution while its processor runs: `onStopped` is called once,
   * with the reason, when a stop is noted. The returned function ends the watch.
   */
  watch(
    job: Job,
    run: JobRun,
    log: WorkerLogger,
    onStopped: (reason: CancelReason) => void,
  ): () => void;
  /** Whether the job's action execution was stopped (one read), for a job about to run again. */
  stopped(job: Job, run: JobRun, log: WorkerLogger): Promise<CancelReason | undefined>;
  /**
   * Notes how the job's report ended: a continue report is recorded for the execution before
   * it is sent and once accepted (then its token is handed to `cancel` if the execution was
   * stopped meanwhile); a
   * final report of an execution that continued marks it finished, before it is first sent
   * and again once accepted; a continue report refused because the job is no longer in
   * progress calls `cancel` with its token. Never throws.
   */
  reported(job: Job, report: Report, end: ReportEnd, run: JobRun, log: WorkerLogger): Promise<void>;
  /**
   * Calls the processor's `cancel` for the job's action execution, once per execution
   * whatever the number of callers, with the processor's own token (not the envelope).
   */
  cancel(
    job: Job,
    processorToken: string,
    reason: CancelReason,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void>;
}
