import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ArtifactFormatError,
  ArtifactLimitError,
  ArtifactNameError,
  ArtifactNotFoundError,
} from '../../lambda/artifacts/index.js';
import type { TestProcessingContext } from '../../local/testing/index.js';
import {
  ALL_SECRET_VALUES,
  artifact,
  artifactJob,
  artifactStoreForTests,
  BUCKET,
  failure,
  INPUT_KEY,
  JOB_CREDENTIALS,
  zipOf,
} from '../helpers/artifact-store.js';

describe('input artifacts through the artifact API (S3 stand-in)', () => {
  const suite = artifactStoreForTests();

  beforeEach(() => {
    // The function's own role: never what artifacts are read with.
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIAFUNCTIONROLE0000');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'function-role-secret');
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  const { open, requests } = suite;

  function expectNoSecret(error: Error, context?: TestProcessingContext) {
    const text = `${error.message}\n${inspect(error, { depth: null })}\n${JSON.stringify(context?.logs ?? [])}`;
    for (const secret of ALL_SECRET_VALUES) expect(text).not.toContain(secret);
  }

  it('extracts the only input into a directory of its own, read with the job credentials over path-style requests', async () => {
    await suite.store.s3.putObject(
      BUCKET,
      INPUT_KEY,
      await zipOf({ 'src/app.js': 'run()', 'README.md': '# app' }),
    );
    // A host name, not an IP address: the SDK addresses an IP endpoint path-style by itself.
    vi.stubEnv('AWS_ENDPOINT_URL_S3', suite.store.s3.endpoint.replace('127.0.0.1', 'localhost'));
    const { artifacts, context } = open();

    const directory = await artifacts.extract();

    expect(directory.startsWith(context.workDirectory)).toBe(true);
    expect(await readFile(join(directory, 'src/app.js'), 'utf8')).toBe('run()');
    expect((await readdir(directory)).sort()).toEqual(['README.md', 'src']);
    expect(await artifacts.extract('BuildOutput')).toBe(directory);
    // Path-style (`/bucket/key`) against the configured endpoint, signed with the job's key.
    expect(requests()).toEqual([
      expect.objectContaining({
        operation: 'GetObject',
        bucket: BUCKET,
        key: INPUT_KEY,
        accessKeyId: JOB_CREDENTIALS.accessKeyId,
        status: 200,
      }),
    ]);
    expect(context.logs).toContainEqual(
      expect.objectContaining({ message: 'input artifact extracted' }),
    );
  });

  it('streams an input by name, and downloads it to a file under the work directory', async () => {
    await suite.store.s3.putObject(BUCKET, INPUT_KEY, 'not necessarily a zip');
    const { artifacts, context } = open();

    const stream = await artifacts.open('BuildOutput');
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    const file = await artifacts.download('BuildOutput');

    expect(Buffer.concat(chunks).toString()).toBe('not necessarily a zip');
    expect(file.startsWith(context.workDirectory)).toBe(true);
    expect(await readFile(file, 'utf8')).toBe('not necessarily a zip');
  });

  it('refuses a name the job does not declare, and "the only one" of several', async () => {
    const twoInputs = artifactJob({
      inputArtifacts: [artifact('Source', 'k1'), artifact('Tests', 'k2')],
    });

    const unknown = await failure(open().artifacts.extract('SourceOutput'));
    const ambiguous = await failure(open(twoInputs).artifacts.extract());

    expect(unknown).toBeInstanceOf(ArtifactNameError);
    expect(unknown.failureType).toBe('ConfigurationError');
    expect(unknown.message).toBe(
      'The job has no input artifact "SourceOutput" (its input artifacts: "BuildOutput")',
    );
    expect(ambiguous).toBeInstanceOf(ArtifactNameError);
    expect(ambiguous.message).toContain('2 input artifacts ("Source", "Tests")');
    expect(requests()).toEqual([]);
  });

  it.each([
    ['object', artifact('BuildOutput', 'checkout-service/BuildOutpu/gone')],
    ['bucket', artifact('BuildOutput', INPUT_KEY, 'no-such-artifact-bucket')],
  ])(
    'fails with RevisionUnavailable, naming the artifact, when its %s is missing',
    async (_, input) => {
      const { artifacts, context } = open(artifactJob({ inputArtifacts: [input] }));

      const error = await failure(artifacts.extract());

      expect(error).toBeInstanceOf(ArtifactNotFoundError);
      expect(error.failureType).toBe('RevisionUnavailable');
      expect(error.artifactName).toBe('BuildOutput');
      expect(error.message).toMatch(/^Input artifact "BuildOutput" \(s3:\/\/.+\): .*NoSuch/);
      expectNoSecret(error, context);
      expect(existsSync(join(context.workDirectory, 'artifacts', 'inputs', 'BuildOutput'))).toBe(
        false,
      );
    },
  );

  it('stops when the job is cancelled (its deadline passed)', async () => {
    await suite.store.s3.putObject(BUCKET, INPUT_KEY, await zipOf({ 'a.txt': 'a' }));
    const { artifacts, context } = open();
    context.abort();

    const error = await failure(artifacts.extract());

    expect(error.failureType).toBe('JobFailed');
    expect(error.message).toMatch(
      /^Input artifact "BuildOutput" .*stopped, the job was cancelled$/,
    );
  });

  it('stops reading an input over the size limit, and leaves no file behind', async () => {
    await suite.store.s3.putObject(BUCKET, INPUT_KEY, Buffer.alloc(3 * 1024 * 1024));
    const { artifacts, context } = open(artifactJob(), { maxInputBytes: 1024 * 1024 });

    const error = await failure(artifacts.download());

    expect(error).toBeInstanceOf(ArtifactLimitError);
    expect(error.message).toContain('Input artifact "BuildOutput"');
    expect(error.message).toContain(`limit of ${1024 * 1024} bytes`);
    expect(await readdir(join(context.workDirectory, 'artifacts', 'downloads'))).toEqual([]);
  });

  it('fails with a clear error naming the artifact when the input is not a zip', async () => {
    await suite.store.s3.putObject(BUCKET, INPUT_KEY, 'plain text');
    const { artifacts, context } = open();

    const error = await failure(artifacts.extract());

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.failureType).toBe('JobFailed');
    expect(error.message).toMatch(
      /^Input artifact "BuildOutput" \(s3:\/\/.+\): extracting: not a valid zip archive/,
    );
    // Neither the archive nor a half-extracted directory is left.
    expect(await readdir(join(context.workDirectory, 'artifacts', 'downloads'))).toEqual([]);
    expect(existsSync(join(context.workDirectory, 'artifacts', 'inputs', 'BuildOutput'))).toBe(
      false,
    );
  });
});
