/**
 * The error families: every error class the function side defines is exported by an entry
 * point of the package, and every one the worker raises is a JobWorkerError (a processor's own
 * failures are JobFailureErrors, the artifact API's are ArtifactErrors).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as artifacts from '../../lambda/artifacts/index.js';
import * as root from '../../lambda/index.js';
import * as kit from '../../lambda/kit/index.js';
import { ROOT, sources } from '../helpers/source-files.js';

/** `[file, class]` for every `export class ...Error` under lambda/. */
function errorClasses(): [string, string][] {
  return sources('lambda').flatMap((file) =>
    [...readFileSync(join(ROOT, file), 'utf8').matchAll(/^export class (\w+Error) extends/gm)].map(
      (match): [string, string] => [file, match[1] ?? ''],
    ),
  );
}

/**
 * Errors no package user sees: the credential provider substitute's (it stands in for the AWS
 * SDK's own in the function's bundle) and the zip reader's (the artifact API turns it into an
 * ArtifactFormatError before it leaves).
 */
const INTERNAL = new Set([
  'lambda/bundle/lambda-credentials.ts',
  'lambda/artifacts/zip-central-directory.ts',
]);

describe('error classes', () => {
  const exported: Record<string, unknown> = { ...root, ...artifacts, ...kit };

  it('are each exported by the package root, the artifact API or the kit', () => {
    const missing = errorClasses()
      .filter(([file]) => !INTERNAL.has(file))
      .filter(([, name]) => typeof exported[name] !== 'function')
      .map(([file, name]) => `${name} (${file})`);

    expect(errorClasses().length).toBeGreaterThan(15);
    expect(missing).toEqual([]);
  });

  it("are JobWorkerErrors, except the processor's JobFailureErrors (the contract's, the kit's) and the artifact API's family", () => {
    const outside = errorClasses()
      .filter(([file]) => !INTERNAL.has(file))
      .filter(([file]) => !/^lambda\/(artifacts|job|kit)\//.test(file))
      .filter(([, name]) => name !== 'JobWorkerError')
      .filter(([, name]) => {
        const type = exported[name] as { prototype: unknown } | undefined;
        return !(type && type.prototype instanceof root.JobWorkerError);
      })
      .map(([file, name]) => `${name} (${file})`);

    expect(outside).toEqual([]);
  });

  it('keep their name and cause', () => {
    const cause = new Error('socket hang up');
    const error = new root.DrainError('the drain stopped', {} as root.DrainSummary, { cause });

    expect(error).toBeInstanceOf(root.JobWorkerError);
    expect(error.name).toBe('DrainError');
    expect(error.cause).toBe(cause);
  });
});
