/**
 * Figures of the reliability scenarios: each scenario reports one row, and `printFigures`
 * (call it from `afterAll`) writes the rows as a table on stderr. When
 * `RELIABILITY_FIGURES_FILE` is set, rows are also appended there as JSON lines, so that a
 * script can gather the rows of every test file into one table.
 */
import { appendFileSync } from 'node:fs';
import type { RunningEmulator } from '../../local/emulator/index.js';

export interface ScenarioFigures {
  readonly scenario: string;
  readonly jobs: number;
  /** Handler invocations (processes included). */
  readonly workers: number;
  /** Faults injected on both services (throttling, 5xx, lost responses, duplicates, crashes). */
  readonly faultsInjected: number;
  readonly duplicatesSkipped: number;
  /** Result calls (PutJob*Result) that reached each job, smallest and largest. */
  readonly resultsPerJob: { readonly min: number; readonly max: number };
  /**
   * Times the processor started, per job whose processor started at all, smallest and
   * largest: "processed twice" means a max of 2. Undefined when no processor ran.
   */
  readonly processorRunsPerJob: { readonly min: number; readonly max: number } | undefined;
  readonly secretHits: number;
  readonly seconds: number;
}

const rows: ScenarioFigures[] = [];

/** Records a scenario's figures for the table printed at the end of the file. */
export function recordFigures(figures: ScenarioFigures): void {
  rows.push(figures);
  const file = process.env.RELIABILITY_FIGURES_FILE;
  if (file) appendFileSync(file, `${JSON.stringify(figures)}\n`);
}

/** Smallest and largest number of result calls that reached the given jobs. */
export function resultsPerJob(
  emulator: RunningEmulator,
  jobIds: readonly string[],
): { min: number; max: number } {
  const counts = jobIds.map((id) => emulator.getJob(id)?.results.length ?? 0);
  return { min: Math.min(...counts), max: Math.max(...counts) };
}

/**
 * Smallest and largest number of processor starts of the given jobs whose processor started;
 * undefined when none did.
 *
 * @param runs - one entry per start of the processor (a counting processor's `runs`)
 */
export function processorRunsPerJob(
  runs: readonly { readonly jobId: string }[],
  jobIds: readonly string[],
): { min: number; max: number } | undefined {
  const counts = jobIds
    .map((id) => runs.filter((run) => run.jobId === id).length)
    .filter((count) => count > 0);
  return counts.length === 0 ? undefined : { min: Math.min(...counts), max: Math.max(...counts) };
}

const range = (value: { min: number; max: number } | undefined) =>
  value ? `${value.min}..${value.max}` : '-';

const COLUMNS: readonly [string, (row: ScenarioFigures) => string][] = [
  ['scenario', (row) => row.scenario],
  ['jobs', (row) => String(row.jobs)],
  ['workers', (row) => String(row.workers)],
  ['faults', (row) => String(row.faultsInjected)],
  ['dup skipped', (row) => String(row.duplicatesSkipped)],
  ['results/job', (row) => range(row.resultsPerJob)],
  ['runs/job', (row) => range(row.processorRunsPerJob)],
  ['secret hits', (row) => String(row.secretHits)],
  ['s', (row) => row.seconds.toFixed(1)],
];

/** The rows as a table, one line per scenario. */
export function formatFigures(figures: readonly ScenarioFigures[]): string {
  const cells = [
    COLUMNS.map(([name]) => name),
    ...figures.map((row) => COLUMNS.map(([, f]) => f(row))),
  ];
  const widths = COLUMNS.map((_, i) => Math.max(...cells.map((line) => (line[i] ?? '').length)));
  const text = cells
    .map((line) => line.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | '))
    .join('\n');
  return `\nreliability figures\n${text}\n\n`;
}

/**
 * Writes this file's rows on stderr, unless the whole run gathers them (vitest's global
 * setup sets `RELIABILITY_FIGURES_FILE` and prints every scenario's row at the end).
 */
export function printFigures(): void {
  if (rows.length === 0 || process.env.RELIABILITY_FIGURES_FILE) return;
  process.stderr.write(formatFigures(rows));
}
