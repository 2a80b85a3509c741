import { randomBytes } from 'node:crypto';
import {
  FIXTURE_CREDENTIALS,
  type LocalArtifactStore,
  localArtifactStore,
  processingContext,
  type TestProcessingContext,
} from 'codepipeline-job-worker/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FINDINGS_FILE } from '../src/configuration.js';
import { securityScan } from '../src/security-scan.js';

const MB = 1024 * 1024;
const KEY_ARN = 'arn:aws:kms:us-east-1:123456789012:key/4f1b2c3d-0000-4000-8000-00000000abcd';

describe('securityScan', () => {
  // The local S3 artifact store: while it is open, AWS_ENDPOINT_URL_S3 names it, so the
  // processor's own S3 client and the artifact API both reach it with their defaults.
  let store: LocalArtifactStore;
  const contexts: TestProcessingContext[] = [];
  beforeAll(async () => {
    store = await localArtifactStore();
  });
  afterAll(() => store.close());
  // Each job's work directory (where extract() unzips the artifact) is removed when the test
  // ends, as the worker removes it when the job ends.
  afterEach(() => Promise.all(contexts.splice(0).map((created) => created.end())));

  function context(): TestProcessingContext {
    const created = processingContext();
    contexts.push(created);
    return created;
  }

  /** Runs the processor as the worker does: `process`, then the checks it registered. */
  async function scan(job: ReturnType<LocalArtifactStore['job']>) {
    const processing = context();
    const outcome = await processing.checked(await securityScan().process(job, processing));
    return { outcome, logs: processing.logs };
  }

  it('lets a clean artifact through, with its size and file count as output variables', async () => {
    const job = store.job({ configuration: { MaxSizeMB: '10' } });
    const input = await store.putInput(job, {
      files: { 'index.js': 'export const handler = () => 200;\n', 'README.md': '# app\n' },
    });

    const { outcome } = await scan(job);

    expect(outcome).toEqual({
      kind: 'success',
      summary: 'SourceArtifact passed: 2 files, 0.0 MB, no secret files',
      outputVariables: { ArtifactBytes: String(input.bytes), FilesScanned: '2' },
    });
  });

  it('fails an artifact that carries secret files, naming them', async () => {
    const job = store.job({ configuration: { MaxSizeMB: '10' } });
    await store.putInput(job, {
      files: {
        'src/app.js': 'run();\n',
        '.env': 'API_TOKEN=not-a-real-token\n',
        'deploy/ID_RSA': 'not a real key\n',
        'certs/server.pem': 'not a real certificate\n',
      },
    });

    const { outcome } = await scan(job);

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message: 'SourceArtifact carries 3 forbidden files: .env, certs/server.pem, deploy/ID_RSA',
    });
  });

  it('writes the findings to the output artifact, zipped and encrypted with the job key', async () => {
    const job = store.job({
      configuration: { MaxSizeMB: '10' },
      outputArtifacts: [{ name: 'ScanReport' }],
      encryptionKey: { id: KEY_ARN },
    });
    const input = await store.putInput(job, { files: { 'app.js': 'run();\n', 'keys/a.key': 'x' } });

    const { outcome } = await scan(job);
    const report = await store.output(job, 'ScanReport');

    expect(outcome).toMatchObject({ kind: 'failure', failureType: 'JobFailed' });
    expect(report).toMatchObject({
      entries: [FINDINGS_FILE],
      serverSideEncryption: 'aws:kms',
      kmsKeyId: KEY_ARN,
    });
    expect(JSON.parse(String(await report?.entry(FINDINGS_FILE)))).toEqual({
      artifact: 'SourceArtifact',
      revision: job.inputArtifacts[0]?.revision,
      bytes: input.bytes,
      filesScanned: 2,
      forbidden: ['keys/a.key'],
    });
  });

  it('fails an artifact over MaxSizeMB without downloading it', async () => {
    const job = store.job({ configuration: { MaxSizeMB: '1' } });
    // Random bytes do not compress: the archive stays over 1 MB.
    const input = await store.putInput(job, { files: { 'bundle.bin': randomBytes(2 * MB) } });

    const { outcome, logs } = await scan(job);

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message: `SourceArtifact is ${(input.bytes / MB).toFixed(1)} MB, over MaxSizeMB (1 MB)`,
    });
    expect(logs.map((line) => line.message)).not.toContain('input artifact extracted');
  });

  it('throws a PermissionError when the artifact store refuses the job credentials', async () => {
    // Credentials the store was not given, as S3 refuses expired or foreign ones.
    const job = store.job({
      configuration: { MaxSizeMB: '10' },
      artifactCredentials: FIXTURE_CREDENTIALS,
    });
    await store.putInput(job, { files: { 'app.js': 'run();\n' } });

    await expect(securityScan().process(job, context())).rejects.toMatchObject({
      name: 'JobFailureError',
      failureType: 'PermissionError',
    });
  });

  it('throws RevisionUnavailable when the artifact is gone from the store', async () => {
    const job = store.job({ configuration: { MaxSizeMB: '10' } });

    await expect(securityScan().process(job, context())).rejects.toMatchObject({
      failureType: 'RevisionUnavailable',
      message: expect.stringContaining('does not exist'),
    });
  });

  it.each([
    [{}, 'MaxSizeMB is required'],
    [{ MaxSizeMB: 'ten' }, 'MaxSizeMB must be a whole number of MB from 1 to 5120'],
    [{ MaxSizeMB: '0' }, 'MaxSizeMB must be a whole number of MB from 1 to 5120'],
  ])(
    'fails %o as a configuration error, before looking for the artifact',
    async (configuration, message) => {
      // The job's input was never stored: looking for it would fail as RevisionUnavailable.
      const job = store.job({ configuration });

      const outcome = await securityScan().process(job, context());

      expect(outcome).toEqual({ kind: 'failure', failureType: 'ConfigurationError', message });
    },
  );

  it('succeeds with nothing to scan when the job has no input artifact', async () => {
    const job = store.job({ configuration: { MaxSizeMB: '10' }, inputArtifacts: [] });

    const { outcome } = await scan(job);

    expect(outcome).toEqual({ kind: 'success', summary: 'No input artifact: nothing to scan' });
  });
});
