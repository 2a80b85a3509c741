import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AcknowledgeJobCommand,
  type CodePipelineClient,
  GetJobDetailsCommand,
  type Job,
  PollForJobsCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CustomActionTypeInput,
  type EnqueueJobInput,
  type RunningEmulator,
  startEmulator,
} from '../../local/emulator/index.js';
import { type RunningS3Server, startS3Server } from '../../local/s3/index.js';
import { rawFetch, sdkClient } from '../helpers/emulator.js';
import { zipBytes } from '../helpers/zip-bytes.js';
import { unzipText } from '../helpers/zip-read.js';

/** An action type with artifacts on both sides, as an artifact-handling custom action has. */
const CHECK_ACTION: CustomActionTypeInput = {
  category: 'Test',
  provider: 'ArtifactCheck',
  version: '1',
  configurationProperties: [],
  inputArtifactDetails: { minimumCount: 1, maximumCount: 2 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 2 },
};
const CHECK_ID = {
  category: 'Test',
  owner: 'Custom',
  provider: 'ArtifactCheck',
  version: '1',
} as const;
const KMS_KEY_ARN =
  /^arn:aws:kms:us-east-1:123456789012:key\/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/;

describe('the emulator with an artifact store (local S3 stand-in)', () => {
  let s3: RunningS3Server;
  let emulator: RunningEmulator;
  let client: CodePipelineClient;
  let scratch: string;
  const s3Clients: S3Client[] = [];

  /** An S3 client signing with a job's artifact credentials, as a worker would. */
  function s3As(job: Job): S3Client {
    const credentials = job.data?.artifactCredentials;
    const created = new S3Client({
      endpoint: s3.endpoint,
      forcePathStyle: true,
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: {
        accessKeyId: credentials?.accessKeyId ?? '',
        secretAccessKey: credentials?.secretAccessKey ?? '',
        sessionToken: credentials?.sessionToken ?? '',
      },
    });
    s3Clients.push(created);
    return created;
  }

  async function read(job: Job, which = 0): Promise<Buffer> {
    const location = job.data?.inputArtifacts?.[which]?.location?.s3Location;
    const answer = await s3As(job).send(
      new GetObjectCommand({ Bucket: location?.bucketName, Key: location?.objectKey }),
    );
    return Buffer.from((await answer.Body?.transformToByteArray()) ?? []);
  }

  const errorName = (promise: Promise<unknown>) =>
    promise.then(
      () => 'no error',
      (error: Error) => error.name,
    );

  const admin = (path: string, method = 'GET', body?: unknown) =>
    rawFetch(`${emulator.url}/emulator${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  /** Enqueues through the admin API (answered once the inputs are stored) and polls the job. */
  async function queuedJob(body: Partial<EnqueueJobInput>): Promise<Job> {
    const created = await admin('/jobs', 'POST', { actionTypeId: CHECK_ID, ...body });
    expect(created.status, created.text).toBe(201);
    const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: CHECK_ID }));
    expect(jobs?.[0]?.id).toBe(created.json.jobId);
    return jobs?.[0] as Job;
  }

  beforeAll(async () => {
    s3 = await startS3Server();
    emulator = await startEmulator({ actionTypes: [CHECK_ACTION], artifactStore: s3 });
    client = sdkClient(emulator);
  });
  beforeEach(async () => {
    emulator.reset();
    scratch = await mkdtemp(join(tmpdir(), 'emulator-artifacts-'));
  });
  afterEach(async () => {
    for (const created of s3Clients.splice(0)) created.destroy();
    await rm(scratch, { recursive: true, force: true });
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
    await s3.close();
  });

  describe('input artifacts', () => {
    it('stores files given by path and contents as a zip at the location the job names', async () => {
      const job = await queuedJob({
        inputArtifacts: [
          { name: 'Source', files: { 'README.md': '# app', 'src/main.ts': 'run();' } },
        ],
      });

      const location = job.data?.inputArtifacts?.[0]?.location?.s3Location;
      expect(location?.bucketName).toBe(`codepipeline-us-east-1-${emulator.accountId}`);
      expect(emulator.artifactBucket).toBe(location?.bucketName);
      expect(await unzipText(await read(job))).toEqual({
        'README.md': '# app',
        'src/main.ts': 'run();',
      });
    });

    it('zips a local directory: files, nested folders, empty folders and links as links', async () => {
      await mkdir(join(scratch, 'src', 'lib'), { recursive: true });
      await mkdir(join(scratch, 'empty'));
      await writeFile(join(scratch, 'package.json'), '{}');
      await writeFile(join(scratch, 'src', 'lib', 'util.ts'), 'export {};');
      await symlink('src/lib/util.ts', join(scratch, 'util-link.ts'));

      const job = await queuedJob({ inputArtifacts: [{ name: 'Source', directory: scratch }] });

      expect(await unzipText(await read(job))).toEqual({
        'empty/': '',
        'package.json': '{}',
        'src/lib/util.ts': 'export {};',
        'util-link.ts': 'src/lib/util.ts',
      });
    });

    it('stores ready zip bytes exactly as given, even ones a zip library would refuse to write', async () => {
      const bytes = zipBytes([{ name: '../escape.txt', data: 'out' }]);

      const job = await queuedJob({
        inputArtifacts: [{ name: 'Source', zipBase64: bytes.toString('base64') }],
      });

      expect((await read(job)).equals(bytes)).toBe(true);
    });

    it('stores an empty archive for an input given no contents, and nothing for one given a location', async () => {
      await s3.putObject(emulator.artifactBucket ?? '', 'mine/Extra/key', 'stored by the test');

      const job = await queuedJob({
        inputArtifacts: [
          { name: 'Source' },
          {
            name: 'Extra',
            location: {
              type: 'S3',
              s3Location: {
                bucketName: emulator.artifactBucket ?? '',
                objectKey: 'mine/Extra/key',
              },
            },
          },
        ],
      });

      expect(await unzipText(await read(job, 0))).toEqual({});
      expect((await read(job, 1)).toString()).toBe('stored by the test');
    });

    it('keeps an in-process job Created until its inputs are stored, then queues it', async () => {
      const jobId = emulator.enqueueJob({
        actionTypeId: CHECK_ID,
        inputArtifacts: [{ name: 'Source', files: { 'a.txt': 'a' } }],
      });

      expect(emulator.getJob(jobId)?.status).toBe('Created');
      const early = await client.send(new PollForJobsCommand({ actionTypeId: CHECK_ID }));
      await emulator.whenQueued(jobId);
      const later = await client.send(new PollForJobsCommand({ actionTypeId: CHECK_ID }));

      expect(early.jobs).toEqual([]);
      expect(later.jobs?.map((job) => job.id)).toEqual([jobId]);
      expect(emulator.getJob(jobId)?.events.map((event) => event.type)).toEqual([
        'created',
        'queued',
        'dispatched',
      ]);
    });

    it.each<[string, unknown, RegExp]>([
      [
        'two kinds of contents',
        [{ name: 'Source', files: { 'a.txt': 'a' }, zipBase64: 'UEsFBg==' }],
        /inputArtifacts\.1: give one of files, directory, zipBase64/,
      ],
      [
        'contents and a location',
        [
          {
            name: 'Source',
            files: { 'a.txt': 'a' },
            location: { type: 'S3', s3Location: { bucketName: 'b', objectKey: 'k' } },
          },
        ],
        /either a location .* or contents/,
      ],
      [
        'a directory that does not exist',
        [{ name: 'Source', directory: '/nonexistent/emulator-input' }],
        /inputArtifacts\.1\.directory: \/nonexistent\/emulator-input is not a directory/,
      ],
      [
        'bytes that are not base64',
        [{ name: 'Source', zipBase64: 'not base64!' }],
        /must be base64/,
      ],
      [
        'a file path leaving the archive',
        [{ name: 'Source', files: { '../x': 'x' } }],
        /'\.\.\/x' must be a relative path/,
      ],
      ['file contents that are not strings', [{ name: 'Source', files: { 'a.txt': 1 } }], /a\.txt/],
      ['one name given twice', [{ name: 'Source' }, { name: 'Source' }], /'Source' is given twice/],
    ])('refuses %s with 400', async (_, inputArtifacts, message) => {
      const response = await admin('/jobs', 'POST', { actionTypeId: CHECK_ID, inputArtifacts });

      expect(response.status).toBe(400);
      expect(response.json.message).toMatch(message);
    });

    it('refuses contents for an output artifact with 400', async () => {
      const response = await admin('/jobs', 'POST', {
        actionTypeId: CHECK_ID,
        outputArtifacts: [{ name: 'Report', files: { 'a.txt': 'a' } }],
      });

      expect(response.status).toBe(400);
      expect(response.json.message).toMatch(
        /outputArtifacts\.1: an output artifact is written by the job/,
      );
    });
  });

  describe('encryption key', () => {
    it('gives each pipeline a KMS key ARN of its own, the same for all its jobs, or none when asked', async () => {
      const inputArtifacts = [{ name: 'Source' }];
      const first = await queuedJob({ inputArtifacts, pipelineContext: { pipelineName: 'web' } });
      const second = await queuedJob({ inputArtifacts, pipelineContext: { pipelineName: 'web' } });
      const other = await queuedJob({ inputArtifacts, pipelineContext: { pipelineName: 'api' } });
      const none = await queuedJob({ inputArtifacts, encryptionKey: null });

      expect(first.data?.encryptionKey).toEqual({
        id: expect.stringMatching(KMS_KEY_ARN),
        type: 'KMS',
      });
      expect(second.data?.encryptionKey).toEqual(first.data?.encryptionKey);
      expect(other.data?.encryptionKey?.id).toMatch(KMS_KEY_ARN);
      expect(other.data?.encryptionKey?.id).not.toBe(first.data?.encryptionKey?.id);
      expect(none.data?.encryptionKey).toBeUndefined();
    });
  });

  describe('artifact credentials', () => {
    it("accepts each dispatch's and each GetJobDetails's own credentials, and refuses them all once the job ends", async () => {
      const polled = await queuedJob({
        inputArtifacts: [{ name: 'Source', files: { 'a.txt': 'a' } }],
      });
      const jobId = polled.id as string;
      const { jobDetails } = await client.send(new GetJobDetailsCommand({ jobId }));
      const detailed = jobDetails as Job;

      expect(detailed.data?.artifactCredentials?.accessKeyId).not.toBe(
        polled.data?.artifactCredentials?.accessKeyId,
      );
      expect(await errorName(read(polled))).toBe('no error');
      expect(await errorName(read(detailed))).toBe('no error');

      await client.send(new AcknowledgeJobCommand({ jobId, nonce: polled.nonce }));
      await client.send(new PutJobSuccessResultCommand({ jobId }));
      const { jobDetails: afterEnd } = await client.send(new GetJobDetailsCommand({ jobId }));

      expect(await errorName(read(polled))).toBe('InvalidAccessKeyId');
      expect(await errorName(read(detailed))).toBe('InvalidAccessKeyId');
      expect(await errorName(read(afterEnd as Job))).toBe('InvalidAccessKeyId');
    });

    it('refuses credentials signed without their session token', async () => {
      const job = await queuedJob({ inputArtifacts: [{ name: 'Source' }] });
      const withoutToken = {
        ...job,
        data: {
          ...job.data,
          artifactCredentials: { ...job.data?.artifactCredentials, sessionToken: undefined },
        },
      } as Job;

      expect(await errorName(read(withoutToken))).toBe('InvalidToken');
    });

    it('revokes every credential handed out when it closes: the store outlives it', async () => {
      const short = await startEmulator({ actionTypes: [CHECK_ACTION], artifactStore: s3 });
      const shortClient = sdkClient(short);
      const jobId = short.enqueueJob({
        actionTypeId: CHECK_ID,
        inputArtifacts: [{ name: 'Source' }],
      });
      await short.whenQueued(jobId);
      const { jobs } = await shortClient.send(new PollForJobsCommand({ actionTypeId: CHECK_ID }));
      const job = jobs?.[0] as Job;
      const before = await errorName(read(job));

      shortClient.destroy();
      await short.close();

      expect(before).toBe('no error');
      expect(await errorName(read(job))).toBe('InvalidAccessKeyId');
    });

    it('revokes every credential handed out on reset', async () => {
      const job = await queuedJob({ inputArtifacts: [{ name: 'Source' }] });

      emulator.reset();

      expect(await errorName(read(job))).toBe('InvalidAccessKeyId');
    });
  });

  describe('reading back an output', () => {
    async function upload(job: Job, name: string, body: Buffer, kmsKeyId?: string) {
      const output = job.data?.outputArtifacts?.find((artifact) => artifact.name === name);
      const { bucketName, objectKey } = output?.location?.s3Location ?? {};
      await s3As(job).send(
        new PutObjectCommand({
          Bucket: bucketName,
          Key: objectKey,
          Body: body,
          ServerSideEncryption: 'aws:kms',
          ...(kmsKeyId ? { SSEKMSKeyId: kmsKeyId } : {}),
        }),
      );
      return { bucketName, objectKey };
    }

    it('answers the object, its entries and the encryption headers of the upload, and who signed it', async () => {
      const job = await queuedJob({
        inputArtifacts: [{ name: 'Source' }],
        outputArtifacts: [{ name: 'Report' }],
      });
      const zip = zipBytes([
        { name: 'report/', kind: 'directory' },
        { name: 'report/summary.json', data: '{"ok":true}' },
      ]);
      const keyId = job.data?.encryptionKey?.id;
      const { bucketName, objectKey } = await upload(job, 'Report', zip, keyId);

      const view = await admin(`/jobs/${job.id}/outputs/Report`);

      expect(view.status).toBe(200);
      expect(view.json).toEqual({
        jobId: job.id,
        name: 'Report',
        bucketName,
        objectKey,
        encryptionKeyId: keyId,
        object: {
          bytes: zip.length,
          sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
          entries: [
            { path: 'report/', kind: 'directory', bytes: 0 },
            { path: 'report/summary.json', kind: 'file', bytes: 11 },
          ],
        },
        encryption: { serverSideEncryption: 'aws:kms', kmsKeyId: keyId },
        uploads: [
          {
            operation: 'PutObject',
            status: 200,
            serverSideEncryption: 'aws:kms',
            kmsKeyId: keyId,
            signedBy: { jobId: job.id, source: 'PollForJobs' },
          },
        ],
      });
    });

    it('answers the bytes of the object and of one file of it', async () => {
      const job = await queuedJob({
        inputArtifacts: [{ name: 'Source' }],
        outputArtifacts: [{ name: 'Report' }],
      });
      const zip = zipBytes([{ name: 'dir/report.json', data: '{"findings":[]}' }]);
      await upload(job, 'Report', zip);

      const object = await fetch(`${emulator.url}/emulator/jobs/${job.id}/outputs/Report/object`);
      const file = await fetch(
        `${emulator.url}/emulator/jobs/${job.id}/outputs/Report/files/dir/report.json`,
      );
      const missing = await admin(`/jobs/${job.id}/outputs/Report/files/dir/other.json`);

      expect(object.status).toBe(200);
      expect(Buffer.from(await object.arrayBuffer()).equals(zip)).toBe(true);
      expect(await file.text()).toBe('{"findings":[]}');
      expect(missing.status).toBe(404);
      expect(await emulator.jobOutputBytes(job.id as string, 'Report', 'dir/report.json')).toEqual(
        Buffer.from('{"findings":[]}'),
      );
    });

    it('says an output is not a zip, and that nothing was uploaded to one', async () => {
      const job = await queuedJob({
        inputArtifacts: [{ name: 'Source' }],
        outputArtifacts: [{ name: 'Plain' }, { name: 'Never' }],
      });
      await upload(job, 'Plain', Buffer.from('plain text'));

      const plain = await emulator.jobOutput(job.id as string, 'Plain');
      const never = await emulator.jobOutput(job.id as string, 'Never');
      const neverObject = await admin(`/jobs/${job.id}/outputs/Never/object`);

      expect(plain.object).toMatchObject({ bytes: 10, entries: null });
      expect(plain.encryption).toEqual({ serverSideEncryption: 'aws:kms', kmsKeyId: null });
      expect(never).toMatchObject({ object: null, encryption: null, uploads: [] });
      expect(neverObject.status).toBe(404);
      expect(neverObject.json.message).toMatch(/'Never' .* was not uploaded/);
    });

    it('answers 404 naming the outputs for an unknown output, and for an unknown job', async () => {
      const job = await queuedJob({
        inputArtifacts: [{ name: 'Source' }],
        outputArtifacts: [{ name: 'Report' }],
      });

      const unknownOutput = await admin(`/jobs/${job.id}/outputs/Other`);
      const unknownJob = await admin('/jobs/00000000-0000-4000-8000-000000000000/outputs/Report');

      expect(unknownOutput.status).toBe(404);
      expect(unknownOutput.json.message).toMatch(
        /no output artifact 'Other' \(its outputs: 'Report'\)/,
      );
      expect(unknownJob.status).toBe(404);
    });
  });
});

describe('the emulator without an artifact store', () => {
  let emulator: RunningEmulator;

  beforeAll(async () => {
    emulator = await startEmulator({ actionTypes: [CHECK_ACTION] });
  });
  afterAll(() => emulator.close());

  const admin = (path: string, method = 'GET', body?: unknown) =>
    rawFetch(`${emulator.url}/emulator${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('queues jobs at once, with the AWS-managed key and locations in no store', async () => {
    const jobId = emulator.enqueueJob({
      actionTypeId: CHECK_ID,
      inputArtifacts: [{ name: 'Source' }],
    });

    const job = emulator.getJob(jobId);
    expect(job?.status).toBe('Queued');
    expect(job?.data.encryptionKey).toEqual({
      id: `arn:aws:kms:us-east-1:${emulator.accountId}:alias/aws/s3`,
      type: 'KMS',
    });
    expect(emulator.artifactBucket).toBeUndefined();
  });

  it('refuses input contents with 400, and output read-back with 404', async () => {
    const jobId = emulator.enqueueJob({
      actionTypeId: CHECK_ID,
      inputArtifacts: [{ name: 'Source' }],
      outputArtifacts: [{ name: 'Report' }],
    });

    const contents = await admin('/jobs', 'POST', {
      actionTypeId: CHECK_ID,
      inputArtifacts: [{ name: 'Source', files: { 'a.txt': 'a' } }],
    });
    const readBack = await admin(`/jobs/${jobId}/outputs/Report`);

    expect(contents.status).toBe(400);
    expect(contents.json.message).toMatch(/need an artifact store/);
    expect(readBack.status).toBe(404);
    expect(readBack.json.message).toMatch(/no artifact store/);
  });
});
