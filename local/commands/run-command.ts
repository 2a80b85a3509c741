/**
 * `codepipeline-job-worker run`: an entry file's handler end to end through the local
 * emulator and ledger, with the jobs of a jobs file; prints the same report as `npm start`.
 */
import { parseCli, UsageError } from '../cli-args.js';
import { readJobsFile } from '../runner/plan.js';
import { progressLine, runReport, totalsJson } from '../runner/report-table.js';
import { runLocally } from '../runner/run-locally.js';

export const RUN_FLAGS =
  '--entry FILE --jobs JOBS.json [--handler NAME] [--stand-ins FILE] [--env KEY=VALUE]... [--json]';

const ENV_ASSIGNMENT = /^([A-Za-z_][A-Za-z0-9_]{0,255})=(.*)$/s;

/** The `--env KEY=VALUE` flags as variables; a later one wins. */
function envFlags(values: readonly string[] | undefined): Record<string, string> {
  const env: Record<string, string> = {};
  for (const value of values ?? []) {
    const match = ENV_ASSIGNMENT.exec(value);
    if (!match)
      throw new UsageError(`--env must be KEY=VALUE (a variable name, =, a value): '${value}'`);
    env[match[1] as string] = match[2] as string;
  }
  return env;
}

/** What `run --help` prints. */
export const RUN_USAGE = `usage: codepipeline-job-worker run ${RUN_FLAGS}

Runs the jobs of a jobs file through your entry's handler, with the local CodePipeline
emulator and DynamoDB ledger, and prints what happened to each job (--json: the totals as
one JSON object). Exit status 0 when the run is ok (every job finished exactly once, as its
jobs file expects, and nothing failed for want of a stand-in), 1 when not, 2 on a usage error.`;

/**
 * Runs the jobs file's jobs through the entry's handler.
 *
 * @param argv - its flags
 * @param usage - what `--help` prints
 * @returns the exit status: 0 only if the run is ok (see `LocalRunResult.ok`), or after `--help`
 * @throws UsageError on a bad flag; LocalRunPlanError naming each wrong field of the jobs file
 * or of the stand-ins module
 */
export async function runCommand(argv: string[], usage = RUN_USAGE): Promise<number> {
  const flags = parseCli(argv, {
    entry: { type: 'string' },
    jobs: { type: 'string' },
    handler: { type: 'string' },
    'stand-ins': { type: 'string' },
    env: { type: 'string', multiple: true },
    json: { type: 'boolean' },
  });
  if (flags.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (flags.entry === undefined) throw new UsageError('--entry is required');
  if (flags.jobs === undefined) throw new UsageError('--jobs is required');
  const env = envFlags(flags.env);
  const plan = await readJobsFile(flags.jobs);
  const quiet = flags.json === true;
  const count = plan.jobs.reduce((n, job) => n + (job.repeat ?? 1), 0);
  if (!quiet) process.stderr.write(`Running ${count} jobs through ${flags.entry}, locally...\n`);
  const result = await runLocally({
    ...plan,
    env: { ...plan.env, ...env },
    standIns: flags['stand-ins'] ?? plan.standIns,
    entry: flags.entry,
    handler: flags.handler,
    onProgress: quiet ? undefined : (p) => process.stderr.write(progressLine(p)),
  });
  process.stdout.write(quiet ? totalsJson(result) : runReport(result));
  return result.ok ? 0 : 1;
}
