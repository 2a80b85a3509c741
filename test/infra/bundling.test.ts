import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUNDLE_SUBSTITUTES,
  BUNDLING_ROOT,
  ESM_REQUIRE_BANNER,
  esbuildOptions,
  WORKER_BUNDLING,
} from '../../lib/bundling.js';

describe('esbuildOptions', () => {
  it('translates the worker bundling as NodejsFunction runs esbuild', () => {
    const options = esbuildOptions(
      WORKER_BUNDLING,
      'lambda/handlers/bake-time-gate.ts',
      '/tmp/out/index.mjs',
    );

    expect(options).toMatchObject({
      entryPoints: ['lambda/handlers/bake-time-gate.ts'],
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

/** The names an ES module's source imports from `specifier` (`default` for a default import). */
function importedNames(source: string, specifier: string): string[] {
  const names: string[] = [];
  const quoted = specifier.replace(/[/.-]/g, (c) => `\\${c}`);
  const pattern = new RegExp(`import\\s+([^;]*?)\\s+from\\s*["']${quoted}["']`, 'g');
  for (const [, clause = ''] of source.matchAll(pattern)) {
    const braces = /\{([^}]*)\}/.exec(clause);
    for (const name of braces?.[1]?.split(',') ?? []) {
      const imported = name.trim().split(/\s+as\s+/)[0];
      if (imported) names.push(imported);
    }
    if (/^[\w$]+/.test(clause.trim())) names.push('default');
  }
  return names;
}

describe('the deployed bundle', () => {
  let outdir: string;
  let bundle: string;

  let metafile: Metafile;

  beforeAll(async () => {
    outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-bundle-'));
    const file = path.join(outdir, 'index.mjs');
    ({ metafile } = await build({
      ...esbuildOptions(WORKER_BUNDLING, 'lambda/handlers/bake-time-gate.ts', file),
      metafile: true,
    }));
    bundle = readFileSync(file, 'utf8');
  }, 60_000);

  it('has a substitute export every name that bundled code imports from the package it replaces', async () => {
    const checked: string[] = [];
    for (const [importer, input] of Object.entries(metafile.inputs)) {
      for (const { original, kind } of input.imports) {
        const substitute = original ? BUNDLE_SUBSTITUTES[original] : undefined;
        // Names are read from import statements; `require` and `import()` take the whole module.
        if (!original || !substitute || kind !== 'import-statement') continue;
        const source = readFileSync(path.join(BUNDLING_ROOT, importer), 'utf8');
        const module = (await import(path.join(BUNDLING_ROOT, substitute))) as object;
        for (const name of importedNames(source, original)) {
          checked.push(`${original}:${name}`);
          expect(module, `${importer} imports ${name} from ${original}`).toHaveProperty(name);
        }
      }
    }
    // The SDK clients' imports of the credential chain, the hash and endpoint discovery.
    expect(new Set(checked)).toEqual(
      new Set([
        '@aws-sdk/credential-provider-node:defaultProvider',
        '@smithy/core/checksum:Sha256',
        '@aws-sdk/middleware-endpoint-discovery:resolveEndpointDiscoveryConfig',
        '@aws-sdk/middleware-endpoint-discovery:NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS',
      ]),
    );
  });
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
