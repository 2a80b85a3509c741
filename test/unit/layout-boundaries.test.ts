/**
 * The walls of the layout (see docs/design.md): what is deployed is only what the
 * function needs, and the infrastructure reads nothing of the function but pure data.
 */
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { imports, ROOT, sources } from '../helpers/source-files.js';

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
  it('lambda/ imports nothing from lib/, bin/, local/ or bench/', () => {
    const offending = edges('lambda')
      .filter(([, imported]) => /^(lib|bin|local|bench)\//.test(imported))
      .map(([file, imported]) => `${file} imports ${imported}`);

    expect(offending).toEqual([]);
  });

  it('lib/ reads of lambda/ only modules of pure data, which import nothing', () => {
    const fromLambda = edges('lib').filter(([, imported]) => imported.startsWith('lambda/'));
    const offending = fromLambda
      .filter(([, imported]) => imports(imported).length > 0)
      .map(([file, imported]) => `${file} imports ${imported}, which imports ${imports(imported)}`);

    expect(fromLambda.map(([, imported]) => imported)).toContain('lambda/contract.ts');
    expect(offending).toEqual([]);
  });
});
