/**
 * Cold start: fresh Node processes that import a bundle, as the Lambda runtime imports the
 * handler, timed from spawn to exit. Bundles are measured interleaved (the order alternates
 * each round) so that the machine's load weighs on all of them alike.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

/** Where a cold import's CPU time goes, from V8's profiler (mean ms per process). */
export interface ImportProfile {
  readonly runs: number;
  /** Every sample but idle time. */
  readonly totalMs: number;
  /** V8 compiling the bundle (an ES module is compiled whole before it runs). */
  readonly compileBundleMs: number;
  /** Node compiling and running its own built-in modules (http, https, crypto, ...). */
  readonly builtinsMs: number;
  /** The bundle's code running: module bodies, clients and utilities built at module scope. */
  readonly bundleCodeMs: number;
  readonly garbageCollectionMs: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/**
 * Imports `file` in `runs` fresh processes under V8's CPU profiler (sampling every 100 µs)
 * and splits the CPU time by what it was spent on. The profiler slows everything down a
 * little: read the shares, not the absolute times.
 */
export async function profileColdImport(
  file: string,
  env: Record<string, string>,
  runs: number,
): Promise<ImportProfile> {
  const dir = mkdtempSync(path.join(tmpdir(), 'cold-import-profile-'));
  const url = pathToFileURL(file).href;
  const sums = { total: 0, compile: 0, builtins: 0, bundle: 0, gc: 0 };
  try {
    for (let i = 0; i < runs; i++) {
      const finished = await run(
        process.execPath,
        [
          '--cpu-prof',
          `--cpu-prof-dir=${dir}`,
          '--cpu-prof-interval=100',
          '--input-type=module',
          '-e',
          `await import(${JSON.stringify(url)});`,
        ],
        { cwd: path.dirname(file), env, timeoutMs: 30_000 },
      );
      if (finished.code !== 0) throw new Error(`profiling ${file} failed: ${finished.stderr}`);
    }
    for (const name of readdirSync(dir)) {
      const profile = JSON.parse(readFileSync(path.join(dir, name), 'utf8')) as CpuProfile;
      const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
      profile.samples.forEach((id, index) => {
        const frame = frames.get(id);
        const ms = (profile.timeDeltas[index] ?? 0) / 1000;
        if (!frame || frame.functionName === '(idle)') return;
        sums.total += ms;
        if (frame.functionName === 'compileSourceTextModule') sums.compile += ms;
        else if (frame.functionName.startsWith('compileFor')) sums.builtins += ms;
        else if (frame.url === url) sums.bundle += ms;
        else if (frame.functionName === '(garbage collector)') sums.gc += ms;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return {
    runs,
    totalMs: sums.total / runs,
    compileBundleMs: sums.compile / runs,
    builtinsMs: sums.builtins / runs,
    bundleCodeMs: sums.bundle / runs,
    garbageCollectionMs: sums.gc / runs,
  };
}
