/**
 * The handler of a function's entry file, imported as Lambda's cold start imports it: after
 * the environment is set, and afresh on every call (the entry builds its handler from the
 * environment when it loads). TypeScript entries are compiled on the fly by tsx.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { importPeer } from '../../lib/optional-peer.js';

/** What Lambda calls. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Why an entry file cannot be used. */
export type EntryProblem = 'missing' | 'load-failed' | 'no-handler';

/** The entry file cannot be used: missing, failing at load, or without the handler export. */
export class EntryError extends Error {
  /**
   * `missing` and `no-handler` are the caller's mistake (a wrong `--entry` or `--handler`);
   * `load-failed` is the entry's own (it threw while loading: a bad configuration, a bug).
   */
  readonly problem: EntryProblem;

  constructor(message: string, problem: EntryProblem, options?: ErrorOptions) {
    super(message, options);
    this.name = 'EntryError';
    this.problem = problem;
  }
}

/**
 * The entry file's absolute path.
 *
 * @param entry - the entry file, relative to the current directory or absolute
 * @throws EntryError (`missing`) when there is no such file
 */
export function entryFile(entry: string): string {
  const file = path.resolve(entry);
  if (!existsSync(file)) throw new EntryError(`entry ${file} does not exist`, 'missing');
  return file;
}

/**
 * Imports `entry` and returns its `exportName` export.
 *
 * @param entry - the entry file, relative to the current directory or absolute
 * @param exportName - the export that is the handler
 * @throws EntryError naming the file and what is wrong
 * @throws MissingPeerDependencyError when tsx (an optional peer) is not installed
 */
export async function importEntryHandler(
  entry: string,
  exportName: string,
): Promise<LambdaHandler> {
  const file = entryFile(entry);
  const { tsImport } = await importPeer(
    'tsx',
    'Loading an entry file',
    () => import('tsx/esm/api'),
  );
  let module: Record<string, unknown>;
  try {
    // A namespace of its own per call: the entry module is evaluated again, with the
    // environment as it is now.
    module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new EntryError(
      `entry ${file} failed to load: ${(error as Error).message}`,
      'load-failed',
      {
        cause: error,
      },
    );
  }
  const handler = module[exportName];
  if (typeof handler !== 'function') {
    const found = Object.keys(module).join(', ') || 'nothing';
    throw new EntryError(
      `entry ${file} does not export a function '${exportName}' (it exports ${found}): export const ${exportName} = createJobWorkerHandler(processor)`,
      'no-handler',
    );
  }
  return handler as LambdaHandler;
}
