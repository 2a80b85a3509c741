/**
 * The optional peer dependencies as a consumer meets them: the package's entries bundled
 * (their packages left as imports) into a project of their own whose node_modules lacks some
 * peers, and run by Node, which resolves them as in a consumer's app. The function side loads
 * without any peer; a testing entry, the bin or the construct that needs a missing one fails
 * with one line naming what to install.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPTIONAL_PEERS, type OptionalPeer } from '../../lib/optional-peer.js';
import { ROOT } from '../helpers/source-files.js';

const TESTING_PEERS = ['dynalite', '@20minutes/s3rver', 'tsx'] as const;
const ENTRIES = {
  function: 'lambda/index.ts',
  artifacts: 'lambda/artifacts/index.ts',
  testing: 'local/testing/index.ts',
  cli: 'local/cli.ts',
  workerEntry: 'lib/worker-entry.ts',
};

let bundles: string;
const projects: string[] = [];

beforeAll(async () => {
  bundles = mkdtempSync(path.join(tmpdir(), 'optional-peers-bundles-'));
  await build({
    entryPoints: Object.fromEntries(
      Object.entries(ENTRIES).map(([name, file]) => [name, path.join(ROOT, file)]),
    ),
    outdir: bundles,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
});

afterAll(() => {
  for (const dir of [bundles, ...projects]) rmSync(dir, { recursive: true, force: true });
});

/** A project holding the bundles and every installed package of the repository but `without`. */
function project(without: readonly string[]): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'optional-peers-app-'));
  projects.push(dir);
  const modules = path.join(dir, 'node_modules');
  mkdirSync(modules);
  for (const entry of readdirSync(path.join(ROOT, 'node_modules'))) {
    if (entry.startsWith('.')) continue;
    if (entry.startsWith('@')) {
      mkdirSync(path.join(modules, entry));
      for (const scoped of readdirSync(path.join(ROOT, 'node_modules', entry))) {
        if (without.includes(`${entry}/${scoped}`)) continue;
        symlinkSync(
          path.join(ROOT, 'node_modules', entry, scoped),
          path.join(modules, entry, scoped),
        );
      }
    } else if (!without.includes(entry)) {
      symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(modules, entry));
    }
  }
  for (const name of Object.keys(ENTRIES)) {
    copyFileSync(path.join(bundles, `${name}.mjs`), path.join(dir, `${name}.mjs`));
  }
  return dir;
}

/** Runs Node with `args` in `dir`; returns its exit status and output. */
function node(
  dir: string,
  args: string[],
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

const RUN_LOCALLY = `
import { runLocally } from './testing.mjs';
try {
  await runLocally({
    processor: { process: async () => ({ kind: 'success', summary: 'done' }) },
    actionType: { category: 'Test', provider: 'OptionalPeers' },
    jobs: [{}],
  });
  console.log('ran');
} catch (error) {
  console.log(JSON.stringify({ name: error.name, message: error.message }));
}`;

function install(names: readonly OptionalPeer[]): string {
  return `npm install --save-dev ${names.map((n) => `${n}@${OPTIONAL_PEERS[n].range}`).join(' ')}`;
}

describe('optional peer dependencies', () => {
  it('are the peers package.json declares optional, at its ranges, and installed here for development', () => {
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      peerDependenciesMeta: Record<string, { optional?: boolean }>;
    };
    const table = Object.fromEntries(
      Object.entries(OPTIONAL_PEERS).map(([name, { range }]) => [name, range]),
    );

    expect(manifest.peerDependencies).toEqual(table);
    for (const name of Object.keys(table)) {
      expect(manifest.peerDependenciesMeta[name], name).toEqual({ optional: true });
      expect(manifest.devDependencies[name], name).toBe(table[name]);
      expect(manifest.dependencies[name], name).toBeUndefined();
    }
  });

  it('loads the function side and the artifact API with no optional peer installed', () => {
    const dir = project(Object.keys(OPTIONAL_PEERS));

    const result = node(dir, [
      '--input-type=module',
      '-e',
      `const f = await import('./function.mjs'); const a = await import('./artifacts.mjs');
       console.log(typeof f.createJobWorkerHandler, typeof a.jobArtifacts);`,
    ]);

    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('function function');
  });

  it.each(TESTING_PEERS.filter((name) => name !== 'tsx'))(
    'fails runLocally in one line naming %s when it alone is missing',
    (peer) => {
      const dir = project([peer]);

      const result = node(dir, ['--input-type=module', '-e', RUN_LOCALLY]);

      const error = JSON.parse(result.stdout) as { name: string; message: string };
      expect(error.name).toBe('MissingPeerDependencyError');
      expect(error.message).not.toContain('\n');
      expect(error.message).toContain(`needs ${peer}, which is not installed`);
      expect(error.message.endsWith(`: ${install([peer])}`)).toBe(true);
    },
  );

  it('names every missing testing peer in the one install command', () => {
    const dir = project(TESTING_PEERS);

    const result = node(dir, ['--input-type=module', '-e', RUN_LOCALLY]);

    const error = JSON.parse(result.stdout) as { name: string; message: string };
    expect(error.message).toMatch(/^The local S3 artifact store needs @20minutes\/s3rver/);
    expect(error.message.endsWith(`: ${install([...TESTING_PEERS])}`)).toBe(true);
  });

  it('exits 1 from the bin with one line naming tsx when an entry file is to be loaded without it', () => {
    const dir = project(['tsx']);

    const result = node(dir, ['cli.mjs', 'invoke', '--entry', 'function.mjs']);

    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `Loading an entry file needs tsx, which is not installed (an optional peer dependency of codepipeline-job-worker, used by the testing helpers (codepipeline-job-worker/testing) and the bin): ${install(['tsx'])}\n`,
    );
  });

  it('fails the construct’s entry check in one line naming esbuild when it is missing', () => {
    const dir = project(['esbuild']);

    const result = node(dir, [
      '--input-type=module',
      '-e',
      `import { moduleExports } from './workerEntry.mjs';
       try { moduleExports('function.mjs'); } catch (error) { console.log(error.message); }`,
    ]);

    expect(result.stdout).toBe(
      `Bundling the worker needs esbuild, which is not installed (an optional peer dependency of codepipeline-job-worker, used by the construct (codepipeline-job-worker/cdk)): ${install(['esbuild'])}\n`,
    );
  });
});
