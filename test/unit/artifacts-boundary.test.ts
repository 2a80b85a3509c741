import { describe, expect, it } from 'vitest';
import { imports, sources } from '../helpers/source-files.js';

/** What only the artifact entry point may load: processors that never use it do not pay for it. */
const ARTIFACT_ONLY =
  /(^|\/)artifacts\/|^@aws-sdk\/client-s3$|^@aws-sdk\/lib-storage$|^yauzl$|^yazl$/;

describe('module boundaries of the artifact API and the S3 stand-in', () => {
  it("the worker's core imports neither it, the S3 client nor the zip libraries", () => {
    // Processors that use artifacts import it (and pay for it); none of them lives in lambda/.
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
