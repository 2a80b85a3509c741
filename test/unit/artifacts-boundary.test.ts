import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function sources(directory: string): string[] {
  return readdirSync(join(ROOT, directory), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
}

function imports(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)].map((match) => match[1] ?? '');
}

/** What only the artifact entry point may load: processors that never use it do not pay for it. */
const ARTIFACT_ONLY =
  /(^|\/)artifacts\/|^@aws-sdk\/client-s3$|^@aws-sdk\/lib-storage$|^yauzl$|^yazl$/;

describe('module boundaries of the artifact API and the S3 stand-in', () => {
  it('nothing in lambda/ outside lambda/artifacts/ imports it, the S3 client or the zip libraries', () => {
    const offending = sources('lambda')
      .filter((file) => !file.startsWith('lambda/artifacts/'))
      .flatMap((file) =>
        imports(file)
          .filter((specifier) => ARTIFACT_ONLY.test(specifier))
          .map((specifier) => `${file} imports ${specifier}`),
      );

    expect(offending).toEqual([]);
  });

  it('the S3 stand-in imports nothing from lambda/', () => {
    const offending = sources('local/s3').flatMap((file) =>
      imports(file)
        .filter((specifier) => specifier.includes('lambda/'))
        .map((specifier) => `${file} imports ${specifier}`),
    );

    expect(sources('local/s3').length).toBeGreaterThan(0);
    expect(offending).toEqual([]);
  });
});
