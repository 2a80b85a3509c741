/**
 * What a consumer's `npm install` of the package brings: the packed tarball installed from
 * the registry into a tiny app, once with the CDK libraries a deploying app declares
 * (aws-cdk-lib, constructs, esbuild) and once alone (a package that only holds the function's
 * code), counting the installed packages (`npm ls --all --parseable`) and the bytes of
 * node_modules (`du -sb`), and listing every install script npm ran or warned about.
 *
 *   npx tsx bench/install-footprint.ts                  packs the repository (builds dist)
 *   npx tsx bench/install-footprint.ts --tarball FILE   measures that tarball instead
 *   npx tsx bench/install-footprint.ts --json           one JSON document on stdout
 *
 * Needs the registry (or a warm npm cache); takes about a minute per app.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './paths.js';

/** The CDK libraries a deploying app declares itself, at the versions this repository uses. */
function cdkDependencies(): Record<string, string> {
  const own = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const pick = (name: string) =>
    own.devDependencies?.[name] ?? own.dependencies?.[name] ?? 'latest';
  return {
    'aws-cdk-lib': pick('aws-cdk-lib'),
    constructs: pick('constructs'),
    esbuild: pick('esbuild'),
  };
}

/** One app's install. */
export interface Footprint {
  readonly app: string;
  /** Installed packages, the app itself not counted. */
  readonly packages: number;
  readonly nodeModulesBytes: number;
  readonly seconds: number;
  /** Whether these packages are in node_modules. */
  readonly present: Record<string, boolean>;
  /** The `name@version (script: command)` lines npm printed about install scripts. */
  readonly scriptLines: string[];
}

const WATCHED = [
  'aws-cdk-lib',
  'esbuild',
  'tsx',
  'dynalite',
  '@20minutes/s3rver',
  'classic-level',
] as const;

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${result.stderr}`);
  }
  return `${result.stdout}\n${result.stderr}`;
}

/** Installs `dependencies` into a fresh app and measures it; the app is removed afterwards. */
export function measureInstall(
  app: string,
  tarball: string,
  dependencies: Record<string, string>,
): Footprint {
  const dir = mkdtempSync(path.join(tmpdir(), 'install-footprint-'));
  try {
    const manifest = {
      name: 'footprint-app',
      version: '1.0.0',
      private: true,
      type: 'module',
      dependencies: { 'codepipeline-job-worker': `file:${tarball}`, ...dependencies },
    };
    writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    const started = Date.now();
    const output = run(
      'npm',
      ['install', '--no-audit', '--no-fund', '--foreground-scripts', '--loglevel=warn'],
      dir,
    );
    const seconds = (Date.now() - started) / 1000;
    // The first line is the app itself.
    const listed = run('npm', ['ls', '--all', '--parseable'], dir)
      .split('\n')
      .filter((line) => line.includes('node_modules'));
    const packages = new Set(listed).size;
    const nodeModulesBytes = Number(
      execFileSync('du', ['-sb', path.join(dir, 'node_modules')], { encoding: 'utf8' }).split(
        '\t',
      )[0],
    );
    const present = Object.fromEntries(
      WATCHED.map((name) => [
        name,
        listed.some((line) => line.endsWith(`${path.sep}node_modules${path.sep}${name}`)),
      ]),
    );
    const scriptLines = output
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => /\((pre|post)?(install|prepare)\b/.test(line) || /^> .*@/.test(line));
    return { app, packages, nodeModulesBytes, seconds, present, scriptLines };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Packs the repository into `dir` (which builds dist) and returns the tarball's path. */
function packRepository(dir: string): string {
  const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  const name = out.trim().split('\n').at(-1);
  if (!name) throw new Error('npm pack printed no file name');
  return path.join(dir, name);
}

/** What the bench reports of a consumer's install. */
export interface InstallFootprint {
  readonly tarball: string;
  readonly results: readonly Footprint[];
}

/**
 * Packs the repository (or takes `tarball`) and installs it into the two tiny apps: one that
 * deploys (with aws-cdk-lib, constructs and esbuild) and one that holds only the function.
 */
export function measureInstallFootprint(tarball?: string): InstallFootprint {
  const packDir = mkdtempSync(path.join(tmpdir(), 'install-footprint-pack-'));
  try {
    const packed = tarball ? path.resolve(tarball) : packRepository(packDir);
    const cdk = cdkDependencies();
    return {
      tarball: path.basename(packed),
      results: [
        measureInstall(`tarball + ${Object.keys(cdk).join(' + ')}`, packed, cdk),
        measureInstall('tarball alone (function side)', packed, {}),
      ],
    };
  } finally {
    rmSync(packDir, { recursive: true, force: true });
  }
}

const mb = (bytes: number) => (bytes / 1e6).toFixed(0);

/** The packages whose presence the report shows. */
export const WATCHED_PACKAGES: readonly string[] = WATCHED;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { tarball: { type: 'string' }, json: { type: 'boolean' } },
  });
  const footprint = measureInstallFootprint(values.tarball);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(footprint, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${footprint.tarball}\n`);
  for (const r of footprint.results) {
    const has = WATCHED.map((name) => `${name} ${r.present[name] ? 'yes' : 'no'}`).join(', ');
    process.stdout.write(
      `\n${r.app}: ${r.packages} packages, ${mb(r.nodeModulesBytes)} MB of node_modules, ${r.seconds.toFixed(0)} s\n  ${has}\n  install scripts npm printed: ${r.scriptLines.length === 0 ? 'none' : ''}\n`,
    );
    for (const line of r.scriptLines) process.stdout.write(`    ${line}\n`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
