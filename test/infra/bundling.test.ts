import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile, transformSync } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSubstitutes, substituteFile } from '../../lib/bundle-substitutes.js';
import {
  BUNDLING_ROOT,
  ESM_REQUIRE_BANNER,
  esbuildOptions,
  workerBundling,
} from '../../lib/bundling.js';

const CREDENTIALS = substituteFile('lambda-credentials');
const NAMESPACES = substituteFile('async-local-namespace');
const bundling = () => workerBundling({ projectRoot: BUNDLING_ROOT });

describe('esbuildOptions', () => {
  it('translates the worker bundling as NodejsFunction runs esbuild', () => {
    const options = esbuildOptions(
      bundling(),
      'samples/handlers/bake-time-gate.ts',
      '/tmp/out/index.mjs',
    );

    expect(options).toMatchObject({
      absWorkingDir: BUNDLING_ROOT,
      entryPoints: ['samples/handlers/bake-time-gate.ts'],
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
    expect(options.alias).toEqual({
      '@aws-sdk/credential-provider-node': CREDENTIALS,
      'cls-hooked': NAMESPACES,
      'cls-hooked/context': NAMESPACES,
    });
    expect(options.legalComments).toBe('external');
  });

  it('runs esbuild in the project root it is given', () => {
    expect(esbuildOptions(bundling(), 'a.ts', 'b.mjs', '/elsewhere').absWorkingDir).toBe(
      '/elsewhere',
    );
  });

  it('refuses an option it cannot translate, so the benchmark cannot drift from the stack', () => {
    const options = bundling();
    expect(() =>
      esbuildOptions({ ...options, define: { 'process.env.X': '"1"' } }, 'a.ts', 'b.mjs'),
    ).toThrow(/define/);
    expect(() =>
      esbuildOptions({ ...options, esbuildArgs: { '--log-limit': '0' } }, 'a.ts', 'b.mjs'),
    ).toThrow(/--log-limit/);
    expect(() =>
      esbuildOptions(
        { ...options, esbuildArgs: { '--legal-comments': 'somewhere' } },
        'a.ts',
        'b.mjs',
      ),
    ).toThrow(/--legal-comments/);
  });
});

/** A project folder of fake packages: `files` by path under its `node_modules`. */
function fakeProject(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'job-worker-fake-project-'));
  for (const [file, content] of Object.entries(files)) {
    const target = path.join(root, 'node_modules', file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  return root;
}

/** A CommonJS package exporting `names`. */
function cjsPackage(dir: string, names: readonly string[], main = 'index.js') {
  return {
    [`${dir}/package.json`]: JSON.stringify({ name: dir, version: '1.0.0', main }),
    [`${dir}/${main}`]: names
      .map((name) => `exports.${name} = () => ${JSON.stringify(name)};`)
      .join('\n'),
  };
}

const CHAIN_NAMES = [
  'defaultProvider',
  'credentialsWillNeedRefresh',
  'credentialsTreatedAsExpired',
];
const CLS_NAMES = ['getNamespace', 'createNamespace', 'destroyNamespace', 'reset', 'ERROR_SYMBOL'];

/** Both substituted packages, exporting what the installed versions export. */
const faithfulPackages = () => ({
  ...cjsPackage('@aws-sdk/credential-provider-node', CHAIN_NAMES),
  ...cjsPackage('cls-hooked', CLS_NAMES),
  'cls-hooked/context.js': CLS_NAMES.map((name) => `exports.${name} = 1;`).join('\n'),
});

const aliasesOf = (projectRoot: string, substitutes?: boolean) => {
  const options = workerBundling({
    projectRoot,
    ...(substitutes === undefined ? {} : { substitutes }),
  });
  return esbuildOptions(options, 'entry.ts', 'out.mjs', projectRoot).alias;
};

describe('workerBundling', () => {
  const roots: string[] = [];
  const project = (files: Record<string, string>) => {
    const root = fakeProject(files);
    roots.push(root);
    return root;
  };
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });

  it('aliases both cls-hooked paths to one module, each substitute by its absolute path', () => {
    const aliases = aliasesOf(project(faithfulPackages()));

    expect(aliases).toEqual({
      '@aws-sdk/credential-provider-node': CREDENTIALS,
      'cls-hooked': NAMESPACES,
      'cls-hooked/context': NAMESPACES,
    });
    for (const file of Object.values(aliases ?? {})) expect(path.isAbsolute(file)).toBe(true);
  });

  it('substitutes nothing when asked not to', () => {
    expect(aliasesOf(project(faithfulPackages()), false)).toEqual({});
  });

  it('leaves a substitute out when a nested copy exports a name the substitute lacks', () => {
    const root = project({
      ...faithfulPackages(),
      // A client that pins its own, newer credential chain.
      ...cjsPackage('@aws-sdk/client-new/node_modules/@aws-sdk/credential-provider-node', [
        ...CHAIN_NAMES,
        'fromSomethingNew',
      ]),
      '@aws-sdk/client-new/package.json': JSON.stringify({ name: '@aws-sdk/client-new' }),
    });

    expect(aliasesOf(root)).toEqual({ 'cls-hooked': NAMESPACES, 'cls-hooked/context': NAMESPACES });
    expect(checkSubstitutes(root).find((v) => !v.used)).toMatchObject({
      reason: expect.stringMatching(/client-new.*exports fromSomethingNew$/),
    });
  });

  it('leaves out both cls-hooked paths when one of them exports a name the substitute lacks', () => {
    const root = project({
      ...faithfulPackages(),
      'cls-hooked/context.js': [...CLS_NAMES, 'runWithNewFeature']
        .map((name) => `exports.${name} = 1;`)
        .join('\n'),
    });

    expect(aliasesOf(root)).toEqual({ '@aws-sdk/credential-provider-node': CREDENTIALS });
  });

  it('reads the ES module build a bundler prefers, not only what require loads', () => {
    const root = project({
      ...faithfulPackages(),
      '@aws-sdk/credential-provider-node/package.json': JSON.stringify({
        main: 'index.js',
        module: 'es/index.js',
      }),
      '@aws-sdk/credential-provider-node/es/index.js': [...CHAIN_NAMES, 'onlyInTheEsBuild']
        .map((name) => `export const ${name} = 1;`)
        .join('\n'),
    });

    expect(aliasesOf(root)).not.toHaveProperty('@aws-sdk/credential-provider-node');
  });

  it('leaves a substitute out when no copy of its package is installed, or exports cannot be told', () => {
    const root = project({
      ...cjsPackage('cls-hooked', CLS_NAMES),
      'cls-hooked/context.js': CLS_NAMES.map((name) => `exports.${name} = 1;`).join('\n'),
      // An `exports` pattern: which files a subpath loads cannot be read without resolving it.
      'cls-hooked/package.json': JSON.stringify({ main: 'index.js', exports: { './*': './*.js' } }),
    });

    expect(aliasesOf(root)).toEqual({});
  });

  it('finds the substitute modules next to the compiled library first', async () => {
    // The library as published: dist/lib/*.js next to dist/lambda/bundle/*.js.
    const root = mkdtempSync(path.join(tmpdir(), 'job-worker-dist-'));
    roots.push(root);
    symlinkSync(path.join(BUNDLING_ROOT, 'node_modules'), path.join(root, 'node_modules'));
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    for (const file of [
      'lib/bundle-substitutes.ts',
      'lib/esbuild.ts',
      'lib/optional-peer.ts',
      'lambda/bundle/lambda-credentials.ts',
      'lambda/bundle/async-local-namespace.ts',
      'lambda/bundle/bound-emitters.ts',
    ]) {
      const compiled = path.join(root, 'dist', file.replace(/\.ts$/, '.js'));
      mkdirSync(path.dirname(compiled), { recursive: true });
      const source = readFileSync(path.join(BUNDLING_ROOT, file), 'utf8');
      writeFileSync(compiled, transformSync(source, { loader: 'ts', format: 'esm' }).code);
      // Sources shipped alongside: the compiled module must still be the one chosen.
      writeFileSync(path.join(root, 'dist', file), source);
    }
    const compiled = (await import(
      pathToFileURL(path.join(root, 'dist/lib/bundle-substitutes.js')).href
    )) as typeof import('../../lib/bundle-substitutes.js');

    expect(compiled.substituteFile('lambda-credentials')).toBe(
      path.join(root, 'dist/lambda/bundle/lambda-credentials.js'),
    );
    expect(compiled.checkSubstitutes(BUNDLING_ROOT).map((verdict) => verdict.used)).toEqual([
      true,
      true,
    ]);
  });
});

describe('the deployed bundle', () => {
  let outdir: string;
  let bundle: string;
  let metafile: Metafile;

  beforeAll(async () => {
    outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-bundle-'));
    const file = path.join(outdir, 'index.mjs');
    ({ metafile } = await build({
      ...esbuildOptions(bundling(), 'samples/handlers/bake-time-gate.ts', file),
      metafile: true,
    }));
    bundle = readFileSync(file, 'utf8');
  }, 60_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const bundledPackages = () =>
    new Set(
      Object.keys(metafile.inputs).flatMap((input) => {
        const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
        return match?.[1] ? [match[1]] : [];
      }),
    );

  it('carries the substitutes instead of the packages they replace, and nothing else replaced', () => {
    const packages = bundledPackages();

    expect(bundle).toContain('as Lambda provides them');
    expect(bundle).not.toContain('defaultProvider::fromSSO');
    expect(packages).not.toContain('@aws-sdk/credential-provider-node');
    expect(packages).not.toContain('cls-hooked');
    // semver (required by the X-Ray SDK) is bundled as published.
    expect(packages).toContain('semver');
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
