/**
 * `npm start`: the worker end to end on this machine, with no AWS account and no setup.
 *
 *   npm start                  10 jobs, progress and a summary table
 *   npm start -- --jobs 25     more jobs
 *   npm start -- --json        the totals as one JSON object on stdout
 *
 * Exit status 0 only if every job finished, none was processed (its processor started) or
 * reported twice, and no secret value reached a log line.
 */
import { integerFlag, parseCli, UsageError } from './cli-args.js';
import { type DemoResult, runDemo } from './demo.js';

const USAGE = 'usage: npm start -- [--jobs N] [--json]';

function table(result: DemoResult): string {
  const header = ['job', 'kind', 'outcome', 'jobs', 'acks', 'nonces', 'results', 'runs', 'time'];
  const rows = result.jobs.map((job) => [
    job.jobId.slice(0, 8),
    job.kind,
    job.failureType ? `${job.outcome} (${job.failureType})` : job.outcome,
    String(job.jobs),
    String(job.acknowledgements),
    String(job.nonces),
    String(job.results),
    String(job.processorRuns),
    `${job.seconds.toFixed(1)} s`,
  ]);
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)),
  );
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function totals(result: DemoResult): string {
  const t = result.totals;
  return [
    `succeeded ${t.succeeded}, failed ${t.failed}, continued ${t.continued}, unfinished ${t.unfinished}, duplicates skipped ${t.duplicatesSkipped}`,
    `duplicate dispatches ${t.duplicateDispatches}, re-dispatches ${t.redispatches}, processed twice ${t.processedTwice}, reported twice ${t.reportedTwice}, secret values in logs ${t.secretsInLogs}`,
    `${t.invocations} invocations (${t.failedInvocations} failed) in ${t.seconds.toFixed(1)} s; worker logs: ${result.logFile}`,
  ].join('\n');
}

async function main(): Promise<void> {
  const flags = parseCli(process.argv.slice(2), {
    jobs: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const jobs = integerFlag(flags.jobs, 'jobs', 10, 1, 1_000);
  // The Lambda runtime is Node.js 22; this local run may be on 20, which the SDK warns about.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const quiet = flags.json === true;
  if (!quiet) process.stderr.write(`Running ${jobs} jobs through the worker, locally...\n`);
  const result = await runDemo({
    jobs,
    onProgress: quiet
      ? undefined
      : (p) =>
          process.stderr.write(
            `  tick ${p.tick}: ${p.finished}/${p.total} jobs finished (${(p.elapsedMs / 1000).toFixed(1)} s)\n`,
          ),
  });
  if (quiet) {
    process.stdout.write(`${JSON.stringify({ ok: result.ok, ...result.totals })}\n`);
  } else {
    process.stdout.write(`\n${table(result)}\n\n${totals(result)}\n`);
    process.stdout.write(
      result.ok ? 'OK: every job finished exactly once.\n' : 'FAILED: see above.\n',
    );
  }
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
