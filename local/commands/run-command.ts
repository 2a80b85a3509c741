/**
 * `codepipeline-job-worker run`: an entry file's handler end to end through the local
 * emulator and ledger, with the jobs of a jobs file; prints the same report as `npm start`.
 */
import { parseCli, UsageError } from '../cli-args.js';
import { readJobsFile } from '../runner/plan.js';
import { progressLine, runReport, totalsJson } from '../runner/report-table.js';
import { runLocally } from '../runner/run-locally.js';

export const RUN_FLAGS = '--entry FILE --jobs JOBS.json [--handler NAME] [--json]';

/**
 * Runs the jobs file's jobs through the entry's handler.
 *
 * @param argv - its flags
 * @returns the exit status: 0 only if every job finished once and no secret reached a log
 * @throws UsageError on a bad flag; LocalRunPlanError naming each wrong field of the jobs file
 */
export async function runCommand(argv: string[]): Promise<number> {
  const flags = parseCli(argv, {
    entry: { type: 'string' },
    jobs: { type: 'string' },
    handler: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (flags.entry === undefined) throw new UsageError('--entry is required');
  if (flags.jobs === undefined) throw new UsageError('--jobs is required');
  const plan = await readJobsFile(flags.jobs);
  const quiet = flags.json === true;
  const count = plan.jobs.reduce((n, job) => n + (job.repeat ?? 1), 0);
  if (!quiet) process.stderr.write(`Running ${count} jobs through ${flags.entry}, locally...\n`);
  const result = await runLocally({
    ...plan,
    entry: flags.entry,
    handler: flags.handler,
    onProgress: quiet ? undefined : (p) => process.stderr.write(progressLine(p)),
  });
  process.stdout.write(quiet ? totalsJson(result) : runReport(result));
  return result.ok ? 0 : 1;
}
