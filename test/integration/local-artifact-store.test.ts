/**
 * The artifact store of `codepipeline-job-worker/testing`, used as a processor author uses it:
 * the artifact API called with no options, as production code calls it, reaches the store.
 */
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ArtifactPermissionError, jobArtifacts } from '../../lambda/artifacts/index.js';
import {
  FIXTURE_CREDENTIALS,
  type LocalArtifactStore,
  localArtifactStore,
  processingContext,
  type TestProcessingContext,
} from '../../local/testing/index.js';

describe('localArtifactStore', () => {
  const open: LocalArtifactStore[] = [];
  const contexts: TestProcessingContext[] = [];

  async function start(): Promise<LocalArtifactStore> {
    const store = await localArtifactStore();
    open.push(store);
    return store;
  }

  function context(): TestProcessingContext {
    const created = processingContext();
    contexts.push(created);
    return created;
  }

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    for (const { workDirectory } of contexts.splice(0)) {
      await rm(workDirectory, { recursive: true, force: true });
    }
    vi.unstubAllEnvs();
  });

  it('names itself in AWS_ENDPOINT_URL_S3, and AWS_REGION when unset, until it closes', async () => {
    vi.stubEnv('AWS_ENDPOINT_URL_S3', 'http://somewhere-else.example');
    vi.stubEnv('AWS_REGION', undefined);

    const store = await start();
    const whileOpen = { endpoint: process.env.AWS_ENDPOINT_URL_S3, region: process.env.AWS_REGION };
    await store.close();

    expect(whileOpen).toEqual({ endpoint: store.endpoint, region: 'us-east-1' });
    expect(store.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.AWS_ENDPOINT_URL_S3).toBe('http://somewhere-else.example');
    expect('AWS_REGION' in process.env).toBe(false);
  });

  it('keeps an AWS_REGION that is set', async () => {
    vi.stubEnv('AWS_REGION', 'eu-west-1');

    await start();

    expect(process.env.AWS_REGION).toBe('eu-west-1');
  });

  it('serves an input put as files to jobArtifacts(job, context), and reads back the upload with its encryption headers', async () => {
    const store = await start();
    const job = store.job({
      inputArtifacts: [{ name: 'Source' }],
      outputArtifacts: [{ name: 'Report' }],
      encryptionKey: { id: 'arn:aws:kms:us-east-1:123456789012:key/test-key' },
    });
    await store.putInput(job, {
      files: { 'src/app.js': 'run()', 'logo.bin': Buffer.from([0, 1]) },
    });
    const processing = context();
    const artifacts = jobArtifacts(job, processing);

    const source = await artifacts.extract();
    await writeFile(join(source, 'report.txt'), 'ok');
    await artifacts.uploadDirectory('Report', source);
    artifacts.destroy();
    const output = await store.output(job);

    expect(job.inputArtifacts[0]?.bucketName).toBe(store.bucketName);
    expect(await readFile(join(source, 'src/app.js'), 'utf8')).toBe('run()');
    expect(await readFile(join(source, 'logo.bin'))).toEqual(Buffer.from([0, 1]));
    expect(output).toMatchObject({
      entries: ['logo.bin', 'report.txt', 'src/app.js'],
      serverSideEncryption: 'aws:kms',
      kmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/test-key',
    });
    expect(output?.bytes).toBe(output?.body.length);
    expect((await output?.entry('report.txt'))?.toString()).toBe('ok');
    expect(await output?.entry('missing.txt')).toBeUndefined();
  });

  it('zips a directory, links as links, and stores zip bytes as they are', async () => {
    const store = await start();
    const directory = await mkdtemp(join(tmpdir(), 'store-input-'));
    await writeFile(join(directory, 'main.tf'), 'terraform {}');
    await symlink('main.tf', join(directory, 'current.tf'));
    const job = store.job({ inputArtifacts: [{ name: 'Infra' }, { name: 'Raw' }] });
    await store.putInput(job, { name: 'Infra', directory });
    const stored = await store.putInput(job, { name: 'Raw', zip: Buffer.from('not a zip at all') });
    const artifacts = jobArtifacts(job, context());

    const infra = await artifacts.extract('Infra');
    const raw = await artifacts.download('Raw');
    artifacts.destroy();
    await rm(directory, { recursive: true, force: true });

    expect(await readFile(join(infra, 'current.tf'), 'utf8')).toBe('terraform {}');
    expect(await readFile(raw, 'utf8')).toBe('not a zip at all');
    expect(stored).toEqual({
      bucketName: store.bucketName,
      objectKey: job.inputArtifacts[1]?.objectKey,
      bytes: 'not a zip at all'.length,
    });
  });

  it('gives every job object keys of its own, so an output nobody wrote reads back as undefined', async () => {
    const store = await start();
    const first = store.job({ outputArtifacts: [{ name: 'Out' }] });
    const second = store.job({ outputArtifacts: [{ name: 'Out' }] });
    const artifacts = jobArtifacts(first, context());
    const file = join(tmpdir(), `store-output-${process.pid}.txt`);
    await writeFile(file, 'first job');

    await artifacts.uploadFile('Out', file);
    artifacts.destroy();
    await rm(file, { force: true });

    expect(first.outputArtifacts[0]?.objectKey).not.toBe(second.outputArtifacts[0]?.objectKey);
    expect((await store.output(first))?.body.toString()).toBe('first job');
    expect(await store.output(second)).toBeUndefined();
  });

  it('refuses credentials it was not given, as S3 refuses them', async () => {
    const store = await start();
    const job = store.job({ artifactCredentials: FIXTURE_CREDENTIALS });
    await store.putInput(job, { files: { 'a.txt': 'a' } });
    const artifacts = jobArtifacts(job, context());

    const refused = await artifacts.extract().then(
      () => undefined,
      (error: unknown) => error,
    );
    artifacts.destroy();

    expect(refused).toBeInstanceOf(ArtifactPermissionError);
  });

  it('refuses to open while another store holds the environment, and opens once it closed', async () => {
    const first = await start();

    await expect(localArtifactStore()).rejects.toThrow(/another local artifact store .* is open/);
    await first.close();
    const second = await start();

    expect(process.env.AWS_ENDPOINT_URL_S3).toBe(second.endpoint);
  });

  it('takes exactly one kind of contents, for an input the job has', async () => {
    const store = await start();
    const job = store.job({ inputArtifacts: [{ name: 'A' }, { name: 'B' }] });

    await expect(store.putInput(job, { name: 'A' })).rejects.toThrow(
      'putInput takes exactly one of files, directory and zip (given: none)',
    );
    await expect(
      store.putInput(job, { name: 'A', files: {}, zip: Buffer.alloc(0) }),
    ).rejects.toThrow('(given: files, zip)');
    await expect(store.putInput(job, { files: {} })).rejects.toThrow(
      'The job has 2 input artifacts ("A", "B"): name the one to use',
    );
    await expect(store.putInput(job, { name: 'C', files: {} })).rejects.toThrow(
      'The job has no input artifact "C"',
    );
  });
});
