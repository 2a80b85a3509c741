import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { BuildResult, Message } from 'esbuild';
import { esbuild } from './esbuild.js';
import type { SettingProblem } from './setting-problem.js';

/** Lock files NodejsFunction bundles with, in the order it prefers them. */
const LOCK_FILES = ['pnpm-lock.yaml', 'yarn.lock', 'bun.lockb', 'bun.lock', 'package-lock.json'];
const ENTRY_EXTENSIONS = /\.(jsx?|tsx?|cjs|cts|mjs|mts)$/;

/** Where the function's code comes from, with every path absolute. */
export interface WorkerEntry {
  /** The entry file. */
  readonly entry: string;
  /** The export of `entry` that is the handler. */
  readonly handler: string;
  /** Where esbuild runs and resolves packages from: the app's root. */
  readonly projectRoot: string;
  /** The app's lock file. */
  readonly depsLockFilePath: string;
}

export interface WorkerEntryProps {
  readonly entry: string;
  readonly handler?: string;
  readonly projectRoot?: string;
  readonly depsLockFilePath?: string;
}

/** The first lock file found in `from` or a folder above it. */
export function findLockFile(from: string): string | undefined {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    const found = LOCK_FILES.map((name) => path.join(dir, name)).find((file) => existsSync(file));
    if (found) return found;
    if (path.dirname(dir) === dir) return undefined;
  }
}

/** `message` with its file position, on one line. */
function oneLine(message: Message): string {
  const where = message.location
    ? `${message.location.file}:${message.location.line}:${message.location.column}: `
    : '';
  return `${where}${message.text}`.replace(/\s+/g, ' ');
}

/**
 * The names a module exports, as esbuild reads them: its own files are followed (so
 * `export * from './x.js'` counts), packages are not.
 *
 * @throws Error with esbuild's first message, on one line, when the module cannot be read
 */
export function moduleExports(file: string): string[] {
  const { buildSync } = esbuild();
  let result: BuildResult;
  try {
    result = buildSync({
      entryPoints: [file],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outdir: path.dirname(file),
    });
  } catch (error) {
    const first = (error as { errors?: Message[] }).errors?.[0];
    throw new Error(first ? oneLine(first) : String(error));
  }
  return Object.values(result.metafile?.outputs ?? {}).flatMap((output) => output.exports);
}

/**
 * Resolves the function's entry, its app's root and lock file, and checks that `cdk synth`
 * can bundle it: the file exists, lies under the app's root, and exports the handler. Paths
 * are resolved from the current directory (where `cdk` runs the app). Without
 * `depsLockFilePath`, the lock file is looked for from the entry's folder upwards; without
 * `projectRoot`, the root is the lock file's folder.
 *
 * @returns the entry, or the problems (each names the file) when there is one
 */
export function resolveWorkerEntry(props: WorkerEntryProps): {
  entry?: WorkerEntry;
  problems: SettingProblem[];
} {
  const fail = (setting: string, problem: string) => ({ problems: [{ setting, problem }] });
  const handler = props.handler ?? 'handler';
  const entry = path.resolve(props.entry);
  if (!ENTRY_EXTENSIONS.test(entry)) {
    return fail('entry', `must be a JavaScript or TypeScript file (got ${entry})`);
  }
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    return fail('entry', `${entry} does not exist`);
  }
  const lockFile = props.depsLockFilePath
    ? path.resolve(props.depsLockFilePath)
    : findLockFile(path.dirname(entry));
  if (!lockFile) {
    return fail(
      'depsLockFilePath',
      `no lock file (${LOCK_FILES.join(', ')}) in ${path.dirname(entry)} or a folder above it: run npm install in the app, or set depsLockFilePath`,
    );
  }
  if (!existsSync(lockFile)) return fail('depsLockFilePath', `${lockFile} does not exist`);
  const projectRoot = path.resolve(props.projectRoot ?? path.dirname(lockFile));
  const outside = (file: string) => path.relative(projectRoot, file).startsWith('..');
  if (outside(entry)) {
    return fail('entry', `${entry} is outside the app's root ${projectRoot}: set projectRoot`);
  }
  if (outside(lockFile)) {
    return fail('depsLockFilePath', `${lockFile} is outside the app's root ${projectRoot}`);
  }
  let exported: string[];
  try {
    exported = moduleExports(entry);
  } catch (error) {
    return fail('entry', `${entry} cannot be read: ${(error as Error).message}`);
  }
  if (!exported.includes(handler)) {
    const found = exported.length > 0 ? exported.join(', ') : 'nothing';
    return fail(
      'entry',
      `${entry} does not export '${handler}' (it exports ${found}): export const ${handler} = createJobWorkerHandler(processor)`,
    );
  }
  return { entry: { entry, handler, projectRoot, depsLockFilePath: lockFile }, problems: [] };
}
