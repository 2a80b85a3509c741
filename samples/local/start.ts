/**
 * `npm start`: the sample worker end to end on this machine, with no AWS account and no setup.
 *
 *   npm start                  10 bake-time gate jobs and 3 artifact policy jobs, a table
 *   npm start -- --jobs 25     more bake-time gate jobs
 *   npm start -- --json        the totals as one JSON object on stdout
 *
 * Exit status 0 only if every job finished, none was processed twice and no secret value
 * reached a log line. The runner is the one `codepipeline-job-worker run` and `runLocally`
 * use; only the action type, the entry and the job mix are the sample's.
 */
import { integerFlag, parseCli, UsageError } from '../../local/cli-args.js';
import type { LocalRunProgress } from '../../local/runner/options.js';
import { progressLine, runReport, totalsJson } from '../../local/runner/report-table.js';
import { runLocally } from '../../local/runner/run-locally.js';
import { quietNodeVersionWarning } from '../../local/sdk-warning.js';
import {
  ARTIFACT_POLICY_ACTION_TYPE,
  ARTIFACT_POLICY_ENTRY,
  artifactPolicyJobs,
  combinedRuns,
  SAMPLE_ENTRY,
  SAMPLE_LOCAL_ACTION_TYPE,
  sampleJobs,
} from './sample.js';

const USAGE = 'usage: npm start -- [--jobs N] [--json] [--help]';

async function main(): Promise<void> {
  const flags = parseCli(process.argv.slice(2), {
    jobs: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const jobs = integerFlag(flags.jobs, 'jobs', 10, 1, 1_000);
  quietNodeVersionWarning();
  const quiet = flags.json === true;
  const onProgress = quiet
    ? undefined
    : (p: LocalRunProgress) => process.stderr.write(progressLine(p));
  const artifactJobs = artifactPolicyJobs();
  if (!quiet) {
    process.stderr.write(
      `Running ${jobs} bake-time gate jobs and ${artifactJobs.length} artifact policy jobs through the worker, locally...\n`,
    );
  }
  // One sample after the other: each run holds the process's environment while it lasts.
  const bakeTimeGate = await runLocally({
    entry: SAMPLE_ENTRY,
    actionType: SAMPLE_LOCAL_ACTION_TYPE,
    jobs: sampleJobs(jobs),
    onProgress,
  });
  const artifactPolicy = await runLocally({
    entry: ARTIFACT_POLICY_ENTRY,
    actionType: ARTIFACT_POLICY_ACTION_TYPE,
    jobs: artifactJobs,
    onProgress,
  });
  const result = combinedRuns([bakeTimeGate, artifactPolicy]);
  process.stdout.write(quiet ? totalsJson(result) : runReport(result));
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
