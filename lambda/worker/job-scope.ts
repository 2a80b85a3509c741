/**
 * What one job holds while it runs in a slot: its work directory and the secret values it was
 * handed after it started (fresh credentials from `refreshJob`).
 *
 * The work directory's path is handed out only through {@link JobScope.workDirectory}: a job
 * whose processor never asked for it (most jobs write nothing to disk) ends without a call to
 * the file system.
 */
import { rm } from 'node:fs/promises';
import { describeError, type WorkerLogger } from './logging.js';
import type { SecretScrubber } from './secrets.js';

/** A job's work directory and late secret registrations, given up together when the job ends. */
export class JobScope {
  readonly #releases: Array<() => void> = [];
  readonly #workDirectory: string;
  #handedOut = false;

  constructor(workDirectory: string) {
    this.#workDirectory = workDirectory;
  }

  /** The job's work directory (not created): from now on, the job's end removes it. */
  get workDirectory(): string {
    this.#handedOut = true;
    return this.#workDirectory;
  }

  /** Keeps a secret registration until the job ends. */
  hold(release: () => void): void {
    this.#releases.push(release);
  }

  /**
   * Removes the work directory, if its path was ever handed out, and forgets the secrets; a
   * failure is logged, never thrown.
   */
  async end(log: WorkerLogger, scrubber: SecretScrubber): Promise<void> {
    try {
      if (this.#handedOut) await rm(this.#workDirectory, { recursive: true, force: true });
    } catch (error) {
      log.warn('could not remove the job work directory', {
        error: describeError(error, scrubber),
      });
    } finally {
      for (const release of this.#releases.splice(0)) release();
    }
  }
}
