/**
 * The verdict of a local run: what made it fail, one line each, the local world's failures
 * first. A job fails the run when it does not end as its `expect` says, or, without one, when
 * its processor did not decide its outcome (it threw something other than `JobFailureError`,
 * or missed its deadline); a call nothing stood in for fails the run whatever the jobs did.
 */
import type { StandInFailure } from '../stand-ins/types.js';
import type { LocalJobExpectation, LocalJobReport, LocalRunTotals } from './options.js';

/** What a processor did that was not a decision, by job id, from the worker's log lines. */
export type Undecided = ReadonlyMap<string, string>;

/**
 * The jobs whose processor threw (anything but a `JobFailureError`) or missed its deadline,
 * and what it threw, from the worker's log lines (JSON, one a line).
 *
 * @param logText - the worker's log lines
 */
export function undecidedJobs(logText: string): Map<string, string> {
  const undecided = new Map<string, string>();
  for (const line of logText.split('\n')) {
    const threw = line.includes('"job processor threw"');
    const late = line.includes('"job processor missed the invocation deadline"');
    if (!threw && !late) continue;
    try {
      const parsed = JSON.parse(line) as {
        jobId?: unknown;
        error?: { name?: unknown; message?: unknown };
      };
      if (typeof parsed.jobId !== 'string') continue;
      undecided.set(
        parsed.jobId,
        late
          ? 'the processor did not finish before the invocation deadline'
          : `the processor threw ${String(parsed.error?.name ?? 'Error')}: ${String(parsed.error?.message ?? '')}`,
      );
    } catch {
      // A processor's own output, not a line of the worker's.
    }
  }
  return undecided;
}

const OUTCOMES: Record<LocalJobExpectation['outcome'], string> = {
  success: 'Succeeded',
  failure: 'Failed',
  continue: 'continued',
  stopped: 'stopped',
};

/** Statuses after which nothing more happens to a job. */
const FINAL = new Set(['Succeeded', 'Failed', 'TimedOut']);

/** How a job ended, in a few words. */
function ended(job: LocalJobReport): string {
  const type = job.failureType ? ` (${job.failureType})` : '';
  const by = job.endedBy ? ` (${job.endedBy})` : '';
  const message = job.message ? `: ${job.message}` : '';
  return `${job.outcome}${by}${type}${message}`;
}

/** Why the plan's stop of the chain did not happen, if it did not. */
function stopMissed(job: LocalJobReport): string | undefined {
  const stop = job.stopped;
  if (stop === undefined || stop.at !== undefined) return undefined;
  const when = `${stop.mode} after ${stop.afterContinuations} continuation${stop.afterContinuations === 1 ? '' : 's'}, while ${stop.while}`;
  if (stop.error !== undefined) return `the planned stop (${when}) failed: ${stop.error}`;
  return `the planned stop (${when}) never happened: the chain ended ${ended(job)} after ${job.continuations} continuation${job.continuations === 1 ? '' : 's'}`;
}

/** What is wrong with a job's end, against its expectation; undefined when it is as expected. */
function unmet(job: LocalJobReport, expect: LocalJobExpectation): string | undefined {
  const wanted = [
    OUTCOMES[expect.outcome],
    expect.failureType ? ` (${expect.failureType})` : '',
    expect.messageIncludes ? ` with "${expect.messageIncludes}"` : '',
  ].join('');
  const outcomeMet =
    expect.outcome === 'continue'
      ? job.continuations > 0
      : expect.outcome === 'stopped'
        ? job.stopped?.at !== undefined && FINAL.has(job.outcome)
        : job.outcome === OUTCOMES[expect.outcome];
  const typeMet = expect.failureType === undefined || job.failureType === expect.failureType;
  const text = expect.outcome === 'failure' ? job.failureMessage : job.summary;
  const messageMet =
    expect.messageIncludes === undefined || (text ?? '').includes(expect.messageIncludes);
  if (outcomeMet && typeMet && messageMet) return undefined;
  return `expected ${wanted}, ended ${ended(job)}`;
}

/**
 * Why a job fails the run, if it does.
 *
 * @param job - its report (its `expect` included)
 * @param undecided - what its processor did that was not a decision, in any job of its chain
 */
export function jobProblem(job: LocalJobReport, undecided: string | undefined): string | undefined {
  const missed = stopMissed(job);
  if (missed !== undefined) return missed;
  if (job.expect) return unmet(job, job.expect);
  if (undecided === undefined) return undefined;
  return `${undecided} (a bug, not a decision: return failure() or throw JobFailureError, or state the job's expect)`;
}

/** The local world's failures, one line per service and operation, with how many calls. */
function standInLines(failures: readonly StandInFailure[]): string[] {
  const counted = new Map<string, { failure: StandInFailure; calls: number }>();
  for (const failure of failures) {
    const key = `${failure.kind} ${failure.service} ${failure.operation}`;
    const entry = counted.get(key);
    if (entry) entry.calls++;
    else counted.set(key, { failure, calls: 1 });
  }
  return [...counted.values()].map(
    ({ failure, calls }) => `${failure.message}${calls > 1 ? ` (${calls} calls)` : ''}`,
  );
}

/**
 * Every reason the run fails, one line each: the local world's failures first (each naming
 * the service, the operation and the variable), then the jobs', then the run's figures.
 */
export function runProblems(
  jobs: readonly LocalJobReport[],
  totals: LocalRunTotals,
  failures: readonly StandInFailure[],
): string[] {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  return [
    ...standInLines(failures),
    ...jobs.flatMap((job) =>
      job.problem ? [`job ${job.name} (${job.jobId.slice(0, 8)}): ${job.problem}`] : [],
    ),
    ...(totals.unfinished > 0
      ? [`${plural(totals.unfinished, 'job', 'jobs')} did not finish before the time limit`]
      : []),
    ...(totals.processedTwice > 0
      ? [`${plural(totals.processedTwice, 'job was', 'jobs were')} processed twice`]
      : []),
    ...(totals.reportedTwice > 0
      ? [`${plural(totals.reportedTwice, 'job was', 'jobs were')} reported twice`]
      : []),
    ...(totals.secretsInLogs > 0
      ? [`${plural(totals.secretsInLogs, 'log line holds', 'log lines hold')} a secret value`]
      : []),
  ];
}
