/**
 * The walls of the layout (see docs/design.md): what is deployed is only what the
 * function needs, the infrastructure reads nothing of the function but pure data, and the
 * samples (this repository's app) sit on top of the library, which knows nothing of them.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { importCycles } from '../helpers/import-cycles.js';
import { imports, ROOT, sources } from '../helpers/source-files.js';

/** The library's folders: what the package is built from. */
const LIBRARY = ['lambda', 'lib', 'local', 'types'];

/** The sources of the package's `exports` (`./dist/lambda/index.js` is `lambda/index.ts`). */
function publicEntryPoints(): string[] {
  const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    exports: Record<string, string | { default: string }>;
  };
  return Object.values(manifest.exports)
    .map((target) => (typeof target === 'string' ? target : target.default))
    .filter((target) => target.startsWith('./dist/'))
    .map((target) => target.replace(/^\.\/dist\//, '').replace(/\.js$/, '.ts'));
}

/** The repository-relative `.ts` file a relative specifier of `file` names. */
function target(file: string, specifier: string): string {
  return relative(ROOT, resolve(ROOT, dirname(file), specifier)).replace(/\.js$/, '.ts');
}

/** Every relative import of the files under `from`, as [importer, imported file]. */
function edges(from: string): [string, string][] {
  return sources(from).flatMap((file) =>
    imports(file)
      .filter((specifier) => specifier.startsWith('.'))
      .map((specifier): [string, string] => [file, target(file, specifier)]),
  );
}

describe('layout boundaries', () => {
  it('lambda/ imports nothing from lib/, bin/, local/, samples/ or bench/', () => {
    const offending = edges('lambda')
      .filter(([, imported]) => /^(lib|bin|local|samples|bench)\//.test(imported))
      .map(([file, imported]) => `${file} imports ${imported}`);

    expect(offending).toEqual([]);
  });

  it('the processor contract (lambda/job/) imports nothing of the function but the contract module', () => {
    const offending = edges('lambda/job')
      .filter(([, imported]) => !imported.startsWith('lambda/job/'))
      .filter(([, imported]) => imported !== 'lambda/contract.ts')
      .map(([file, imported]) => `${file} imports ${imported}`);

    expect(sources('lambda/job').length).toBeGreaterThanOrEqual(4);
    expect(offending).toEqual([]);
  });

  it('the artifact API depends on the processor contract, never on the worker or its adapters', () => {
    const fromArtifacts = edges('lambda/artifacts');
    const offending = fromArtifacts
      .filter(([, imported]) => /^lambda\/(worker|adapters)\//.test(imported))
      .map(([file, imported]) => `${file} imports ${imported}`);

    expect(fromArtifacts.some(([, imported]) => imported.startsWith('lambda/job/'))).toBe(true);
    expect(offending).toEqual([]);
  });

  it('the processor kit depends on the processor contract and the SDK settings alone, and on no package', () => {
    const allowed = (imported: string) =>
      /^lambda\/(job|kit)\//.test(imported) || imported === 'lambda/sdk-options.ts';
    const fromKit = edges('lambda/kit');
    const offending = fromKit
      .filter(([, imported]) => !allowed(imported))
      .map(([file, imported]) => `${file} imports ${imported}`);
    // Read by the compiler, which skips the TSDoc examples' imports.
    const packages = sources('lambda/kit').flatMap((file) =>
      ts
        .preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true)
        .importedFiles.map(({ fileName }) => fileName)
        .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
        .map((specifier) => `${file} imports ${specifier}`),
    );

    expect(fromKit.some(([, imported]) => imported.startsWith('lambda/job/'))).toBe(true);
    expect(offending).toEqual([]);
    expect(packages).toEqual([]);
  });

  it('lib/ reads of lambda/ only modules of pure data, which import nothing', () => {
    const fromLambda = edges('lib').filter(([, imported]) => imported.startsWith('lambda/'));
    const offending = fromLambda
      .filter(([, imported]) => imports(imported).length > 0)
      .map(([file, imported]) => `${file} imports ${imported}, which imports ${imports(imported)}`);

    expect(fromLambda.map(([, imported]) => imported)).toContain('lambda/contract.ts');
    expect(offending).toEqual([]);
  });

  it('the library (lambda/, lib/, local/) imports nothing from samples/', () => {
    const offending = LIBRARY.flatMap((folder) => edges(folder))
      .filter(([, imported]) => imported.startsWith('samples/'))
      .map(([file, imported]) => `${file} imports ${imported}`);

    expect(offending).toEqual([]);
  });

  it('the sample processors and their entry files use the package only by its public entry points', () => {
    const entryPoints = publicEntryPoints();
    const userCode = edges('samples').filter(([file]) =>
      /^samples\/(processors|handlers)\//.test(file),
    );
    const offending = userCode
      .filter(([, imported]) => !imported.startsWith('samples/'))
      .filter(([, imported]) => !entryPoints.includes(imported))
      .map(([file, imported]) => `${file} imports ${imported}`);

    expect(entryPoints).toEqual(
      expect.arrayContaining(['lambda/index.ts', 'lambda/artifacts/index.ts']),
    );
    expect(userCode.map(([, imported]) => imported)).toContain('lambda/index.ts');
    expect(offending).toEqual([]);
  });

  it('samples/ imports nothing from bin/, bench/ or test/', () => {
    const offending = edges('samples')
      .filter(([, imported]) => /^(bin|bench|test)\//.test(imported))
      .map(([file, imported]) => `${file} imports ${imported}`);

    expect(sources('samples').length).toBeGreaterThan(0);
    expect(offending).toEqual([]);
  });
});

describe('import cycles', () => {
  it('finds a cycle, a self-import, and none where imports only go one way', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts', 'outside.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['d.ts']],
      ['e.ts', ['a.ts', 'f.ts']],
      ['f.ts', []],
    ]);

    const oneWay = new Map([
      ['e.ts', ['f.ts']],
      ['f.ts', []],
    ]);

    expect(importCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
    expect(importCycles(oneWay)).toEqual([]);
  });

  it('finds none among the relative imports of lambda/ and lib/, type imports included', () => {
    const graph = new Map<string, string[]>();
    for (const [file, imported] of [...edges('lambda'), ...edges('lib')]) {
      graph.set(file, [...(graph.get(file) ?? []), imported]);
    }

    const cycles = importCycles(graph);

    expect(graph.size).toBeGreaterThan(50);
    expect(cycles).toEqual([]);
  });
});
