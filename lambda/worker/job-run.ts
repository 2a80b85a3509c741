/**
 * What one job needs of the invocation it runs in: its times, counters, logger, and where
 * trailing work goes.
 */
import type { DrainSummary } from './counters.js';
import type { WorkerLogger } from './logging.js';

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
  /** Epoch ms at which the invocation stops taking jobs: its deadline less the margin. */
  readonly stopTakingAt: number;
  /**
   * Puts a job that asked to be checked again back in the invocation's queue at `at` (epoch
   * ms), ahead of new polls, holding no slot until then: `resume` runs in a slot; `giveUp`
   * runs instead, outside any slot, when the invocation stops taking jobs first. Without it, a
   * job that asks to be checked again continues as a continuation.
   */
  readonly checkAgainAt?: (at: number, check: WaitingCheck) => void;
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

/** A job waiting, within the invocation, to be checked again. */
export interface WaitingCheck {
  /** Runs the job's processor again (in a slot), or ends the job if it was stopped meanwhile. */
  resume(): Promise<void>;
  /** Sends the job's recorded continue report instead: the invocation has no time left. */
  giveUp(reason: string): Promise<void>;
}
