/**
 * The ledger steps every path of a job shares.
 */
import type { Claim, LedgerOutcome, NonceLedger } from '../ports.js';
import type { JobRun } from './job-run.js';
import { describeError, type WorkerLogger } from './logging.js';
import type { SecretScrubber } from './secrets.js';

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
   * @param step - what the call does, for the log line (`complete`, `release`, ...)
   * @param failed - the log line when it fails, if the step's default does not fit
   */
  async call<T>(
    run: JobRun,
    log: WorkerLogger,
    step: string,
    call: (ledger: NonceLedger, now: number) => Promise<T>,
    failed = `nonce ledger ${step} failed; the claim expires with its lease`,
  ): Promise<T | undefined> {
    try {
      return await call(this.#ledger, this.#now());
    } catch (error) {
      run.summary.ledgerErrors++;
      log.error(failed, { error: describeError(error, this.#scrubber) });
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
