/**
 * writeOutput: a small output artifact given as a value (JSON, text, files), zipped and
 * uploaded with the pipeline's KMS key, once; read back through the package's local store.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_JSON_PATH,
  jobArtifacts,
  OutputArtifactError,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import type { Job } from '../../lambda/job/job.js';
import { success } from '../../lambda/job/outcome.js';
import {
  type LocalArtifactStore,
  localArtifactStore,
  processingContext,
  type TestProcessingContext,
} from '../../local/testing/index.js';

const KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

describe('writeOutput', () => {
  let store: LocalArtifactStore;
  const contexts: TestProcessingContext[] = [];

  beforeAll(async () => {
    store = await localArtifactStore();
  });
  afterAll(() => store.close());
  afterEach(async () => {
    for (const context of contexts.splice(0)) await context.end();
  });

  function setUp(outputs: string[] = ['Info']): {
    job: Job;
    context: TestProcessingContext;
    artifacts: ReturnType<typeof jobArtifacts>;
  } {
    const job = store.job({
      outputArtifacts: outputs.map((name) => ({ name })),
      encryptionKey: { id: KEY },
    });
    const context = processingContext();
    contexts.push(context);
    return { job, context, artifacts: jobArtifacts(job, context) };
  }

  async function text(job: Job, name: string, path: string): Promise<string | undefined> {
    return (await (await store.output(job, name))?.entry(path))?.toString('utf8');
  }

  it('writes a JSON value as output.json, encrypted with the pipeline’s key', async () => {
    const { job, artifacts } = setUp();
    const value = { buildId: 'app:42', status: 'SUCCEEDED', phases: [1, 2] };

    const result = await artifacts.writeOutput('Info', { json: value });
    const output = await store.output(job, 'Info');

    expect(DEFAULT_JSON_PATH).toBe('output.json');
    expect(output).toMatchObject({
      entries: ['output.json'],
      serverSideEncryption: 'aws:kms',
      kmsKeyId: KEY,
    });
    expect(JSON.parse((await text(job, 'Info', 'output.json')) ?? '')).toEqual(value);
    expect(result).toMatchObject({ name: 'Info', bytes: output?.bytes, parts: 1 });
  });

  it('writes a text under the path given', async () => {
    const { job, artifacts } = setUp();

    await artifacts.writeOutput('Info', {
      text: '# Build 42\nAll green.\n',
      path: 'notes/summary.md',
    });

    expect((await store.output(job, 'Info'))?.entries).toEqual(['notes/summary.md']);
    expect(await text(job, 'Info', 'notes/summary.md')).toBe('# Build 42\nAll green.\n');
  });

  it('writes a map of files, text and bytes', async () => {
    const { job, artifacts } = setUp();

    await artifacts.writeOutput('Info', {
      files: { 'a.txt': 'alpha', 'bin/b.dat': Buffer.from([0, 255, 7]) },
    });
    const output = await store.output(job, 'Info');

    expect(output?.entries).toEqual(['a.txt', 'bin/b.dat']);
    expect(await text(job, 'Info', 'a.txt')).toBe('alpha');
    expect(await output?.entry('bin/b.dat')).toEqual(Buffer.from([0, 255, 7]));
  });

  it('writes each output once, and counts a written one for the success check', async () => {
    const { artifacts, context } = setUp();
    await artifacts.writeOutput('Info', { json: 1 });

    const again = artifacts.writeOutput('Info', { json: 2 });

    await expect(again).rejects.toThrow(OutputArtifactError);
    await expect(again).rejects.toThrow(/was already written/);
    expect(await context.checked(success())).toEqual(success());
  });

  it.each([
    ['../escape.txt', /is not a plain relative path/],
    ['/etc/passwd', /is absolute/],
    ['C:/x.txt', /is absolute/],
    ['a\\b.txt', /backslash/],
    ['a//b.txt', /is not a plain relative path/],
    ['', /is empty/],
  ])(
    'refuses the file path %j, writing nothing, and the output may be written after',
    async (path, reason) => {
      const { job, artifacts } = setUp();

      const refused = artifacts.writeOutput('Info', { files: { [path]: 'x', 'ok.txt': 'y' } });

      await expect(refused).rejects.toThrow(UnsafeArchiveError);
      await expect(refused).rejects.toThrow(reason);
      expect(await store.output(job, 'Info')).toBeUndefined();
      await artifacts.writeOutput('Info', { text: 'fine' });
      expect(await text(job, 'Info', 'output.txt')).toBe('fine');
    },
  );

  it.each([
    [
      'two kinds of contents',
      { json: 1, text: 'x' },
      /exactly one of json, text and files \(given: json, text\)/,
    ],
    ['none', {}, /exactly one of json, text and files \(given: none\)/],
    ['no file', { files: {} }, /was given no file/],
    ['a value without JSON text', { json: undefined }, /has no JSON text/],
    ['a value JSON cannot write', { json: { n: 1n } }, /cannot be written as JSON/],
  ])('refuses %s as an OutputArtifactError naming the output', async (_name, contents, reason) => {
    const { job, artifacts } = setUp();

    const refused = artifacts.writeOutput('Info', contents as never);

    await expect(refused).rejects.toThrow(OutputArtifactError);
    await expect(refused).rejects.toThrow(reason);
    await expect(refused).rejects.toMatchObject({ artifactName: 'Info', failureType: 'JobFailed' });
    expect(await store.output(job, 'Info')).toBeUndefined();
  });

  it('refuses an output the job does not declare', async () => {
    const { artifacts } = setUp();

    await expect(artifacts.writeOutput('Other', { json: 1 })).rejects.toMatchObject({
      name: 'ArtifactNameError',
      failureType: 'ConfigurationError',
    });
  });
});
