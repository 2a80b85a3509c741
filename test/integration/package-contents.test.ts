/**
 * What a user installs: the tarball `npm pack` makes holds the library's build, the templates
 * `codepipeline-job-worker init` fills, its README and licence, and no sample code. The samples (samples/) are this repository's app: the build
 * does not compile them, and `files` in package.json need not leave them out.
 *
 * The tarball is listed from a fresh build in dist/ (`npm run build`, which empties dist/
 * first), as `npm pack` packs it after its `prepack` build.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PRESETS } from '../../samples/presets.js';
import { ROOT, sources } from '../helpers/source-files.js';

const run = promisify(execFile);

/** The files `npm pack` would put in the tarball, repository-relative. */
async function packedFiles(): Promise<string[]> {
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    env: { ...process.env, npm_config_update_notifier: 'false' },
    maxBuffer: 16 * 1024 * 1024,
  });
  const [pack] = JSON.parse(stdout) as { files: { path: string }[] }[];
  return (pack?.files ?? []).map((file) => file.path);
}

/** The source files a TypeScript config compiles, repository-relative. */
function compiledSources(configFile: string): string[] {
  const path = join(ROOT, configFile);
  const { config } = ts.readConfigFile(path, ts.sys.readFile);
  return ts
    .parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, path)
    .fileNames.map((file) => relative(ROOT, file));
}

/** `bake-time-gate` → `bakeTimeGate`. */
const camel = (name: string) => name.replace(/-(\w)/g, (_, letter: string) => letter.toUpperCase());

/**
 * What compiled sample code carries: a sample's factory (`bakeTimeGate`) or one of its modules
 * (`bake-time-gate.js`, `artifact-policy-config.js`). A comment naming a sample's source file
 * (`.ts`) is not code.
 */
const SAMPLE_CODE = new RegExp(
  Object.keys(SAMPLE_PRESETS)
    .map((name) => `\\b${camel(name)}\\b|\\b${name}[\\w-]*\\.js\\b`)
    .join('|'),
);

describe('the packed package', () => {
  let files: string[];

  beforeAll(async () => {
    await run('npm', ['run', '-s', 'build'], { cwd: ROOT, maxBuffer: 16 * 1024 * 1024 });
    files = await packedFiles();
  }, 240_000);

  it('holds the build of lambda/, lib/ and local/, the templates, the README, the licence and package.json', () => {
    const outside = files.filter(
      (file) =>
        !/^dist\/(lambda|lib|local)\//.test(file) &&
        !/^templates\/action\//.test(file) &&
        !['README.md', 'LICENSE', 'package.json'].includes(file),
    );

    expect(files).toEqual(
      expect.arrayContaining([
        'dist/lambda/index.js',
        'dist/lambda/artifacts/index.js',
        'dist/lambda/kit/index.js',
        'dist/lib/index.js',
        'dist/local/testing/index.js',
        'dist/local/cli.js',
      ]),
    );
    expect(outside).toEqual([]);
  });

  it('holds every template of init, and nothing else under templates/', () => {
    const templates = readdirSync(join(ROOT, 'templates'), { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
      .sort();

    expect(templates).toEqual(
      expect.arrayContaining([
        'templates/action/package.json.tmpl',
        'templates/action/gitignore.tmpl',
        'templates/action/bin/app.ts.tmpl',
        'templates/action/src/processor.ts.tmpl',
        'templates/action/test/processor.test.ts.tmpl',
      ]),
    );
    expect(files.filter((file) => file.startsWith('templates/')).sort()).toEqual(templates);
  });

  it('holds only what a library source compiles to: no file of an old build', () => {
    const orphans = files
      .filter((file) => file.startsWith('dist/'))
      .filter(
        (file) =>
          !existsSync(join(ROOT, file.replace(/^dist\//, '').replace(/(\.d\.ts|\.js)$/, '.ts'))),
      );

    expect(orphans).toEqual([]);
  });

  it('holds no sample code: no sample factory, no sample module', () => {
    const code = files.filter((file) => /\.(js|d\.ts)$/.test(file));
    const withSamples = code.filter((file) =>
      SAMPLE_CODE.test(readFileSync(join(ROOT, file), 'utf8')),
    );

    expect(code.length).toBeGreaterThan(100);
    expect(withSamples).toEqual([]);
  });
});

describe('the build and the type check', () => {
  it('the build (tsconfig.build.json) compiles no file of samples/', () => {
    const built = compiledSources('tsconfig.build.json');

    expect(built).toContain('lambda/index.ts');
    expect(built.filter((file) => file.startsWith('samples/'))).toEqual([]);
  });

  it('the type check (tsconfig.json) covers every file of samples/', () => {
    const checked = new Set(compiledSources('tsconfig.json'));

    expect(sources('samples').filter((file) => !checked.has(file))).toEqual([]);
  });
});
