/**
 * Which of a job's output artifacts were written: each at most once, and every one of them
 * before the job may report success.
 */
import type { JobOutcome } from '../job/outcome.js';
import { OutputArtifactError } from './errors.js';

type OutputState = 'writing' | 'written';

/** The outputs of one job and which of them were written. */
export class OutputLedger {
  readonly #declared: readonly string[];
  readonly #states = new Map<string, OutputState>();

  /** @param declared - the job's output artifact names */
  constructor(declared: readonly string[]) {
    this.#declared = declared;
  }

  /**
   * Runs `write` as the one write of output `name`: refused while another write of it is
   * under way or after one succeeded; a write that fails leaves the output unwritten.
   *
   * @param about - the output as messages name it
   */
  async write<T>(name: string, about: string, write: () => Promise<T>): Promise<T> {
    const state = this.#states.get(name);
    if (state) {
      throw new OutputArtifactError(
        `${about}: ${state === 'written' ? 'was already written' : 'is being written'}; each output artifact is written once`,
        { artifactName: name },
      );
    }
    this.#states.set(name, 'writing');
    try {
      const result = await write();
      this.#states.set(name, 'written');
      return result;
    } catch (error) {
      this.#states.delete(name);
      throw error;
    }
  }

  /** Whether output `name` was written by this job. */
  written(name: string): boolean {
    return this.#states.get(name) === 'written';
  }

  /**
   * The outcome to report: a success that left declared outputs unwritten becomes a failure
   * naming them. Other outcomes pass unchanged.
   *
   * @param writtenBefore - whether an unwritten output was already written by an earlier job
   *   of the same action execution (a continuation)
   */
  async check(
    outcome: JobOutcome,
    writtenBefore: (name: string) => Promise<boolean>,
  ): Promise<JobOutcome> {
    if (outcome.kind !== 'success') return outcome;
    const missing: string[] = [];
    for (const name of this.#declared) {
      if (!this.written(name) && !(await writtenBefore(name))) missing.push(name);
    }
    if (missing.length === 0) return outcome;
    const list = missing.map((name) => `"${name}"`).join(', ');
    return {
      kind: 'failure',
      failureType: 'JobFailed',
      message: `The job reported success without writing its output artifact${missing.length > 1 ? 's' : ''} ${list}: each declared output must be uploaded before the job succeeds`,
      externalExecutionId: outcome.externalExecutionId,
    };
  }
}
