/**
 * Bundles an entry exactly as the CDK stack bundles the worker (lib/bundling.ts), and says
 * what the bundle is made of.
 */
import { mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { build, stop } from 'esbuild';
import { esbuildOptions, workerBundling } from '../lib/bundling.js';
import { REPO_ROOT } from './paths.js';

export interface Bundle {
  /** The bundle (`index.mjs`, as NodejsFunction names it). */
  readonly file: string;
  /** Minified size in bytes. */
  readonly bytes: number;
  readonly sourceMapBytes: number;
  /** Bytes in the bundle by package (or `lambda/`, `bench/`), largest first. */
  readonly composition: ReadonlyArray<{ readonly name: string; readonly bytes: number }>;
}

function owner(input: string): string {
  const parts = input.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at === -1) return `${parts[0]}/`;
  const scoped = parts[at + 1]?.startsWith('@');
  return parts.slice(at + 1, at + (scoped ? 3 : 2)).join('/');
}

/**
 * Bundles `entry` (relative to the repository root) into `outdir/index.mjs`.
 *
 * @param entry - e.g. `samples/handlers/bake-time-gate.ts`
 * @param outdir - an empty or disposable folder
 * @param options - `withoutSubstitutes`: bundle every package as published
 *   (`workerBundling({ substitutes: false })`), to measure what the substitutes save; `alias`:
 *   more packages to substitute, for reference bundles that are never deployed
 */
export async function bundle(
  entry: string,
  outdir: string,
  options: { withoutSubstitutes?: boolean; alias?: Record<string, string> } = {},
): Promise<Bundle> {
  mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, 'index.mjs');
  const bundling = workerBundling({
    projectRoot: REPO_ROOT,
    substitutes: !options.withoutSubstitutes,
  });
  const buildOptions = esbuildOptions(bundling, entry, file, REPO_ROOT);
  const result = await build({
    ...buildOptions,
    alias: { ...buildOptions.alias, ...options.alias },
    metafile: true,
  });
  const output = Object.entries(result.metafile.outputs).find(([name]) =>
    name.endsWith('index.mjs'),
  )?.[1];
  if (!output) throw new Error(`esbuild wrote no index.mjs for ${entry}`);
  const byOwner = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = owner(input);
    byOwner.set(name, (byOwner.get(name) ?? 0) + bytesInOutput);
  }
  return {
    file,
    bytes: statSync(file).size,
    sourceMapBytes: statSync(`${file}.map`).size,
    composition: [...byOwner]
      .map(([name, bytes]) => ({ name, bytes }))
      .filter(({ bytes }) => bytes > 0)
      .sort((a, b) => b.bytes - a.bytes),
  };
}

/** Stops esbuild's service process (the benchmark leaves no process behind). */
export function stopBundler(): Promise<void> {
  return stop();
}

/** Substitutes the tracer with one that does nothing: a reference, never deployed. */
export const NO_OP_TRACER = {
  '@aws-lambda-powertools/tracer/middleware': './bench/fixtures/no-op-tracer-middleware.ts',
  '@aws-lambda-powertools/tracer': './bench/fixtures/no-op-tracer.ts',
};
