import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_SUBSTITUTES,
  ESM_REQUIRE_BANNER,
  esbuildOptions,
  WORKER_BUNDLING,
} from '../../lib/bundling.js';

describe('esbuildOptions', () => {
  it('translates the worker bundling as NodejsFunction runs esbuild', () => {
    const options = esbuildOptions(WORKER_BUNDLING, 'lambda/handler.ts', '/tmp/out/index.mjs');

    expect(options).toMatchObject({
      entryPoints: ['lambda/handler.ts'],
      outfile: '/tmp/out/index.mjs',
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      banner: { js: ESM_REQUIRE_BANNER },
      mainFields: ['module', 'main'],
      external: [],
    });
    expect(options.alias).toEqual(BUNDLE_SUBSTITUTES);
    expect(options.legalComments).toBe('external');
  });

  it('refuses an option it cannot translate, so the benchmark cannot drift from the stack', () => {
    expect(() =>
      esbuildOptions({ ...WORKER_BUNDLING, define: { 'process.env.X': '"1"' } }, 'a.ts', 'b.mjs'),
    ).toThrow(/define/);
    expect(() =>
      esbuildOptions({ ...WORKER_BUNDLING, esbuildArgs: { '--log-limit': '0' } }, 'a.ts', 'b.mjs'),
    ).toThrow(/--log-limit/);
    expect(() =>
      esbuildOptions(
        { ...WORKER_BUNDLING, esbuildArgs: { '--legal-comments': 'somewhere' } },
        'a.ts',
        'b.mjs',
      ),
    ).toThrow(/--legal-comments/);
  });
});

describe('the deployed bundle', () => {
  let outdir: string;
  let bundle: string;

  beforeAll(async () => {
    outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-bundle-'));
    const file = path.join(outdir, 'index.mjs');
    await build(esbuildOptions(WORKER_BUNDLING, 'lambda/handler.ts', file));
    bundle = readFileSync(file, 'utf8');
  }, 60_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('carries the substitutes instead of the code they replace', () => {
    expect(bundle).toContain('as Lambda provides them');
    expect(bundle).not.toContain('defaultProvider::fromSSO');
    expect(bundle).toContain('Event streams are not bundled');
    expect(bundle).toContain('Endpoint discovery is not bundled');
  });

  it('keeps the comments dependencies mark as legal in a file of their own', () => {
    expect(bundle).not.toContain('Bundled license information');
    expect(existsSync(path.join(outdir, 'index.mjs.LEGAL.txt'))).toBe(true);
  });

  it('loads in a Lambda-like environment and exports the handler', async () => {
    const url = pathToFileURL(path.join(outdir, 'index.mjs')).href;
    const code = `const m = await import(${JSON.stringify(url)}); process.stdout.write(typeof m.handler);`;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', code],
        {
          env: {
            PATH: process.env.PATH,
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'local',
            AWS_SECRET_ACCESS_KEY: 'local',
            AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
            LAMBDA_TASK_ROOT: outdir,
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
            ACTION_CATEGORY: 'Test',
            ACTION_PROVIDER: 'BakeTimeGate',
            ACTION_VERSION: '1',
            LEDGER_TABLE_NAME: 'ledger',
          },
          timeout: 30_000,
        },
        (error, out, stderr) => (error ? reject(new Error(stderr || String(error))) : resolve(out)),
      );
    });

    expect(stdout).toBe('function');
  });
});
