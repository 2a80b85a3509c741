/**
 * The sample artifact policy, run by the real handler (real SDK clients, configuration from
 * the environment) against the CodePipeline emulator and the embedded S3 stand-in: real zips
 * in the store, each job's own credentials, its pipeline's KMS key, and its report read back
 * from the store with the encryption headers it was uploaded with.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  CustomActionTypeInput,
  EnqueueJobInput,
  JobView,
} from '../../local/emulator/index.js';
import { type RunningS3Server, startS3Server } from '../../local/s3/index.js';
import {
  type ArtifactPolicyReport,
  artifactPolicy,
  REPORT_FILE,
} from '../../samples/processors/artifact-policy.js';
import {
  ARTIFACT_POLICY_ARTIFACTS,
  ARTIFACT_POLICY_PROPERTIES,
} from '../../samples/processors/artifact-policy-config.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import { zipBytes } from '../helpers/zip-bytes.js';

const POLICY_ACTION: CustomActionTypeInput = {
  category: 'Test',
  provider: 'ArtifactPolicy',
  version: '1',
  configurationProperties: ARTIFACT_POLICY_PROPERTIES.map((property) => ({ ...property })),
  inputArtifactDetails: {
    minimumCount: ARTIFACT_POLICY_ARTIFACTS.minInputArtifacts,
    maximumCount: ARTIFACT_POLICY_ARTIFACTS.maxInputArtifacts,
  },
  outputArtifactDetails: {
    minimumCount: ARTIFACT_POLICY_ARTIFACTS.minOutputArtifacts,
    maximumCount: ARTIFACT_POLICY_ARTIFACTS.maxOutputArtifacts,
  },
};
const POLICY_ID = {
  category: 'Test',
  owner: 'Custom',
  provider: 'ArtifactPolicy',
  version: '1',
} as const;
const KEY_BLOCK =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n';

describe('the artifact policy through the emulator and the S3 stand-in', () => {
  let s3: RunningS3Server;
  let stack: LocalStack;
  let source: string;
  const ids: Record<string, string> = {};

  const job = (name: string): JobView => stack.emulator.getJob(ids[name] ?? '') as JobView;
  const reported = (name: string) =>
    job(name).results[0]?.request as {
      outputVariables?: Record<string, string>;
      failureDetails?: { type: string; message: string };
    };
  const outputKey = (name: string) =>
    job(name).data.outputArtifacts[0]?.location.s3Location.objectKey ?? '';
  async function report(name: string): Promise<ArtifactPolicyReport> {
    const bytes = await stack.emulator.jobOutputBytes(ids[name] ?? '', 'PolicyReport', REPORT_FILE);
    return JSON.parse(bytes.toString('utf8')) as ArtifactPolicyReport;
  }

  async function enqueue(name: string, input: Omit<EnqueueJobInput, 'actionTypeId'>) {
    ids[name] = stack.emulator.enqueueJob({
      actionTypeId: POLICY_ID,
      pipelineContext: { pipelineName: 'checkout' },
      outputArtifacts: [{ name: 'PolicyReport' }],
      ...input,
    });
    await stack.emulator.whenQueued(ids[name] ?? '');
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    stack = await startLocalStack({ artifactStore: s3, actionTypes: [POLICY_ACTION] });
    source = await mkdtemp(join(tmpdir(), 'policy-source-'));
    await mkdir(join(source, 'deploy', 'keys'), { recursive: true });
    await writeFile(join(source, 'README.md'), '# checkout\n');
    await writeFile(join(source, 'deploy', 'keys', 'ci.txt'), `# CI key\n${KEY_BLOCK}`);

    await enqueue('clean', {
      inputArtifacts: [
        { name: 'Source', files: { 'src/app.js': 'run();\n', 'README.md': '# app\n' } },
      ],
    });
    await enqueue('privateKey', { inputArtifacts: [{ name: 'Source', directory: source }] });
    await enqueue('climbsOut', {
      inputArtifacts: [
        {
          name: 'Source',
          zipBase64: zipBytes([
            { name: 'ok.txt', data: 'ok' },
            { name: '../../etc/cron.d/evil', data: '* * * * * root sh' },
          ]).toString('base64'),
        },
      ],
    });
    await enqueue('badConfiguration', {
      configuration: { MaxFileBytes: 'lots' },
      inputArtifacts: [{ name: 'Source', files: { 'a.txt': 'a' } }],
    });
    await enqueue('notZip', {
      inputArtifacts: [{ name: 'Source', zipBase64: Buffer.from('plain').toString('base64') }],
    });

    const handler = stack.handler(
      {
        ACTION_CATEGORY: 'Test',
        ACTION_PROVIDER: 'ArtifactPolicy',
        ACTION_VERSION: '1',
        SECRET_CONFIGURATION_KEYS: '',
        DEADLINE_MARGIN_MS: '2000',
        LEASE_GRACE_SECONDS: '0',
        AWS_ENDPOINT_URL_S3: s3.endpoint,
      },
      { processor: artifactPolicy() },
    );
    const summary = await handler(scheduledEvent(), lambdaContext());
    expect(summary).toMatchObject({ polled: 5, succeeded: 1, failed: 4 });
  }, 60_000);

  afterAll(async () => {
    await stack?.close();
    await s3?.close();
    await rm(source, { recursive: true, force: true });
  });

  it('passes a clean artifact: its report uploaded under the pipeline key with the job credentials, output variables reported', async () => {
    const view = await stack.emulator.jobOutput(ids.clean ?? '', 'PolicyReport');
    const keyId = job('clean').data.encryptionKey?.id;

    expect(job('clean').status).toBe('Succeeded');
    expect(reported('clean').outputVariables).toEqual({
      FilesScanned: '2',
      TotalBytes: '13',
      Findings: '0',
      ReportKey: outputKey('clean'),
    });
    expect(keyId).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\//);
    expect(view.encryption).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: keyId });
    expect(view.uploads.map((upload) => upload.signedBy)).toEqual([
      { jobId: ids.clean, source: 'PollForJobs' },
    ]);
    expect(view.object?.entries).toEqual([
      expect.objectContaining({ path: REPORT_FILE, kind: 'file' }),
    ]);
    expect((await report('clean')).summary).toEqual({
      passed: true,
      filesScanned: 2,
      filesExempt: 0,
      totalBytes: 13,
      findings: 0,
    });
  });

  it('fails an artifact holding a private key with JobFailed naming its path and line, the report uploaded', async () => {
    const { bucketName } = job('privateKey').data.outputArtifacts[0]?.location.s3Location ?? {};
    const view = await stack.emulator.jobOutput(ids.privateKey ?? '', 'PolicyReport');

    expect(job('privateKey').status).toBe('Failed');
    expect(reported('privateKey').failureDetails).toEqual({
      type: 'JobFailed',
      message: `Artifact policy: 1 finding in input artifact "Source" (2 files scanned): "deploy/keys/ci.txt": private-key (line 2). Report: output artifact "PolicyReport" (s3://${bucketName}/${outputKey('privateKey')})`,
      externalExecutionId: expect.any(String),
    });
    expect(view.encryption?.kmsKeyId).toBe(job('privateKey').data.encryptionKey?.id);
    expect((await report('privateKey')).findings).toEqual([
      { rule: 'private-key', path: 'deploy/keys/ci.txt', line: 2 },
    ]);
  });

  it('fails an archive with a ".." entry with the artifact API\'s refusal, and uploads nothing', async () => {
    const view = await stack.emulator.jobOutput(ids.climbsOut ?? '', 'PolicyReport');

    expect(job('climbsOut').status).toBe('Failed');
    expect(reported('climbsOut').failureDetails).toMatchObject({
      type: 'JobFailed',
      message: expect.stringMatching(
        /^Input artifact "Source" \(s3:\/\/.*\): extracting: entry "\.\.\/\.\.\/etc\/cron\.d\/evil" is refused: it climbs out of the directory with "\.\."$/,
      ),
    });
    expect(view).toMatchObject({ object: null, uploads: [] });
  });

  it('fails a bad configuration value with ConfigurationError naming the property, not the value', () => {
    const failure = reported('badConfiguration').failureDetails;

    expect(failure).toMatchObject({
      type: 'ConfigurationError',
      message: 'MaxFileBytes must be a whole number of bytes, at least 1',
    });
    expect(failure?.message).not.toContain('lots');
  });

  it('fails an input that is not a zip archive with JobFailed saying so', () => {
    expect(reported('notZip').failureDetails).toMatchObject({
      type: 'JobFailed',
      message: expect.stringMatching(/^Input artifact "Source" .*not a valid zip archive/),
    });
  });

  it('leaves no artifact credential in any result, and refuses every one once its job ended', async () => {
    const results = JSON.stringify(Object.keys(ids).map((name) => job(name).results));
    for (const secret of stack.emulator.secrets().values) expect(results).not.toContain(secret);
    const input = job('clean').data.inputArtifacts[0]?.location.s3Location;
    const handedOut = stack.emulator
      .secrets()
      .issued.filter((issued) => issued.kind === 'artifactCredentials');

    expect(handedOut.length).toBeGreaterThanOrEqual(5);
    for (const { values } of handedOut) {
      const [accessKeyId = '', secretAccessKey = '', sessionToken = ''] = values;
      const client = new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: 'us-east-1',
        maxAttempts: 1,
        credentials: { accessKeyId, secretAccessKey, sessionToken },
      });
      const refusal = await client
        .send(new GetObjectCommand({ Bucket: input?.bucketName, Key: input?.objectKey }))
        .then(
          () => 'accepted',
          (error: Error) => error.name,
        );
      client.destroy();
      expect(refusal).toBe('InvalidAccessKeyId');
    }
  });
});
