/**
 * The package's testing helpers for processor authors (`codepipeline-job-worker/testing`):
 * job fixtures exactly as the worker parses jobs, and the processing context.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Job as SdkJob } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { parseJob } from '../../lambda/adapters/codepipeline-job.js';
import { failure, success } from '../../lambda/job/outcome.js';
import { REDACTED, Secret } from '../../lambda/job/secret.js';
import {
  FIXTURE_CREDENTIALS,
  fakeClock,
  jobFixture,
  processingContext,
} from '../../local/testing/index.js';

describe('jobFixture', () => {
  it('is what the worker parses from the same PollForJobs job', () => {
    const raw: SdkJob = {
      id: 'job-1',
      nonce: '7',
      accountId: '111122223333',
      data: {
        actionTypeId: { owner: 'Custom', category: 'Build', provider: 'Scan', version: '2' },
        actionConfiguration: { configuration: { Level: 'high', Token: 'tok-abcdefgh' } },
        pipelineContext: {
          pipelineName: 'shop',
          pipelineArn: 'arn:aws:codepipeline:us-east-1:111122223333:shop',
          pipelineExecutionId: 'exec-1',
          stage: { name: 'Checks' },
          action: { name: 'ScanIt', actionExecutionId: 'action-exec-1' },
        },
        inputArtifacts: [
          {
            name: 'Src',
            revision: 'rev-1',
            location: { type: 'S3', s3Location: { bucketName: 'b', objectKey: 'k/1' } },
          },
        ],
        outputArtifacts: [
          {
            name: 'Out',
            location: { type: 'S3', s3Location: { bucketName: 'b', objectKey: 'k/2' } },
          },
        ],
        artifactCredentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
        encryptionKey: { id: 'key-1', type: 'KMS' },
        continuationToken: 'token-1',
      },
    };

    const job = jobFixture({
      id: 'job-1',
      nonce: '7',
      accountId: '111122223333',
      actionType: { category: 'Build', provider: 'Scan', version: '2' },
      configuration: { Level: 'high' },
      secrets: { Token: 'tok-abcdefgh' },
      pipelineContext: {
        pipelineName: 'shop',
        pipelineExecutionId: 'exec-1',
        stageName: 'Checks',
        actionName: 'ScanIt',
        actionExecutionId: 'action-exec-1',
      },
      inputArtifacts: [{ name: 'Src', revision: 'rev-1', bucketName: 'b', objectKey: 'k/1' }],
      outputArtifacts: [{ name: 'Out', bucketName: 'b', objectKey: 'k/2' }],
      artifactCredentials: { accessKeyId: 'AK', secretAccessKey: 'SK', sessionToken: 'ST' },
      encryptionKey: { id: 'key-1' },
      continuationToken: 'token-1',
      credentialsIssuedAt: 1_700_000_000_000,
    });

    const expected = parseJob(raw, new Set(['Token']), 1_700_000_000_000);
    expect(JSON.stringify(job)).toBe(JSON.stringify(expected));
    expect(job.secrets.Token?.reveal()).toBe('tok-abcdefgh');
    expect(job.artifactCredentials?.reveal()).toEqual(expected.artifactCredentials?.reveal());
  });

  it('wraps secret properties and credentials, which print as redacted', () => {
    const job = jobFixture({ secrets: { ApiToken: 'tok-live-123456' } });

    expect(job.secrets.ApiToken).toBeInstanceOf(Secret);
    expect(job.configuration).not.toHaveProperty('ApiToken');
    expect(JSON.stringify(job)).not.toContain('tok-live-123456');
    expect(JSON.stringify(job)).not.toContain(FIXTURE_CREDENTIALS.secretAccessKey);
    expect(String(job.secrets.ApiToken)).toBe(REDACTED);
  });

  it('has one input artifact in the artifact store, credentials and a key by default', () => {
    const job = jobFixture();

    expect(job.inputArtifacts).toEqual([
      {
        name: 'SourceArtifact',
        revision: expect.any(String),
        bucketName: 'codepipeline-us-east-1-123456789012',
        objectKey: expect.stringMatching(/^my-pipeline\/SourceArtifact\/\w+$/),
      },
    ]);
    expect(job.outputArtifacts).toEqual([]);
    expect(job.artifactCredentials?.reveal()).toEqual(FIXTURE_CREDENTIALS);
    expect(job.encryptionKey).toEqual({
      id: expect.stringContaining(':alias/aws/s3'),
      type: 'KMS',
    });
    expect(job.continuationToken).toBeUndefined();
    expect(job.pipelineContext.actionExecutionId).toEqual(expect.any(String));
  });

  it("stamps the job's credentials as just handed out, unless given the time", () => {
    const before = Date.now();
    const job = jobFixture();
    const after = Date.now();
    const clock = fakeClock();

    const onFakeClock = jobFixture({ credentialsIssuedAt: clock.now() });

    expect(job.credentialsIssuedAt).toBeGreaterThanOrEqual(before);
    expect(job.credentialsIssuedAt).toBeLessThanOrEqual(after);
    expect(onFakeClock.credentialsIssuedAt).toBe(clock.now());
  });

  it('leaves credentials and the encryption key out when given null', () => {
    const job = jobFixture({ artifactCredentials: null, encryptionKey: null, inputArtifacts: [] });

    expect(job.artifactCredentials).toBeUndefined();
    expect(job.encryptionKey).toBeUndefined();
    expect(job.inputArtifacts).toEqual([]);
  });
});

describe('processingContext', () => {
  it('runs the registered beforeReport checks in order', async () => {
    const context = processingContext();
    context.beforeReport((outcome) =>
      outcome.kind === 'success' ? { ...outcome, summary: `${outcome.summary} +a` } : outcome,
    );
    context.beforeReport(async (outcome) =>
      outcome.kind === 'success' && outcome.summary === 'done +a'
        ? failure('JobFailed', 'checked in order')
        : outcome,
    );

    await expect(context.checked(success({ summary: 'done' }))).resolves.toEqual(
      failure('JobFailed', 'checked in order'),
    );
  });

  it('records log lines, aborts its signal and answers refreshJob as told', async () => {
    const refreshed = jobFixture({ nonce: '2' });
    const context = processingContext({ refreshJob: refreshed });

    context.logger.warn('slow', { seconds: 3 });
    context.abort();

    expect(context.logs).toEqual([{ level: 'warn', message: 'slow', attributes: { seconds: 3 } }]);
    expect(context.signal.aborted).toBe(true);
    await expect(context.refreshJob()).resolves.toBe(refreshed);
    expect(context.refreshes).toBe(1);
    await expect(processingContext().refreshJob()).rejects.toThrow('refreshJob is not set up');
  });

  it('removes its work directory, with what the processor put there, when the job ends', async () => {
    const context = processingContext();
    await mkdir(join(context.workDirectory, 'nested'), { recursive: true });
    await writeFile(join(context.workDirectory, 'nested', 'file.txt'), 'x');

    await context.end();

    await expect(stat(context.workDirectory)).rejects.toMatchObject({ code: 'ENOENT' });
    // Ending a job whose processor never created the directory is not an error.
    await expect(processingContext().end()).resolves.toBeUndefined();
  });

  it('takes its deadline from the clock it is given', () => {
    const clock = fakeClock();
    const context = processingContext({ now: clock.now });
    clock.advance(5_000);

    expect(context.deadline).toBe(clock.now() - 5_000 + 60_000);
    expect(context.now()).toBe(clock.now());
    expect(context.workDirectory).toContain('processing-context-');
    expect(context.sdk).toEqual({ maxAttempts: 1, requestTimeoutMs: 5_000 });
  });
});
