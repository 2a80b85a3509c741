/**
 * The text report of a local run, shared by `npm start` and `codepipeline-job-worker run`: what
 * made the run fail first, then a table with one line per job, then the totals. A column is one
 * entry of {@link REPORT_COLUMNS}. Cells and invocation errors can hold a processor's or an
 * entry's text, and the report goes to a terminal: their control characters are written as
 * visible escapes, so no text can clear the screen, move the cursor or overwrite the verdict.
 */
import { escapeControls } from '../../lambda/worker/safe-text.js';
import type { LocalJobReport, LocalRunProgress, LocalRunResult } from './options.js';

/** One column of the job table: its header and how a job's cell reads. */
/** The longest message the table shows; the report's `message` and `--json` hold more. */
const TABLE_MESSAGE_LENGTH = 60;

const cut = (text: string, max: number) =>
  text.length <= max ? text : `${text.slice(0, max - 3)}...`;

export interface ReportColumn {
  readonly header: string;
  cell(job: LocalJobReport): string;
}

/** The columns of the job table, in order: add one here to show more of each job. */
export const REPORT_COLUMNS: readonly ReportColumn[] = [
  { header: 'job', cell: (job) => job.jobId.slice(0, 8) },
  { header: 'kind', cell: (job) => job.name },
  {
    header: 'outcome',
    cell: (job) => {
      const notes = [job.endedBy, job.failureType].filter(Boolean);
      return notes.length > 0 ? `${job.outcome} (${notes.join(', ')})` : job.outcome;
    },
  },
  { header: 'jobs', cell: (job) => String(job.jobs) },
  { header: 'acks', cell: (job) => String(job.acknowledgements) },
  { header: 'nonces', cell: (job) => String(job.nonces) },
  { header: 'results', cell: (job) => String(job.results) },
  { header: 'runs', cell: (job) => String(job.processorRuns) },
  { header: 'time', cell: (job) => `${job.seconds.toFixed(1)} s` },
  {
    header: 'message',
    cell: (job) => `${job.problem ? '! ' : ''}${cut(job.message ?? '', TABLE_MESSAGE_LENGTH)}`,
  },
];

/** The job table, columns padded to their widest cell; cells with controls escaped. */
export function jobTable(
  jobs: readonly LocalJobReport[],
  columns: readonly ReportColumn[] = REPORT_COLUMNS,
): string {
  const header = columns.map((column) => escapeControls(column.header));
  const rows = jobs.map((job) => columns.map((column) => escapeControls(column.cell(job))));
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The run's totals, three lines. */
export function totalsText(result: LocalRunResult): string {
  const t = result.totals;
  return [
    `succeeded ${t.succeeded}, failed ${t.failed}, continued ${t.continued}, unfinished ${t.unfinished}, duplicates skipped ${t.duplicatesSkipped}`,
    `duplicate dispatches ${t.duplicateDispatches}, re-dispatches ${t.redispatches}, processor runs ${t.processorRuns}, processed twice ${t.processedTwice}, reported twice ${t.reportedTwice}, secret values in logs ${t.secretsInLogs}`,
    `${t.invocations} invocations (${t.failedInvocations} failed)${stopEventsText(result)} in ${t.seconds.toFixed(1)} s; worker logs: ${result.logFile}`,
  ].join('\n');
}

/** The stop events handed to the handler, when there were any. */
function stopEventsText(result: LocalRunResult): string {
  const { delivered, failed } = result.stopEvents ?? { delivered: 0, failed: 0 };
  return delivered === 0 ? '' : `, ${delivered} of them stop events (${failed} failed)`;
}

/** Why the run failed, first of all: one line per problem. Empty when the run is ok. */
export function problemsText(result: LocalRunResult): string {
  if (result.problems.length === 0) return '';
  const count = result.problems.length;
  const lines = result.problems.map((problem) => `  - ${escapeControls(problem)}\n`).join('');
  return `FAILED (${count} ${count === 1 ? 'problem' : 'problems'}):\n${lines}`;
}

/**
 * The whole report: what made the run fail (at the top), the table, the totals, the errors of
 * failed invocations, the verdict.
 */
export function runReport(result: LocalRunResult): string {
  const errors = result.invocationErrors
    .map((error) => `invocation failed: ${escapeControls(error)}\n`)
    .join('');
  const verdict = result.ok
    ? 'OK: every job finished exactly once.'
    : 'FAILED: see the problems at the top.';
  return `${problemsText(result)}\n${jobTable(result.jobs)}\n\n${totalsText(result)}\n${errors}${verdict}\n`;
}

/** One progress line, for stderr. */
export function progressLine(progress: LocalRunProgress): string {
  return `  tick ${progress.tick}: ${progress.finished}/${progress.total} jobs finished (${(progress.elapsedMs / 1000).toFixed(1)} s)\n`;
}

/**
 * The `--json` output, on one line: the verdict, the totals, the problems, each job's outcome
 * and message, and the calls that failed because of the local world.
 */
export function totalsJson(result: LocalRunResult): string {
  return `${JSON.stringify({
    ok: result.ok,
    ...result.totals,
    problems: result.problems,
    jobReports: result.jobs.map((job) => ({
      name: job.name,
      jobId: job.jobId,
      outcome: job.outcome,
      failureType: job.failureType,
      message: job.message,
      problem: job.problem,
      endedBy: job.endedBy,
      stopped: job.stopped,
    })),
    standInCalls: result.standIns.calls.length,
    standInFailures: result.standIns.failures,
  })}\n`;
}
