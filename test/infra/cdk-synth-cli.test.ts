import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLING_ROOT, esbuildOptions, workerBundling } from '../../lib/bundling.js';
import { REPO_ROOT } from './synth.js';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to completion, whatever its exit code. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: REPO_ROOT, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** This process's environment without any AWS_* variable (no credentials, no profile). */
function environmentWithoutAws(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('AWS_') && name !== 'NODE_ENV' && !name.startsWith('VITEST'),
    ),
  );
}

// The real CLI, the real app (bin/app.ts through cdk.json) and real esbuild bundling of the
// sample's entry, offline and without credentials. The -c overrides take
// the string path that command-line context values take.
let outdir: string;
let result: Run;

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-cli-'));
  result = await run(
    path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'),
    ['synth', '--quiet', '-o', outdir, '-c', 'batchSize=7', '-c', 'alarmEmail=oncall@example.com'],
    environmentWithoutAws(),
  );
}, 180_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth', () => {
  it('succeeds offline with no AWS credentials', () => {
    expect(result.stderr).not.toMatch(/ValidationFailed|AwsSolutions-|Serverless-|\[Warning/);
    expect(result.code, result.stderr).toBe(0);
  });

  it('prints nothing at all with --quiet when nothing is wrong', () => {
    // aws-cdk-lib announces each asset it bundles on stderr; the app drops that line.
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('');
  });

  it('writes the stack with the context overrides applied', () => {
    const template = JSON.parse(
      readFileSync(path.join(outdir, 'CodePipelineJobWorker.template.json'), 'utf8'),
    ) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const resources = Object.values(template.Resources);
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function');
    expect(fn?.Properties.Environment).toMatchObject({ Variables: { BATCH_SIZE: '7' } });
    expect(resources.filter((r) => r.Type === 'AWS::SNS::Subscription')).toHaveLength(1);
  });

  it('reports no cdk-nag finding', () => {
    const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports).toEqual([]);
  });

  it('bundles an ESM handler with the createRequire banner and a source map', () => {
    const assets = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    expect(assets).toHaveLength(1);
    const assetDir = path.join(outdir, assets[0] ?? '');
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    expect(
      bundle.startsWith(
        "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      ),
    ).toBe(true);
    expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    expect(existsSync(path.join(assetDir, 'index.mjs.map'))).toBe(true);
  });

  it('bundles exactly what lib/bundling.ts gives esbuild (what npm run bench measures)', async () => {
    const [asset] = readdirSync(outdir).filter((name) => name.startsWith('asset.'));
    const deployed = readFileSync(path.join(outdir, asset ?? '', 'index.mjs'), 'utf8');
    const benchDir = mkdtempSync(path.join(tmpdir(), 'job-worker-bundle-'));
    try {
      const file = path.join(benchDir, 'index.mjs');
      await build(
        esbuildOptions(
          workerBundling({ projectRoot: BUNDLING_ROOT }),
          'samples/handlers/bake-time-gate.ts',
          file,
        ),
      );

      expect(readFileSync(file, 'utf8')).toBe(deployed);
    } finally {
      rmSync(benchDir, { recursive: true, force: true });
    }
  });
});

describe('npx cdk synth with unusable context values', () => {
  let bad: Run;
  let badOut: string;

  beforeAll(async () => {
    badOut = mkdtempSync(path.join(tmpdir(), 'job-worker-cli-bad-'));
    bad = await run(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'),
      [
        'synth',
        '--quiet',
        '-o',
        badOut,
        '-c',
        'jobProcessor=securty-scan',
        '-c',
        'batchSize=0',
        '-c',
        'timeoutSeconds=abc',
      ],
      environmentWithoutAws(),
    );
  }, 180_000);

  afterAll(() => rmSync(badOut, { recursive: true, force: true }));

  it('fails, reporting every bad key on one line each, without a stack trace', () => {
    expect(bad.code).not.toBe(0);
    const output = bad.stdout + bad.stderr;
    const errors = output.split('\n').filter((line) => line.startsWith('ERROR '));
    expect(errors).toHaveLength(3);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringContaining("CDK context 'jobProcessor' must be one of bake-time-gate"),
        expect.stringContaining("CDK context 'batchSize' must be an integer from 1 to 100 (got 0)"),
        expect.stringContaining(`CDK context 'timeoutSeconds' must be a number (got "abc")`),
      ]),
    );
    expect(output).not.toMatch(/^\s+at /m);
  });
});
