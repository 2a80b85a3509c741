/**
 * `codepipeline-job-worker run`: an entry file's handler end to end through the local
 * emulator and ledger, with the jobs of a jobs file; prints the same report as `npm start`.
 */
import { parseCli, UsageError } from '../cli-args.js';
import { readJobsFile } from '../runner/plan.js';
import { progressLine, runReport, totalsJson } from '../runner/report-table.js';
import { runLocally } from '../runner/run-locally.js';

export const RUN_FLAGS = '--entry FILE --jobs JOBS.json [--handler NAME] [--json]';

/** What `run --help` prints. */
export const RUN_USAGE = `usage: codepipeline-job-worker run ${RUN_FLAGS}

Runs the jobs of a jobs file through your entry's handler, with the local CodePipeline
emulator and DynamoDB ledger, and prints what happened to each job (--json: the totals as
one JSON object). Exit status 0 when every job finished exactly once, 1 when not, 2 on a
usage error.`;

/**
 * Runs the jobs file's jobs through the entry's handler.
 *
 * @param argv - its flags
 * @param usage - what `--help` prints
 * @returns the exit status: 0 only if every job finished once and no secret reached a log (or
 * after `--help`)
 * @throws UsageError on a bad flag; LocalRunPlanError naming each wrong field of the jobs file
 */
export async function runCommand(argv: string[], usage = RUN_USAGE): Promise<number> {
  const flags = parseCli(argv, {
    entry: { type: 'string' },
    jobs: { type: 'string' },
    handler: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (flags.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
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
