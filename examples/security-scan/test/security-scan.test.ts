import { S3Client } from '@aws-sdk/client-s3';
import type { Job, ProcessingContext } from 'codepipeline-job-worker';
import { jobFixture, processingContext } from 'codepipeline-job-worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { securityScan } from '../src/security-scan.js';
import { type FakeS3, startFakeS3 } from './fake-s3.js';

const MB = 1024 * 1024;

describe('securityScan', () => {
  let s3: FakeS3;
  beforeAll(async () => {
    s3 = await startFakeS3({
      'app/Build/small': { size: 3 * MB, encryption: 'aws:kms' },
      'app/Build/large': { size: 30 * MB, encryption: 'aws:kms' },
      'app/Build/plain': { size: MB, encryption: 'AES256' },
      'app/Build/forbidden': { size: 0, status: 403 },
    });
  });
  afterAll(() => s3.close());

  /** The processor with its S3 client pointed at the fake, signed as the default one is. */
  const scan = () =>
    securityScan({
      s3Client: (job: Job, context: ProcessingContext) =>
        new S3Client({
          endpoint: s3.url,
          region: 'us-east-1',
          credentials: job.artifactCredentials?.reveal(),
          maxAttempts: context.sdk.maxAttempts,
        }),
    });
  const jobFor = (objectKey: string, configuration: Record<string, string> = { MaxSizeMB: '10' }) =>
    jobFixture({ configuration, inputArtifacts: [{ name: 'BuildOutput', objectKey }] });

  it('lets a small KMS-encrypted artifact through, with its size as an output variable', async () => {
    const context = processingContext();

    const outcome = await context.checked(await scan().process(jobFor('app/Build/small'), context));

    expect(outcome).toEqual({
      kind: 'success',
      summary: 'BuildOutput passed: 3.0 MB, encryption aws:kms',
      outputVariables: { ArtifactBytes: String(3 * MB), Encryption: 'aws:kms' },
    });
    expect(context.logs).toContainEqual(
      expect.objectContaining({ level: 'info', message: 'checking the artifact' }),
    );
  });

  it('signs the HeadObject with the artifact credentials of the job', async () => {
    const job = jobFor('app/Build/small');
    const { accessKeyId } = job.artifactCredentials?.reveal() ?? { accessKeyId: 'none' };

    await scan().process(job, processingContext());

    const last = s3.requests.at(-1);
    expect(last?.method).toBe('HEAD');
    expect(String(last?.headers.authorization)).toContain(`Credential=${accessKeyId}/`);
  });

  it('fails an artifact over MaxSizeMB', async () => {
    const outcome = await scan().process(jobFor('app/Build/large'), processingContext());

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message: 'BuildOutput is 30.0 MB, over MaxSizeMB (10 MB)',
    });
  });

  it('fails an artifact not encrypted with KMS, unless RequireKms is false', async () => {
    const strict = await scan().process(jobFor('app/Build/plain'), processingContext());
    const relaxed = await scan().process(
      jobFor('app/Build/plain', { MaxSizeMB: '10', RequireKms: 'false' }),
      processingContext(),
    );

    expect(strict).toMatchObject({ kind: 'failure', message: expect.stringContaining('AES256') });
    expect(relaxed).toMatchObject({ kind: 'success' });
  });

  it('throws a PermissionError when the artifact store refuses the credentials', async () => {
    await expect(
      scan().process(jobFor('app/Build/forbidden'), processingContext()),
    ).rejects.toMatchObject({
      name: 'JobFailureError',
      failureType: 'PermissionError',
    });
  });

  it.each([
    [{}, 'MaxSizeMB is required'],
    [{ MaxSizeMB: 'ten' }, 'MaxSizeMB must be a whole number of MB from 1 to 5120'],
    [{ MaxSizeMB: '10', RequireKms: 'maybe' }, 'RequireKms must be true or false'],
  ])('fails %o as a configuration error, before any S3 call', async (configuration, message) => {
    const before = s3.requests.length;

    const outcome = await scan().process(jobFixture({ configuration }), processingContext());

    expect(outcome).toEqual({ kind: 'failure', failureType: 'ConfigurationError', message });
    expect(s3.requests).toHaveLength(before);
  });

  it('succeeds without a call when the job has no input artifact', async () => {
    const outcome = await scan().process(
      jobFixture({ configuration: { MaxSizeMB: '10' }, inputArtifacts: [] }),
      processingContext(),
    );

    expect(outcome).toEqual({ kind: 'success', summary: 'No input artifact: nothing to scan' });
  });
});
