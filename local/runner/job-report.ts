/**
 * What happened to each job, read from the emulator's own record of every call it received
 * (never from the worker's word): outcome, results, nonces, acknowledgements, continuations.
 */

import { unwrapToken } from '../../lambda/worker/continuation.js';
import type { CallRecord, JobView, RunningEmulator } from '../emulator/index.js';
import { jobChain } from '../job-chain.js';
import type {
  LocalJobExpectation,
  LocalJobReport,
  LocalOutputReport,
  LocalRunTotals,
  LocalStopReport,
} from './options.js';
import { jobProblem, type Undecided } from './verdict.js';

/** Job statuses after which nothing more happens. */
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['Succeeded', 'Failed', 'TimedOut']);

type Loose = Record<string, unknown>;
const record = (value: unknown): Loose =>
  typeof value === 'object' && value !== null ? (value as Loose) : {};
const text = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : undefined;

/** The fields of a PutJob*Result request the report shows. */
function resultFields(call: CallRecord | undefined): {
  failureType?: string;
  failureMessage?: string;
  summary?: string;
  outputVariables?: Record<string, string>;
} {
  const request = record(call?.request);
  if (call?.operation === 'PutJobFailureResult') {
    const details = record(request.failureDetails);
    return { failureType: text(details.type), failureMessage: text(details.message) };
  }
  const variables = record(request.outputVariables);
  const outputVariables = Object.fromEntries(
    Object.entries(variables).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
  return {
    summary: text(record(request.executionDetails).summary),
    ...(Object.keys(outputVariables).length > 0 ? { outputVariables } : {}),
  };
}

/** Extra deliveries of each nonce, less the extra results: the duplicates that were skipped. */
function skippedDuplicates(view: JobView): number {
  const extraDeliveries = view.nonces.reduce(
    (n, nonce) => n + Math.max(0, nonce.deliveries - 1),
    0,
  );
  return Math.max(0, extraDeliveries - Math.max(0, view.results.length - 1));
}

/** What the job uploaded to each of its output artifacts, as the artifact store recorded it. */
async function outputsOf(
  emulator: RunningEmulator,
  view: JobView | undefined,
): Promise<Record<string, LocalOutputReport>> {
  const outputs: Record<string, LocalOutputReport> = {};
  for (const { name } of view?.data.outputArtifacts ?? []) {
    const output = await emulator.jobOutput(view?.jobId ?? '', name);
    outputs[name] = {
      bytes: output.object?.bytes ?? 0,
      entries: (output.object?.entries ?? []).map((entry) => entry.path),
      ...(output.encryption?.serverSideEncryption
        ? { serverSideEncryption: output.encryption.serverSideEncryption }
        : {}),
      ...(output.encryption?.kmsKeyId ? { kmsKeyId: output.encryption.kmsKeyId } : {}),
    };
  }
  return outputs;
}

/**
 * How many times the processor started for each job id, from the worker's log lines (the
 * worker logs every start).
 *
 * @param logText - the worker's log lines, JSON, one a line
 */
export function processorStarts(logText: string): Map<string, number> {
  return countLines(logText, '"job processor started"');
}

/**
 * How many of those starts, for each job id, were checks the worker ran again on the same job
 * within its invocation (`checkAfterSeconds`): runs of the same claim, not a second processing.
 *
 * @param logText - the worker's log lines, JSON, one a line
 */
export function checkAgainRuns(logText: string): Map<string, number> {
  return countLines(logText, '"job checked again"');
}

function countLines(logText: string, message: string): Map<string, number> {
  const starts = new Map<string, number>();
  for (const line of logText.split('\n')) {
    if (!line.includes(message)) continue;
    try {
      const { jobId } = JSON.parse(line) as { jobId?: unknown };
      if (typeof jobId === 'string') starts.set(jobId, (starts.get(jobId) ?? 0) + 1);
    } catch {
      // Not a log line of the worker's (a processor's own output): not a start.
    }
  }
  return starts;
}

/** What a job's report is judged by, besides the emulator's record. */
export interface JobJudgement {
  /** What the plan says the job is meant to end with. */
  readonly expect?: LocalJobExpectation;
  /** What processors did that was not a decision, by job id. */
  readonly undecided: Undecided;
  /** Free text made fit to print on one line (secret values removed, controls escaped, cut). */
  readonly display: (text: string) => string;
  /** What the plan's stop of the chain did, when the plan has one. */
  readonly stop?: LocalStopReport;
}

/** Whether a job is done for the run: its chain ended, or it continued as it was meant to. */
export function settled(outcome: string, continuations: number, expect?: LocalJobExpectation) {
  return FINAL_STATUSES.has(outcome) || (expect?.outcome === 'continue' && continuations > 0);
}

export async function reportJob(
  emulator: RunningEmulator,
  jobId: string,
  name: string,
  starts: ReadonlyMap<string, number>,
  judgement: JobJudgement,
): Promise<LocalJobReport> {
  const views = jobChain(emulator, jobId);
  const last = views.at(-1);
  const start = Date.parse(views[0]?.createdAt ?? '');
  const end = last?.completedAt ? Date.parse(last.completedAt) : Date.now();
  const tokens = views.flatMap((view) => {
    // On the wire the worker's envelope holds the processor's token: report the processor's.
    const token = unwrapToken(text(record(view.results.at(-1)?.request).continuationToken));
    return token.continuationToken === undefined ? [] : [token.continuationToken];
  });
  const fields = resultFields(last?.results.at(-1));
  const shown = fields.failureMessage ?? fields.summary;
  const report: LocalJobReport = {
    jobId,
    name,
    outcome: last?.status ?? 'Unknown',
    ...fields,
    ...(shown !== undefined ? { message: judgement.display(shown) } : {}),
    ...(judgement.expect ? { expect: judgement.expect } : {}),
    jobs: views.length,
    continuations: views.length - 1,
    continuationTokens: tokens,
    acknowledgements: views.reduce((n, v) => n + v.acknowledgements.length, 0),
    nonces: views.reduce((n, v) => n + v.nonces.length, 0),
    results: views.reduce((n, v) => n + v.results.length, 0),
    processorRuns: views.reduce((n, v) => n + (starts.get(v.jobId) ?? 0), 0),
    duplicatesSkipped: views.reduce((n, v) => n + skippedDuplicates(v), 0),
    outputs: await outputsOf(emulator, last),
    seconds: (end - start) / 1000,
    ...(judgement.stop ? { stopped: judgement.stop } : {}),
    ...(last?.stopped ? { endedBy: last.stopped.how } : {}),
  };
  const undecided = views
    .map((view) => judgement.undecided.get(view.jobId))
    .find((what) => what !== undefined);
  const problem = jobProblem(report, undecided);
  return problem === undefined ? report : { ...report, problem };
}

export interface RunCounts {
  readonly duplicatesSkipped: number;
  readonly invocations: number;
  readonly failedInvocations: number;
  readonly secretsInLogs: number;
  readonly seconds: number;
}

export function runTotals(
  emulator: RunningEmulator,
  jobs: readonly LocalJobReport[],
  counts: RunCounts,
  starts: ReadonlyMap<string, number>,
  checks: ReadonlyMap<string, number> = new Map(),
): LocalRunTotals {
  const allViews = jobs.flatMap(({ jobId }) => jobChain(emulator, jobId));
  return {
    jobs: jobs.length,
    succeeded: jobs.filter((j) => j.outcome === 'Succeeded').length,
    failed: jobs.filter((j) => j.outcome === 'Failed' || j.outcome === 'TimedOut').length,
    continued: jobs.reduce((n, j) => n + j.continuations, 0),
    unfinished: jobs.filter((j) => !settled(j.outcome, j.continuations, j.expect)).length,
    duplicatesSkipped: counts.duplicatesSkipped,
    duplicateDispatches: allViews.reduce(
      (n, v) => n + v.nonces.filter((nonce) => nonce.deliveries > 1).length,
      0,
    ),
    redispatches: allViews.reduce((n, v) => n + Math.max(0, v.nonces.length - 1), 0),
    processorRuns: jobs.reduce((n, j) => n + j.processorRuns, 0),
    processedTwice: allViews.filter(
      (v) => (starts.get(v.jobId) ?? 0) - (checks.get(v.jobId) ?? 0) > 1,
    ).length,
    reportedTwice: allViews.filter((v) => v.results.length > 1).length,
    invocations: counts.invocations,
    failedInvocations: counts.failedInvocations,
    secretsInLogs: counts.secretsInLogs,
    seconds: counts.seconds,
  };
}
