import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('the emulator module', () => {
  it('imports nothing from lambda/: it cannot share a bug with the worker it tests', () => {
    const files = readdirSync(join(ROOT, 'local/emulator'), {
      withFileTypes: true,
      recursive: true,
    })
      .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
      .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
    const offending = files.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)]
        .map((match) => match[1] ?? '')
        .filter((specifier) => specifier.includes('lambda/'))
        .map((specifier) => `${file} imports ${specifier}`),
    );

    expect(files.length).toBeGreaterThan(10);
    expect(offending).toEqual([]);
  });
});
