import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { UnsafeArchiveError } from '../../lambda/artifacts/index.js';
import type { Job } from '../../lambda/job/job.js';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import type { TestProcessingContext } from '../../local/testing/index.js';
import {
  type ArtifactPolicyReport,
  artifactPolicy,
  REPORT_FILE,
} from '../../samples/processors/artifact-policy.js';
import {
  type ArtifactStoreFixture,
  artifact,
  type artifactJob,
  artifactStore,
  BUCKET,
  INPUT_KEY,
  OUTPUT_KEY,
  zipOf,
} from '../helpers/artifact-store.js';
import { parsedJob } from '../helpers/jobs.js';
import { zipBytes } from '../helpers/zip-bytes.js';
import { unzipText } from '../helpers/zip-read.js';

const RSA_KEY =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7example\n-----END RSA PRIVATE KEY-----\n';
const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:alias/aws/s3';

describe('artifactPolicy', () => {
  let store: ArtifactStoreFixture;
  let mark = 0;
  let uploadMark = 0;
  const uploads = () => store.s3.uploads.slice(uploadMark);

  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());
  beforeEach(() => {
    mark = store.s3.requests.length;
    uploadMark = store.s3.uploads.length;
  });

  /** A job of the policy (no configuration but `configuration`) whose input holds `files`. */
  async function policyJob(
    files: Record<string, string | Buffer>,
    configuration: Record<string, string> = {},
    data: Parameters<typeof artifactJob>[0] = {},
  ): Promise<Job> {
    await store.s3.putObject(BUCKET, INPUT_KEY, await zipOf(files));
    const none = {
      BakeTimeSeconds: undefined,
      Environment: undefined,
      ApiToken: undefined,
      WebhookSecret: undefined,
    };
    return parsedJob({ configuration: { ...none, ...configuration }, data });
  }

  /** Runs the processor as the worker does: `process`, then the registered checks. */
  async function run(job: Job): Promise<{ outcome: JobOutcome; context: TestProcessingContext }> {
    const context = store.context();
    const outcome = await context.checked(await artifactPolicy().process(job, context));
    return { outcome, context };
  }

  async function uploadedReport(key = OUTPUT_KEY): Promise<ArtifactPolicyReport> {
    const zip = await store.s3.getObject(BUCKET, key);
    const files = await unzipText(zip ?? Buffer.alloc(0));
    expect(Object.keys(files)).toEqual([REPORT_FILE]);
    return JSON.parse(files[REPORT_FILE] ?? '') as ArtifactPolicyReport;
  }

  it('passes a clean artifact: report uploaded under the job key, output variables', async () => {
    const job = await policyJob({ 'README.md': '# app\n', 'src/main.js': 'run();\n' });

    const { outcome } = await run(job);

    expect(outcome).toEqual({
      kind: 'success',
      summary: 'Artifact policy passed: 2 files, 13 bytes in input artifact "BuildOutput"',
      outputVariables: {
        FilesScanned: '2',
        TotalBytes: '13',
        Findings: '0',
        ReportKey: OUTPUT_KEY,
      },
    });
    expect(uploads()).toEqual([
      expect.objectContaining({
        key: OUTPUT_KEY,
        serverSideEncryption: 'aws:kms',
        kmsKeyId: KEY_ARN,
        status: 200,
      }),
    ]);
    expect(await uploadedReport()).toEqual({
      version: 1,
      input: { name: 'BuildOutput', revision: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b' },
      policy: {
        forbiddenPatterns: expect.arrayContaining(['.env', '*.key', 'id_rsa']),
        exemptPatterns: [],
        detectPrivateKeys: true,
        maxFileBytes: 104_857_600,
        maxTotalBytes: null,
      },
      summary: { passed: true, filesScanned: 2, filesExempt: 0, totalBytes: 13, findings: 0 },
      findings: [],
    });
  });

  it('fails with JobFailed naming a private key by path and line, and still uploads the report', async () => {
    const job = await policyJob({
      'config/deploy.txt': `user: ci\n\n${RSA_KEY}`,
      'ok.txt': 'fine',
    });

    const { outcome } = await run(job);

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message: `Artifact policy: 1 finding in input artifact "BuildOutput" (2 files scanned): "config/deploy.txt": private-key (line 3). Report: output artifact "BakedOutput" (s3://${BUCKET}/${OUTPUT_KEY})`,
    });
    const report = await uploadedReport();
    expect(report.summary).toMatchObject({ passed: false, findings: 1 });
    expect(report.findings).toEqual([{ rule: 'private-key', path: 'config/deploy.txt', line: 3 }]);
    expect(JSON.stringify(report)).not.toContain('MIIEowIBAAKCAQEA7example');
  });

  it('finds every kind of private key block, and none in a public key', async () => {
    const blocks = [
      'PRIVATE KEY',
      'EC PRIVATE KEY',
      'OPENSSH PRIVATE KEY',
      'ENCRYPTED PRIVATE KEY',
      'PGP PRIVATE KEY BLOCK',
      'SSH2 ENCRYPTED PRIVATE KEY',
    ];
    const files = Object.fromEntries(
      blocks.map((block, i) => [`k${i}.txt`, `-----BEGIN ${block}-----\nAAAA\n`]),
    );
    const job = await policyJob({
      ...files,
      'cert.txt': '-----BEGIN PUBLIC KEY-----\nAAAA\n',
      'ca.txt': '-----BEGIN CERTIFICATE-----\n',
    });

    const { outcome } = await run(job);
    const report = await uploadedReport();

    expect(outcome).toMatchObject({ kind: 'failure', failureType: 'JobFailed' });
    expect(report.findings.map((finding) => finding.path)).toEqual(
      blocks.map((_, i) => `k${i}.txt`),
    );
  });

  it('finds a key block split across read chunks, at its right line', async () => {
    // A stream reads 64 KiB at a time: the marker starts a few bytes before the boundary.
    const line = `${'x'.repeat(1023)}\n`;
    const padding = line.repeat(63) + 'y'.repeat(1024 - 10);
    const job = await policyJob({ 'big.txt': `${padding}${RSA_KEY}` });

    await run(job);

    expect((await uploadedReport()).findings).toEqual([
      { rule: 'private-key', path: 'big.txt', line: 64 },
    ]);
  });

  it('finds files whose names are forbidden by default, whatever their case and depth', async () => {
    const job = await policyJob({
      '.env': 'A=1',
      'deploy/.ssh/id_rsa': 'not really a key',
      'certs/SERVER.KEY': 'x',
      'infra/terraform.tfstate': '{}',
      'app/.env.example': 'A=',
      'docs/keys.md': 'about keys',
    });

    const { outcome } = await run(job);

    expect(outcome).toMatchObject({ kind: 'failure', failureType: 'JobFailed' });
    expect((await uploadedReport()).findings).toEqual([
      { rule: 'forbidden-pattern', path: '.env', pattern: '.env' },
      { rule: 'forbidden-pattern', path: 'certs/SERVER.KEY', pattern: '*.key' },
      { rule: 'forbidden-pattern', path: 'deploy/.ssh/id_rsa', pattern: 'id_rsa' },
      { rule: 'forbidden-pattern', path: 'infra/terraform.tfstate', pattern: '*.tfstate' },
    ]);
  });

  it('names the first five findings and counts the others', async () => {
    const files = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`keys/k${i}.key`, 'x']));
    const job = await policyJob(files);

    const { outcome } = await run(job);

    expect(outcome.kind === 'failure' && outcome.message).toBe(
      `Artifact policy: 8 findings in input artifact "BuildOutput" (8 files scanned): ${[
        0, 1, 2, 3, 4,
      ]
        .map((i) => `"keys/k${i}.key": forbidden-pattern (matches "*.key")`)
        .join(
          '; ',
        )}; and 3 more. Report: output artifact "BakedOutput" (s3://${BUCKET}/${OUTPUT_KEY})`,
    );
    expect((await uploadedReport()).findings).toHaveLength(8);
  });

  it('checks the size of each file and of all of them, as configured', async () => {
    const job = await policyJob(
      { 'a.bin': 'x'.repeat(600), 'b.bin': 'x'.repeat(500), 'c.bin': 'x'.repeat(100) },
      { MaxFileBytes: '500', MaxTotalBytes: '1000' },
    );

    const { outcome } = await run(job);

    expect(outcome.kind === 'failure' && outcome.message).toContain(
      '(3 files scanned): "a.bin": file-too-large (600 bytes, limit 500); total-too-large (1200 bytes in all, limit 1000).',
    );
    expect((await uploadedReport()).findings).toEqual([
      { rule: 'file-too-large', path: 'a.bin', bytes: 600, limit: 500 },
      { rule: 'total-too-large', path: '.', bytes: 1200, limit: 1000 },
    ]);
  });

  it('uses configured patterns in place of the defaults, and skips exempt files', async () => {
    const job = await policyJob(
      {
        'build/app.js.map': '{}',
        'src/app.js.map': '{}',
        'test/fixtures/server.pem': RSA_KEY,
        'test/fixtures/id_rsa': 'fixture',
        '.env': 'A=1',
      },
      { ForbiddenPatterns: 'build/**, id_rsa', ExemptPatterns: 'test/fixtures/**' },
    );

    const { outcome } = await run(job);
    const report = await uploadedReport();

    expect(outcome).toMatchObject({ kind: 'failure' });
    expect(report.findings).toEqual([
      { rule: 'forbidden-pattern', path: 'build/app.js.map', pattern: 'build/**' },
    ]);
    expect(report.summary).toMatchObject({ filesScanned: 3, filesExempt: 2 });
  });

  it('lets a private key through with DetectPrivateKeys=false and no name check with "none"', async () => {
    const job = await policyJob(
      { id_rsa: RSA_KEY },
      { DetectPrivateKeys: 'false', ForbiddenPatterns: 'none' },
    );

    const { outcome } = await run(job);

    expect(outcome).toMatchObject({ kind: 'success', outputVariables: { Findings: '0' } });
  });

  it('answers a bad configuration with ConfigurationError naming every property, before any S3 call', async () => {
    const job = await policyJob(
      { 'a.txt': 'a' },
      { MaxFileBytes: 'ten', DetectPrivateKeys: 'maybe' },
    );
    mark = store.s3.requests.length;

    const { outcome } = await run(job);

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'ConfigurationError',
      message:
        'DetectPrivateKeys must be true or false; MaxFileBytes must be a whole number of bytes, at least 1',
    });
    expect(store.s3.requests.slice(mark)).toEqual([]);
  });

  it('checks without a report when the action has no output artifact', async () => {
    const job = await policyJob({ 'a.txt': 'a' }, {}, { outputArtifacts: [] });

    const { outcome } = await run(job);

    expect(outcome).toEqual({
      kind: 'success',
      summary: expect.stringContaining('1 files'),
      outputVariables: { FilesScanned: '1', TotalBytes: '1', Findings: '0' },
    });
    expect(uploads()).toEqual([]);
  });

  it('refuses an action with two outputs with ConfigurationError naming them', async () => {
    const job = await policyJob(
      { 'a.txt': 'a' },
      {},
      {
        outputArtifacts: [artifact('Report', 'p/Report/1'), artifact('Other', 'p/Other/1')],
      },
    );

    const { outcome } = await run(job);

    expect(outcome).toEqual({
      kind: 'failure',
      failureType: 'ConfigurationError',
      message:
        'The artifact policy writes one report, but the action has 2 output artifacts ("Report", "Other"): give it one or none',
    });
  });

  it('still reports the findings when the report cannot be uploaded, saying why', async () => {
    const job = await policyJob(
      { '.env': 'A=1' },
      {},
      {
        outputArtifacts: [artifact('BakedOutput', 'p/Report/1', 'no-such-bucket')],
      },
    );

    const { outcome } = await run(job);

    expect(outcome).toMatchObject({ kind: 'failure', failureType: 'JobFailed' });
    expect(outcome.kind === 'failure' && outcome.message).toMatch(
      /^Artifact policy: 1 finding in input artifact "BuildOutput" \(1 files scanned\): "\.env": forbidden-pattern \(matches "\.env"\)\. The report could not be uploaded to output artifact "BakedOutput" \(Output artifact "BakedOutput" \(s3:\/\/no-such-bucket\/p\/Report\/1\): the artifact bucket does not exist/,
    );
  });

  it('lets the artifact API refuse an archive with a ".." entry', async () => {
    await store.s3.putObject(
      BUCKET,
      INPUT_KEY,
      zipBytes([{ name: '../evil.sh', data: 'rm -rf /' }]),
    );
    const job = parsedJob({ configuration: {} });

    const failure = await artifactPolicy()
      .process(job, store.context())
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(UnsafeArchiveError);
    expect(uploads()).toEqual([]);
  });
});
