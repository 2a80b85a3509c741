/**
 * Decorators on the worker's ports (JobService, NonceLedger) that simulate a
 * worker dying at a chosen step of a job's life. In `hang` mode the step's real call is made
 * and then the process is "dead": that call and every later port call never settle, so
 * nothing more leaves the invocation (like a SIGKILL). In `throw` mode the step's real call
 * is made and its answer is lost: the worker gets an error instead and carries on. A death
 * in the middle of processing is a processor that calls `kill()` during its side effect.
 */
import type { JobService, NonceLedger } from '../../lambda/ports.js';
import { never } from './reliability.js';

export const CRASH_STEPS = [
  'after-claim',
  'after-acknowledge',
  'during-processing',
  // The processor returned and its report was recorded; the report was never sent.
  'after-record',
  'after-report',
] as const;
export type CrashStep = (typeof CRASH_STEPS)[number];
export type CrashMode = 'hang' | 'throw';

export class LostAnswerError extends Error {
  constructor(step: string) {
    super(`simulated: the answer to ${step} was lost`);
    this.name = 'LostAnswerError';
  }
}

export interface CrashSwitch {
  readonly step: CrashStep;
  readonly mode: CrashMode;
  /** Resolves when the step was reached (and, in hang mode, the worker died). */
  readonly reached: Promise<void>;
  readonly dead: boolean;
  jobs(inner: JobService): JobService;
  ledger(inner: NonceLedger): NonceLedger;
  /** Kills the worker now (for a processor that dies in the middle of its side effect). */
  kill(): Promise<never>;
}

/**
 * A crash at `step` of the job `jobId`'s life (other jobs pass through).
 *
 * @example
 * const crash = crashAt('after-acknowledge', 'hang', jobId);
 * const handler = stack.handler(env, { jobs: crash.jobs(ports.jobs), ledger: crash.ledger(ports.ledger) });
 */
export function crashAt(step: CrashStep, mode: CrashMode, jobId: string): CrashSwitch {
  let dead = false;
  let fired = false;
  let reach: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  /** Runs a port call; at the crash step, kills (hang) or loses the answer (throw). */
  const guard = async <T>(isStep: boolean, call: () => Promise<T>): Promise<T> => {
    if (dead) return never();
    const result = await call();
    if (!isStep || fired) return result;
    fired = true;
    reach();
    if (mode === 'throw') throw new LostAnswerError(step);
    dead = true;
    return never();
  };
  return {
    step,
    mode,
    reached,
    get dead() {
      return dead;
    },
    jobs: (inner) => ({
      poll: (max) => guard(false, () => inner.poll(max)),
      acknowledge: (id, nonce) =>
        guard(step === 'after-acknowledge' && id === jobId, () => inner.acknowledge(id, nonce)),
      getJob: (id, nonce) => guard(false, () => inner.getJob(id, nonce)),
      succeed: (id, report, options) =>
        guard(step === 'after-report' && id === jobId, () => inner.succeed(id, report, options)),
      fail: (id, report, options) =>
        guard(step === 'after-report' && id === jobId, () => inner.fail(id, report, options)),
    }),
    ledger: (inner) => ({
      claim: async (request) => {
        if (dead) return never();
        const result = await inner.claim(request);
        if (step !== 'after-claim' || request.jobId !== jobId || result.kind !== 'claimed') {
          return result;
        }
        return guard(true, async () => result);
      },
      takeOver: (id, now, lease) => guard(false, () => inner.takeOver(id, now, lease)),
      record: (claim, report, now) =>
        guard(step === 'after-record' && claim.jobId === jobId, () =>
          inner.record(claim, report, now),
        ),
      complete: (claim, outcome, now) => guard(false, () => inner.complete(claim, outcome, now)),
      release: (claim, now) => guard(false, () => inner.release(claim, now)),
      findExpired: (now, limit) => guard(false, () => inner.findExpired(now, limit)),
    }),
    kill() {
      dead = true;
      reach();
      return never();
    },
  };
}
