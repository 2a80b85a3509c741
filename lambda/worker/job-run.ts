/**
 * What one job needs of the invocation it runs in (its times, counters, logger, and where
 * trailing work goes), and the ledger steps every path of a job shares.
 */
import type { Claim, LedgerOutcome, NonceLedger } from '../ports.js';
import type { DrainSummary } from './counters.js';
import { describeError, type WorkerLogger } from './logging.js';
import type { SecretScrubber } from './secrets.js';

/** What a job needs of the invocation it runs in: its times, where to count, where to log. */
export interface JobRun {
  /** Epoch ms by which the processor must return. */
  readonly jobDeadline: number;
  /**
   * Epoch ms by which every attempt to send a report must have ended: a report not accepted
   * by then is left, recorded, to the invocation that takes the claim over.
   */
  readonly reportDeadline: number;
  /** Aborts, at the report deadline, every attempt to send a report still under way. */
  readonly reportSignal: AbortSignal;
  /**
   * Epoch ms by which every attempt to record a report must have ended: later than the report
   * deadline, since a recorded report is never lost (the next holder sends it) while an
   * unrecorded one is (the processor runs again).
   */
  readonly recordDeadline: number;
  /** Aborts, at the record deadline, every attempt to record a report still under way. */
  readonly recordSignal: AbortSignal;
  /** Epoch ms at which a claim taken now expires. */
  readonly leaseExpiresAt: number;
  /** Whether the invocation still takes jobs (it stops at its deadline margin). */
  readonly taking: () => boolean;
  readonly summary: DrainSummary;
  /** The invocation's logger; each job adds its own keys. */
  readonly log: WorkerLogger;
  /**
   * Takes over work that must finish before the invocation ends but need not hold the job's
   * slot (recording a reported outcome, sending a report again). Without it, such work is
   * awaited in place.
   */
  readonly background?: (work: Promise<void>) => void;
}

/**
 * Ledger writes as a job's protocol makes them: a write that fails (after the SDK's retries)
 * is counted and logged, never thrown, and the claim is left to expire with its lease.
 */
export class LedgerSteps {
  readonly #ledger: NonceLedger;
  readonly #scrubber: SecretScrubber;
  readonly #now: () => number;

  constructor(ledger: NonceLedger, scrubber: SecretScrubber, now: () => number) {
    this.#ledger = ledger;
    this.#scrubber = scrubber;
    this.#now = now;
  }

  /**
   * Runs one ledger call; undefined when it failed.
   *
   * @param step - what the call does, for the log line (`claim`, `record`, ...)
   */
  async call<T>(
    run: JobRun,
    log: WorkerLogger,
    step: string,
    call: (ledger: NonceLedger, now: number) => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await call(this.#ledger, this.#now());
    } catch (error) {
      run.summary.ledgerErrors++;
      log.error(`nonce ledger ${step} failed; the claim expires with its lease`, {
        error: describeError(error, this.#scrubber),
      });
      return undefined;
    }
  }

  /** Records how the job ended. */
  async complete(
    claim: Claim,
    outcome: LedgerOutcome,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void> {
    if (outcome === 'abandoned') run.summary.abandoned++;
    const kept = await this.call(run, log, 'complete', (ledger, now) =>
      ledger.complete(claim, outcome, now),
    );
    if (kept === false) log.warn('claim was taken over before its outcome was recorded');
  }

  /** Gives the claim up at once, so another dispatch of the job can be claimed. */
  async release(claim: Claim, run: JobRun, log: WorkerLogger): Promise<void> {
    await this.call(run, log, 'release', (ledger, now) => ledger.release(claim, now));
  }
}
