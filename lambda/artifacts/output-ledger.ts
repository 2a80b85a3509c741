/**
 * Which of a job's output artifacts were written: each at most once in the action execution
 * (an output an earlier job of it wrote is written again only when asked to replace it), and
 * every one of them before the job may report success.
 */
import type { JobOutcome } from '../job/outcome.js';
import { OutputArtifactError } from './errors.js';

type OutputState = 'writing' | 'written';

/** How one write of an output is made. */
export interface OutputWrite {
  /** The output as messages name it. */
  readonly about: string;
  /** The call that writes it, as a message tells the processor to call it again. */
  readonly call: string;
  /** Writes it even when an earlier job of the action execution wrote it. */
  readonly replace?: boolean;
}

/** The outputs of one job and which of them were written. */
export class OutputLedger {
  readonly #declared: readonly string[];
  readonly #writtenBefore: (name: string) => Promise<boolean | undefined>;
  readonly #states = new Map<string, OutputState>();
  /** Outputs an earlier job wrote, once the store said so: they stay written. */
  readonly #before = new Set<string>();

  /**
   * @param declared - the job's output artifact names
   * @param writtenBefore - whether an earlier job of the same action execution wrote an
   *   output (false at once for the execution's first job); undefined when the store would not
   *   say (its answer was a 403: the job's credentials may not read the object); throws when
   *   it could not be asked
   */
  constructor(
    declared: readonly string[],
    writtenBefore: (name: string) => Promise<boolean | undefined>,
  ) {
    this.#declared = declared;
    this.#writtenBefore = writtenBefore;
  }

  /**
   * Runs `write` as the one write of output `name`: refused while another write of it is
   * under way, after one succeeded, and when an earlier job of the action execution wrote it
   * (unless `replace`); a write that fails, or is refused, leaves the output unwritten.
   */
  async write<T>(name: string, how: OutputWrite, write: () => Promise<T>): Promise<T> {
    const state = this.#states.get(name);
    if (state) {
      throw new OutputArtifactError(
        `${how.about}: ${state === 'written' ? 'was already written' : 'is being written'}; each output artifact is written once`,
        { artifactName: name },
      );
    }
    this.#states.set(name, 'writing');
    try {
      // Refused only when the store said so: a store that would not say lets the write go.
      if (!how.replace && (await this.#earlier(name)) === true) {
        throw new OutputArtifactError(
          `${how.about}: an earlier job of this action execution already wrote it; each output artifact is written once (to replace it on purpose, pass { replace: true } to ${how.call})`,
          { artifactName: name },
        );
      }
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
   * The outcome to report: a success that left declared outputs unwritten (by this job and
   * by the earlier jobs of its action execution) becomes a failure naming them. Other
   * outcomes pass unchanged.
   */
  async check(outcome: JobOutcome): Promise<JobOutcome> {
    if (outcome.kind !== 'success') return outcome;
    const missing: string[] = [];
    for (const name of this.#declared) {
      // Missing only when the store said so: one that would not say fails no success.
      if (!this.written(name) && (await this.#earlier(name)) === false) missing.push(name);
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

  async #earlier(name: string): Promise<boolean | undefined> {
    if (this.#before.has(name)) return true;
    const before = await this.#writtenBefore(name);
    if (before) this.#before.add(name);
    return before;
  }
}
