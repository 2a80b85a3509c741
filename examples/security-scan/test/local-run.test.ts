/**
 * The worker end to end on this machine: the real handler, the CodePipeline emulator and a
 * local DynamoDB ledger, with the artifact store replaced by the fake S3.
 */
import { runLocally } from 'codepipeline-job-worker/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_SCAN_ACTION } from '../src/action.js';
import { type FakeS3, startFakeS3 } from './fake-s3.js';

describe('the security scan worker, run locally', () => {
  let s3: FakeS3;
  beforeAll(async () => {
    // Every artifact the emulator hands out is 2 MB and KMS-encrypted.
    s3 = await startFakeS3({}, { size: 2 * 1024 * 1024, encryption: 'aws:kms' });
  });
  afterAll(() => s3.close());

  it('finishes every job exactly once, duplicates and an abandoned dispatch included', async () => {
    const result = await runLocally({
      entry: 'src/handler.ts',
      actionType: SECURITY_SCAN_ACTION,
      env: { AWS_ENDPOINT_URL_S3: s3.url },
      jobs: [
        {
          name: 'artifact',
          configuration: { MaxSizeMB: '10' },
          inputArtifacts: [{ name: 'Build' }],
          repeat: 3,
        },
        {
          name: 'too-small-limit',
          configuration: { MaxSizeMB: '1' },
          inputArtifacts: [{ name: 'Build' }],
        },
        { name: 'bad-limit', configuration: { MaxSizeMB: 'lots' } },
        { name: 'abandoned', configuration: { MaxSizeMB: '10' }, firstDispatchAbandoned: true },
      ],
    });

    expect(result.ok).toBe(true);
    expect(result.jobs.map((job) => [job.name, job.outcome, job.failureType, job.results])).toEqual(
      [
        ['artifact', 'Succeeded', undefined, 1],
        ['artifact', 'Succeeded', undefined, 1],
        ['artifact', 'Succeeded', undefined, 1],
        ['too-small-limit', 'Failed', 'JobFailed', 1],
        ['bad-limit', 'Failed', 'ConfigurationError', 1],
        ['abandoned', 'Succeeded', undefined, 1],
      ],
    );
    expect(result.jobs[0]?.outputVariables).toEqual({
      ArtifactBytes: '2097152',
      Encryption: 'aws:kms',
    });
    expect(result.jobs[5]?.nonces).toBe(2);
    expect(s3.requests.filter((r) => r.method === 'HEAD')).toHaveLength(4);
  }, 60_000);
});
