/**
 * `codepipeline-job-worker init` through the bin (run from source, as tsx runs it): the
 * project it writes, its refusals (one line, exit status 2, nothing written), and the
 * project's type check against this repository's sources, with the package's entry points
 * mapped to them. The project's install, tests, local run and `cdk synth` from the packed
 * tarball are CI's (.ci/init-app.sh).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/source-files.js';

const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules/.bin/tsx');
const CLI = join(ROOT, 'local/cli.ts');

/** Runs the bin's `init`, with stdin not a terminal; its exit status and output. */
async function init(cwd: string, ...argv: string[]) {
  try {
    const { stdout, stderr } = await run(TSX, [CLI, 'init', ...argv], { cwd });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { status: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The project's files, relative to it. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('codepipeline-job-worker init', () => {
  let work: string;
  let result: Awaited<ReturnType<typeof init>>;
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'init-bin-'));
    result = await init(
      work,
      'scan-app',
      '--category',
      'Build',
      '--property',
      'Target:required',
      '--property',
      'ApiToken:required:secret',
      '--outputs',
      '1',
    );
  }, 60_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('writes the project and says what to run next', () => {
    expect(result).toMatchObject({ status: 0, stderr: '' });
    expect(result.stdout).toContain('Created Custom/Build/ScanApp/1 in scan-app: 12 files');
    expect(result.stdout).toContain('npm install\n  npm test\n  npm start\n  npx cdk synth');
    expect(files(join(work, 'scan-app'))).toEqual([
      '.gitignore',
      'README.md',
      'bin/app.ts',
      'cdk.json',
      'jobs.json',
      'package.json',
      'src/action.ts',
      'src/configuration.ts',
      'src/handler.ts',
      'src/processor.ts',
      'test/processor.test.ts',
      'tsconfig.json',
    ]);
  });

  it('type-checks against the package it scaffolds for, as tsc and cdk synth will', async () => {
    const app = join(work, 'scan-app');
    // The project's own tsconfig, its imports of the package mapped to this repository's
    // sources, and this repository's node_modules for the rest.
    symlinkSync(join(ROOT, 'node_modules'), join(app, 'node_modules'), 'dir');
    const entry = (file: string) => [join(ROOT, file)];
    writeFileSync(
      join(app, 'tsconfig.check.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        // The declarations this repository gives the peers that ship none.
        include: ['bin', 'src', 'test', join(ROOT, 'types')],
        compilerOptions: {
          resolveJsonModule: true,
          esModuleInterop: true,
          paths: {
            'codepipeline-job-worker': entry('lambda/index.ts'),
            'codepipeline-job-worker/artifacts': entry('lambda/artifacts/index.ts'),
            'codepipeline-job-worker/kit': entry('lambda/kit/index.ts'),
            'codepipeline-job-worker/cdk': entry('lib/index.ts'),
            'codepipeline-job-worker/testing': entry('local/testing/index.ts'),
          },
        },
      }),
    );

    const check = run(join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.check.json'], {
      cwd: app,
    });

    await expect(check).resolves.toMatchObject({ stdout: '' });
  }, 180_000);

  it('refuses a folder that is not empty: one line, exit status 2, nothing written', async () => {
    const before = files(join(work, 'scan-app'));

    const refused = await init(work, 'scan-app', '--provider', 'Other');

    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/^\S*scan-app is not empty \(it holds [^\n]+\n$/);
    expect(files(join(work, 'scan-app'))).toEqual(before);
  }, 60_000);

  it('refuses a name CodePipeline would refuse: one line, exit status 2, no folder', async () => {
    const refused = await init(work, 'bad', '--provider', 'Scan.App', '--property', 'A B');

    expect(refused.status).toBe(2);
    expect(refused.stderr).toBe(
      '--provider must be 1-35 characters of [0-9A-Za-z_-] (got "Scan.App"); property name must be 1-50 characters, none of them a comma, a colon or a space (got "A B")\n',
    );
    expect(existsSync(join(work, 'bad'))).toBe(false);
  }, 60_000);
});
