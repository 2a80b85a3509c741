import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './synth.js';

/** The `"app"` command of a cdk.json, relative to the repository. */
const appCommand = (dir: string) =>
  (JSON.parse(readFileSync(path.join(REPO_ROOT, dir, 'cdk.json'), 'utf8')) as { app: string }).app;

// tsx strips types without checking them: without tsc first, a type error would synthesize.
describe('the cdk.json of every app', () => {
  it.each(['examples/security-scan', 'examples/codebuild-runner'])(
    'type-checks %s with its own tsconfig before running it with tsx',
    (dir) => {
      expect(appCommand(dir)).toBe('npx --no-install tsc --noEmit && npx tsx bin/app.ts');
    },
  );

  it('type-checks this repository app, and what it imports, before running it', () => {
    const tsconfig = JSON.parse(
      readFileSync(path.join(REPO_ROOT, 'tsconfig.app.json'), 'utf8'),
    ) as { extends: string; files: string[]; include: string[] };

    expect(appCommand('.')).toBe(
      'npx --no-install tsc --noEmit -p tsconfig.app.json && npx tsx bin/app.ts',
    );
    expect(tsconfig).toEqual({
      extends: './tsconfig.json',
      include: [],
      files: ['bin/app.ts'],
    });
  });
});
