/**
 * A stand-ins module (the jobs file's `standIns`, the bin's `--stand-ins`): TypeScript or
 * JavaScript, compiled on the fly by tsx, whose default export is the run's stand-ins.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { importPeer } from '../../lib/optional-peer.js';
import { LocalRunPlanError } from '../runner/plan.js';
import { standInProblems } from './server.js';
import type { StandIns } from './types.js';

/**
 * The module's absolute path.
 *
 * @throws LocalRunPlanError when there is no such file
 */
export function standInsFile(file: string): string {
  const absolute = path.resolve(file);
  if (!existsSync(absolute)) {
    throw new LocalRunPlanError(`stand-ins module ${absolute}`, ['does not exist']);
  }
  return absolute;
}

/**
 * Imports a stand-ins module afresh (its module-level state is the run's own) and returns its
 * default export, checked.
 *
 * @param file - the module, relative to the current directory or absolute
 * @throws LocalRunPlanError when it does not exist or its default export is not stand-ins
 * @throws Error when it throws while loading
 */
export async function importStandIns(file: string): Promise<StandIns> {
  const absolute = standInsFile(file);
  const { tsImport } = await importPeer(
    'tsx',
    'Loading a stand-ins module',
    () => import('tsx/esm/api'),
  );
  let module: { default?: unknown };
  try {
    module = (await tsImport(pathToFileURL(absolute).href, import.meta.url)) as typeof module;
  } catch (error) {
    throw new Error(`stand-ins module ${absolute} failed to load: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // tsx may hand a CommonJS-style module's default export one level down.
  let standIns = module.default;
  const nested = (standIns as { default?: unknown } | undefined)?.default;
  if (nested !== undefined && Object.keys(standIns as object).length === 1) standIns = nested;
  const problems = standInProblems(standIns, 'its default export');
  if (problems.length > 0) throw new LocalRunPlanError(`stand-ins module ${absolute}`, problems);
  return standIns as StandIns;
}
