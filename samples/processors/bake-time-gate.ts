/**
 * Sample processor: a bake-time gate. The action succeeds once `BakeTimeSeconds` have passed
 * since the job first ran; short waits happen in the invocation, longer ones continue across
 * continuation tokens (CodePipeline hands the token back in a new job), reporting progress.
 */
import type { Job, JobOutcome, JobProcessor, ProcessingContext } from '../../lambda/index.js';

export const BAKE_TIME_PROPERTY = 'BakeTimeSeconds';
/** The custom action timeout: a longer bake could never finish. */
const MAX_BAKE_SECONDS = 86_400;
const TOKEN_VERSION = 1;

export interface BakeTimeGateOptions {
  /** Waits up to this long inside one invocation; longer bakes continue. @default 10_000 */
  readonly maxInlineWaitMs?: number;
}

interface BakeToken {
  readonly v: number;
  readonly startedAt: number;
}

function readToken(token: string): BakeToken | undefined {
  try {
    const parsed = JSON.parse(token) as Partial<BakeToken>;
    const startedAt = parsed.startedAt;
    // A time a Date can hold (|ms| <= 8.64e15), so a forged token cannot break the date maths.
    if (
      parsed.v === TOKEN_VERSION &&
      Number.isSafeInteger(startedAt) &&
      Math.abs(startedAt as number) <= 8.64e15
    ) {
      return parsed as BakeToken;
    }
  } catch {
    // Not JSON: answered below as a token this processor did not issue.
  }
  return undefined;
}

function readBakeSeconds(job: Job): number | string {
  const raw = job.configuration[BAKE_TIME_PROPERTY];
  if (raw === undefined || raw.trim() === '') return `${BAKE_TIME_PROPERTY} is required`;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value > MAX_BAKE_SECONDS) {
    return `${BAKE_TIME_PROPERTY} must be a whole number of seconds from 0 to ${MAX_BAKE_SECONDS}`;
  }
  return value;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Builds the bake-time gate processor. */
export function bakeTimeGate(options: BakeTimeGateOptions = {}): JobProcessor {
  const maxInlineWaitMs = options.maxInlineWaitMs ?? 10_000;
  return {
    name: 'bake-time-gate',
    async process(job: Job, context: ProcessingContext): Promise<JobOutcome> {
      const bakeSeconds = readBakeSeconds(job);
      if (typeof bakeSeconds === 'string') {
        return { kind: 'failure', failureType: 'ConfigurationError', message: bakeSeconds };
      }
      let startedAt = context.now();
      if (job.continuationToken !== undefined) {
        const token = readToken(job.continuationToken);
        if (!token) {
          return {
            kind: 'failure',
            failureType: 'JobFailed',
            message: 'The continuation token was not issued by the bake-time gate',
          };
        }
        startedAt = token.startedAt;
      }
      const bakeMs = bakeSeconds * 1000;
      let left = startedAt + bakeMs - context.now();
      const budget = Math.min(maxInlineWaitMs, context.deadline - context.now() - 1_000);
      if (left > 0 && left <= budget) {
        context.logger.debug('baking inside this invocation', { waitMs: left });
        await sleep(left, context.signal);
        left = startedAt + bakeMs - context.now();
      }
      if (left > 0) {
        const percentComplete = Math.floor(((bakeMs - left) / bakeMs) * 100);
        return {
          kind: 'continue',
          continuationToken: JSON.stringify({ v: TOKEN_VERSION, startedAt }),
          percentComplete,
          summary: `Baking: ${Math.ceil(left / 1000)} s of ${bakeSeconds} s left`,
        };
      }
      return {
        kind: 'success',
        summary: `Baked for ${bakeSeconds} s`,
        outputVariables: {
          BakeTimeSeconds: String(bakeSeconds),
          BakeStartedAt: new Date(startedAt).toISOString(),
        },
      };
    },
  };
}
