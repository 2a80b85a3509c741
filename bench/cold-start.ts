/**
 * Cold start: fresh Node processes that import a bundle, as the Lambda runtime imports the
 * handler, timed from spawn to exit. Bundles are measured interleaved (the order alternates
 * each round) so that the machine's load weighs on all of them alike.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { run } from './processes.js';

export interface ColdStartSample {
  /** Spawn to exit, ms. */
  readonly processMs: number;
  /** Process start to the handler's module evaluated, ms (Node's own clock). */
  readonly readyMs: number;
}

export interface ColdStartSeries {
  readonly label: string;
  readonly file: string;
  readonly samples: ColdStartSample[];
  readonly medianProcessMs: number;
  readonly medianReadyMs: number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

async function importOnce(file: string, env: Record<string, string>): Promise<ColdStartSample> {
  const url = pathToFileURL(file).href;
  // `performance.now()` counts from the process's start.
  const code = `await import(${JSON.stringify(url)}); process.stdout.write(String(performance.now()));`;
  const finished = await run(process.execPath, ['--input-type=module', '-e', code], {
    cwd: path.dirname(file),
    env,
    timeoutMs: 30_000,
  });
  if (finished.code !== 0) {
    throw new Error(
      `importing ${file} failed (${finished.code}): ${finished.stderr.slice(-2_000)}`,
    );
  }
  return { processMs: finished.wallMs, readyMs: Number(finished.stdout) };
}

/**
 * Imports each bundle `runs` times in fresh processes, interleaved, after one warm-up round
 * (which fills the file cache and is not counted).
 *
 * @param bundles - label and file of each bundle; ratios are taken against the first
 * @param env - the environment of every process (the function's, as in Lambda)
 */
export async function measureColdStarts(
  bundles: ReadonlyArray<{ label: string; file: string }>,
  runs: number,
  env: (file: string) => Record<string, string>,
): Promise<ColdStartSeries[]> {
  const samples = bundles.map(() => [] as ColdStartSample[]);
  for (const bundle of bundles) await importOnce(bundle.file, env(bundle.file));
  for (let round = 0; round < runs; round++) {
    const order = bundles.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const bundle = bundles[i] as { label: string; file: string };
      (samples[i] as ColdStartSample[]).push(await importOnce(bundle.file, env(bundle.file)));
    }
  }
  return bundles.map((bundle, i) => {
    const series = samples[i] as ColdStartSample[];
    return {
      label: bundle.label,
      file: bundle.file,
      samples: series,
      medianProcessMs: median(series.map((s) => s.processMs)),
      medianReadyMs: median(series.map((s) => s.readyMs)),
    };
  });
}
