/**
 * What one job holds while it runs in a slot: its work directory and the secret values it was
 * handed after it started (fresh credentials from `refreshJob`).
 */
import { rm } from 'node:fs/promises';
import { describeError, type WorkerLogger } from './logging.js';
import type { SecretScrubber } from './secrets.js';

/** A job's work directory and late secret registrations, given up together when the job ends. */
export class JobScope {
  readonly #releases: Array<() => void> = [];

  constructor(readonly workDirectory: string) {}

  /** Keeps a secret registration until the job ends. */
  hold(release: () => void): void {
    this.#releases.push(release);
  }

  /** Removes the work directory and forgets the secrets; a failure is logged, never thrown. */
  async end(log: WorkerLogger, scrubber: SecretScrubber): Promise<void> {
    try {
      await rm(this.workDirectory, { recursive: true, force: true });
    } catch (error) {
      log.warn('could not remove the job work directory', {
        error: describeError(error, scrubber),
      });
    } finally {
      for (const release of this.#releases.splice(0)) release();
    }
  }
}
