/**
 * The optional peer dependencies: packages that only the construct (`./cdk`), the testing
 * helpers (`./testing`) and the bin load, so that a project holding only the function's code
 * installs none of them. Each is loaded where it is used; when one is missing, the error says
 * in one line which packages to install.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Every optional peer with the range `package.json` declares for it (a test holds the two
 * in agreement) and what needs it.
 */
export const OPTIONAL_PEERS = {
  'aws-cdk-lib': { range: '^2.276.0', neededBy: 'cdk' },
  constructs: { range: '^10.8.1', neededBy: 'cdk' },
  esbuild: { range: '^0.28.2', neededBy: 'cdk' },
  dynalite: { range: '^4.0.0', neededBy: 'testing' },
  '@20minutes/s3rver': { range: '4.0.4', neededBy: 'testing' },
  tsx: { range: '^4.23.15', neededBy: 'testing' },
} as const;

export type OptionalPeer = keyof typeof OPTIONAL_PEERS;

const GROUP_NAMES = {
  cdk: 'the construct (codepipeline-job-worker/cdk)',
  testing: 'the testing helpers (codepipeline-job-worker/testing) and the bin',
} as const;

/** An optional peer dependency that a feature needs is not installed. */
export class MissingPeerDependencyError extends Error {
  /** The package that failed to load. */
  readonly packageName: OptionalPeer;
  /** The command that installs it and the other missing peers of its group. */
  readonly installCommand: string;

  constructor(packageName: OptionalPeer, feature: string, options?: ErrorOptions) {
    const { neededBy } = OPTIONAL_PEERS[packageName];
    const missing = missingPeers(neededBy);
    const install = missing.includes(packageName) ? missing : [packageName, ...missing];
    const installCommand = `npm install --save-dev ${install
      .map((name) => `${name}@${OPTIONAL_PEERS[name].range}`)
      .join(' ')}`;
    super(
      `${feature} needs ${packageName}, which is not installed (an optional peer dependency of codepipeline-job-worker, used by ${GROUP_NAMES[neededBy]}): ${installCommand}`,
      options,
    );
    this.name = 'MissingPeerDependencyError';
    this.packageName = packageName;
    this.installCommand = installCommand;
  }
}

/** Whether `name` can be found from this module the way Node resolves a bare specifier. */
function installed(name: string): boolean {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'node_modules', name, 'package.json'))) return true;
    const parent = path.dirname(dir);
    if (parent === dir) return false;
    dir = parent;
  }
}

/** The peers of a group that are not installed, in the table's order. */
function missingPeers(group: 'cdk' | 'testing'): OptionalPeer[] {
  return (Object.keys(OPTIONAL_PEERS) as OptionalPeer[]).filter(
    (name) => OPTIONAL_PEERS[name].neededBy === group && !installed(name),
  );
}

/** Whether `error` says that `name` itself (not one of its own dependencies) was not found. */
function notFound(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = (error as Error).message;
  return (
    message.includes(`'${name}'`) || message.includes(`'${name}/`) || message.includes(`"${name}"`)
  );
}

/**
 * Loads an optional peer with `load` (an `import()` of it, written at the call site so that
 * its types follow).
 *
 * @param name - the package `load` imports
 * @param feature - what needs it, for the message (`runLocally's local DynamoDB`)
 * @throws MissingPeerDependencyError when the package is not installed
 * @example
 * const { default: dynalite } = await importPeer('dynalite', 'The local DynamoDB', () => import('dynalite'));
 */
export async function importPeer<T>(
  name: OptionalPeer,
  feature: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (notFound(error, name))
      throw new MissingPeerDependencyError(name, feature, { cause: error });
    throw error;
  }
}

const require = createRequire(import.meta.url);

/**
 * Loads an optional peer synchronously (for code that cannot wait, such as a construct's
 * constructor), through `require`.
 *
 * @throws MissingPeerDependencyError when the package is not installed
 */
export function requirePeer<T>(name: OptionalPeer, feature: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    if (notFound(error, name))
      throw new MissingPeerDependencyError(name, feature, { cause: error });
    throw error;
  }
}
