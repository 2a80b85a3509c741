/**
 * The worker end to end on this machine: the real handler, the CodePipeline emulator, its
 * local S3 artifact store (holding each job's input artifact, accepting each job's
 * credentials while it runs) and a local DynamoDB ledger.
 */
import { runLocally } from 'codepipeline-job-worker/testing';
import { describe, expect, it } from 'vitest';
import { SECURITY_SCAN_ACTION } from '../src/action.js';
import { FINDINGS_FILE } from '../src/configuration.js';

describe('the security scan worker, run locally', () => {
  it('finishes every job exactly once, duplicates and an abandoned dispatch included', async () => {
    const result = await runLocally({
      entry: 'src/handler.ts',
      actionType: SECURITY_SCAN_ACTION,
      jobs: [
        {
          name: 'clean',
          configuration: { MaxSizeMB: '10' },
          inputArtifacts: [
            { name: 'Build', files: { 'index.js': 'run();\n', 'README.md': '#\n' } },
          ],
          outputArtifacts: [{ name: 'ScanReport' }],
          repeat: 3,
        },
        {
          name: 'leaky',
          configuration: { MaxSizeMB: '10' },
          inputArtifacts: [{ name: 'Build', files: { 'index.js': 'run();\n', '.env': 'A=1\n' } }],
        },
        { name: 'bad-limit', configuration: { MaxSizeMB: 'lots' } },
        { name: 'abandoned', configuration: { MaxSizeMB: '10' }, firstDispatchAbandoned: true },
      ],
    });

    expect(result.ok).toBe(true);
    expect(result.jobs.map((job) => [job.name, job.outcome, job.failureType, job.results])).toEqual(
      [
        ['clean', 'Succeeded', undefined, 1],
        ['clean', 'Succeeded', undefined, 1],
        ['clean', 'Succeeded', undefined, 1],
        ['leaky', 'Failed', 'JobFailed', 1],
        ['bad-limit', 'Failed', 'ConfigurationError', 1],
        ['abandoned', 'Succeeded', undefined, 1],
      ],
    );
    // The size comes from the processor's own HeadObject, the file count from the extraction.
    expect(result.jobs[0]?.outputVariables).toEqual({
      ArtifactBytes: expect.stringMatching(/^[1-9]\d*$/),
      FilesScanned: '2',
    });
    // The findings, uploaded by the artifact API under the pipeline's KMS key.
    expect(result.jobs[0]?.outputs.ScanReport).toMatchObject({
      entries: [FINDINGS_FILE],
      serverSideEncryption: 'aws:kms',
      kmsKeyId: expect.stringMatching(/^arn:aws:kms:us-east-1:\d{12}:key\//),
    });
    expect(result.jobs[3]?.failureMessage).toBe('Build carries 1 forbidden file: .env');
    expect(result.jobs[5]?.nonces).toBe(2);
  }, 60_000);
});
