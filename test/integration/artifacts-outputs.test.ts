import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ArtifactNameError,
  ArtifactPermissionError,
  type JobArtifacts,
  jobArtifacts,
  OutputArtifactError,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import { extractZip } from '../../lambda/artifacts/zip-extract.js';
import {
  artifact,
  artifactJob,
  artifactStoreForTests,
  BUCKET,
  FRESH_CREDENTIALS,
  failure,
  JOB_CREDENTIALS,
  OUTPUT_KEY,
} from '../helpers/artifact-store.js';
import { ACCOUNT_ID } from '../helpers/jobs.js';

const MIB = 1024 * 1024;
const KEY_ARN = `arn:aws:kms:eu-west-1:${ACCOUNT_ID}:alias/aws/s3`;

describe('output artifacts through the artifact API (S3 stand-in)', () => {
  const suite = artifactStoreForTests();
  let scratch: string;
  const uploads = () => suite.requests().filter((r) => r.operation !== 'UploadPart');

  beforeEach(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'artifact-outputs-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const { open } = suite;

  /** The uploaded output, extracted back. */
  async function uploadedTree(): Promise<string> {
    const zip = join(scratch, 'uploaded.zip');
    await writeFile(zip, (await suite.store.s3.getObject(BUCKET, OUTPUT_KEY)) ?? Buffer.alloc(0));
    const directory = join(scratch, 'uploaded');
    await extractZip(zip, directory, {
      label: 'uploaded',
      artifactName: 'BakedOutput',
      maxBytes: 64 * MIB,
      maxEntries: 100,
    });
    return directory;
  }

  it('zips a directory to the output, encrypted with the job key, signed with the job credentials', async () => {
    const report = join(scratch, 'report');
    await mkdir(join(report, 'html'), { recursive: true });
    await writeFile(join(report, 'html/index.html'), '<h1>ok</h1>');
    await writeFile(join(report, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    await symlink('html/index.html', join(report, 'latest'));
    const { artifacts, context } = open();

    const result = await artifacts.uploadDirectory('BakedOutput', report);

    expect(result).toMatchObject({
      name: 'BakedOutput',
      bucketName: BUCKET,
      objectKey: OUTPUT_KEY,
    });
    expect(uploads()).toEqual([
      expect.objectContaining({
        operation: 'PutObject',
        key: OUTPUT_KEY,
        accessKeyId: JOB_CREDENTIALS.accessKeyId,
        serverSideEncryption: 'aws:kms',
        kmsKeyId: KEY_ARN,
        status: 200,
      }),
    ]);
    const tree = await uploadedTree();
    expect(await readFile(join(tree, 'html/index.html'), 'utf8')).toBe('<h1>ok</h1>');
    expect(await readFile(join(tree, 'latest'), 'utf8')).toBe('<h1>ok</h1>');
    expect(await context.checked({ kind: 'success' })).toEqual({ kind: 'success' });
  });

  it("asks for S3's default KMS key when the job has no encryption key", async () => {
    const file = join(scratch, 'out.bin');
    await writeFile(file, 'bytes');
    const { artifacts } = open(artifactJob({ encryptionKey: undefined }));

    await artifacts.uploadFile('BakedOutput', file);

    expect(uploads()).toEqual([
      expect.objectContaining({ serverSideEncryption: 'aws:kms', kmsKeyId: undefined }),
    ]);
  });

  it('uploads a file and a stream as they are, to the outputs named', async () => {
    const twoOutputs = artifactJob({
      outputArtifacts: [artifact('Report', 'p/Report/r1'), artifact('Logs', 'p/Logs/l1')],
    });
    const file = join(scratch, 'report.json');
    await writeFile(file, '{"ok":true}');
    const { artifacts, context } = open(twoOutputs);

    await artifacts.uploadStream('Logs', Readable.from(['line 1\n', 'line 2\n']), {
      contentType: 'text/plain',
    });
    await artifacts.uploadFile('Report', file);

    expect((await suite.store.s3.getObject(BUCKET, 'p/Report/r1'))?.toString()).toBe('{"ok":true}');
    expect((await suite.store.s3.getObject(BUCKET, 'p/Logs/l1'))?.toString()).toBe(
      'line 1\nline 2\n',
    );
    expect(uploads().map((u) => [u.key, u.serverSideEncryption, u.kmsKeyId])).toEqual([
      ['p/Logs/l1', 'aws:kms', KEY_ARN],
      ['p/Report/r1', 'aws:kms', KEY_ARN],
    ]);
    expect(await context.checked({ kind: 'success' })).toEqual({ kind: 'success' });
  });

  it('uploads a large output in parts, each part sent as it is read', async () => {
    const file = join(scratch, 'large.bin');
    await writeFile(file, Buffer.alloc(12 * MIB, 7));
    const { artifacts } = open(artifactJob(), { partSizeBytes: 5 * MIB });

    const result = await artifacts.uploadFile('BakedOutput', file);

    expect(result).toMatchObject({ bytes: 12 * MIB, parts: 3 });
    expect(uploads().map((u) => [u.operation, u.serverSideEncryption, u.kmsKeyId])).toEqual([
      ['CreateMultipartUpload', 'aws:kms', KEY_ARN],
      ['CompleteMultipartUpload', undefined, undefined],
    ]);
    const parts = suite.requests().filter((r) => r.operation === 'UploadPart');
    expect(parts).toHaveLength(3);
    expect(
      (await suite.store.s3.getObject(BUCKET, OUTPUT_KEY))?.equals(Buffer.alloc(12 * MIB, 7)),
    ).toBe(true);
  });

  it('refuses a second write of the same output, while it runs and after', async () => {
    const { artifacts } = open();

    const first = artifacts.uploadStream('BakedOutput', Readable.from(['first']));
    const during = await failure(artifacts.uploadStream('BakedOutput', Readable.from(['x'])));
    await first;
    const after = await failure(artifacts.uploadStream('BakedOutput', Readable.from(['second'])));

    for (const error of [during, after]) {
      expect(error).toBeInstanceOf(OutputArtifactError);
      expect(error.failureType).toBe('JobFailed');
      expect(error.artifactName).toBe('BakedOutput');
    }
    expect(after.message).toContain('Output artifact "BakedOutput"');
    expect(after.message).toContain('was already written');
    expect((await suite.store.s3.getObject(BUCKET, OUTPUT_KEY))?.toString()).toBe('first');
    expect(uploads()).toHaveLength(1);
  });

  it('fails a success that left an output unwritten, naming it; other outcomes pass', async () => {
    const twoOutputs = artifactJob({
      outputArtifacts: [artifact('Report', 'p/Report/r2'), artifact('Logs', 'p/Logs/l2')],
    });
    const { artifacts, context } = open(twoOutputs);
    await artifacts.uploadStream('Logs', Readable.from(['logs']));
    const failed = { kind: 'failure', failureType: 'JobFailed', message: 'no' } as const;

    expect(await context.checked({ kind: 'success', externalExecutionId: 'run-1' })).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message: expect.stringContaining('without writing its output artifact "Report"'),
      externalExecutionId: 'run-1',
    });
    expect(await context.checked(failed)).toEqual(failed);
    expect(await context.checked({ kind: 'continue', continuationToken: 't' })).toEqual({
      kind: 'continue',
      continuationToken: 't',
    });
  });

  it('hands out one artifacts object per job, so that outputs are counted once', async () => {
    const { artifacts, context } = open();

    const again = jobArtifacts(artifactJob(), context);
    await again.uploadStream('BakedOutput', Readable.from(['once']));
    const second = await failure(artifacts.uploadStream('BakedOutput', Readable.from(['twice'])));

    expect(again).toBe(artifacts);
    expect(second).toBeInstanceOf(OutputArtifactError);
    expect(await context.checked({ kind: 'success' })).toEqual({ kind: 'success' });
  });

  it('counts an output written by an earlier job of a continuation as written', async () => {
    await suite.store.s3.putObject(BUCKET, 'p/Baked/step-1', 'written by the first job');
    const written = [artifact('BakedOutput', 'p/Baked/step-1')];
    const resumed = open(artifactJob({ continuationToken: 'step-2', outputArtifacts: written }));
    const notResumed = open(artifactJob({ outputArtifacts: written }));
    const neverWritten = open(
      artifactJob({
        continuationToken: 'step-2',
        outputArtifacts: [artifact('BakedOutput', 'p/no')],
      }),
    );

    expect(await resumed.context.checked({ kind: 'success' })).toEqual({ kind: 'success' });
    expect((await notResumed.context.checked({ kind: 'success' })).kind).toBe('failure');
    expect((await neverWritten.context.checked({ kind: 'success' })).kind).toBe('failure');
  });

  describe('across the jobs of one action execution', () => {
    const CALLS = ['uploadDirectory', 'uploadFile', 'uploadStream', 'writeOutput'] as const;
    type Call = (typeof CALLS)[number];

    /** Writes `text` to output BakedOutput with `call`. */
    async function write(
      artifacts: JobArtifacts,
      call: Call,
      text: string,
      options: { readonly replace?: boolean } = {},
    ) {
      const file = join(scratch, 'out.txt');
      await writeFile(file, text);
      if (call === 'uploadDirectory')
        return artifacts.uploadDirectory('BakedOutput', scratch, options);
      if (call === 'uploadFile') return artifacts.uploadFile('BakedOutput', file, options);
      if (call === 'uploadStream') {
        return artifacts.uploadStream('BakedOutput', Readable.from([text]), options);
      }
      return artifacts.writeOutput('BakedOutput', { text }, options);
    }

    /** A job that continues its action execution, whose output lies at `key`. */
    const continuation = (key: string) =>
      artifactJob({ continuationToken: 'step-2', outputArtifacts: [artifact('BakedOutput', key)] });
    const operations = () => suite.requests().map((r) => [r.operation, r.status]);

    it.each(CALLS)(
      'refuses %s, in a continuation, of an output an earlier job wrote, saying how to replace it',
      async (call) => {
        const key = `p/Baked/earlier-${call}`;
        await suite.store.s3.putObject(BUCKET, key, 'written by the first job');
        const { artifacts, context } = open(continuation(key));

        const error = await failure(write(artifacts, call, 'written again'));

        expect(error).toBeInstanceOf(OutputArtifactError);
        expect(error.failureType).toBe('JobFailed');
        expect(error.artifactName).toBe('BakedOutput');
        expect(error.message).toBe(
          `Output artifact "BakedOutput" (s3://${BUCKET}/${key}): an earlier job of this action execution already wrote it; each output artifact is written once (to replace it on purpose, pass { replace: true } to ${call})`,
        );
        expect((await suite.store.s3.getObject(BUCKET, key))?.toString()).toBe(
          'written by the first job',
        );
        // The earlier job's output counts for this one's success, without asking again.
        expect(await context.checked({ kind: 'success' })).toEqual({ kind: 'success' });
        expect(operations()).toEqual([['HeadObject', 200]]);
      },
    );

    it.each(CALLS)(
      'replaces it with %s when told to, asking nothing',
      async (call) => {
        const key = `p/Baked/replaced-${call}`;
        await suite.store.s3.putObject(BUCKET, key, 'written by the first job');
        const { artifacts, context } = open(continuation(key));

        await write(artifacts, call, 'replaced', { replace: true });
        const again = await failure(write(artifacts, call, 'twice', { replace: true }));

        const stored = (await suite.store.s3.getObject(BUCKET, key))?.toString() ?? '';
        expect(stored).not.toBe('written by the first job');
        if (call === 'uploadFile' || call === 'uploadStream') expect(stored).toBe('replaced');
        // Within the job, an output is still written once.
        expect(again).toBeInstanceOf(OutputArtifactError);
        expect(again.message).toContain('was already written');
        expect(await context.checked({ kind: 'success' })).toEqual({ kind: 'success' });
        expect(suite.requests().some((r) => r.operation === 'HeadObject')).toBe(false);
      },
      10_000,
    );

    it('takes a job that carries only the worker continuation state (no token of the processor) for a continuation', async () => {
      const key = 'p/Baked/earlier-state';
      await suite.store.s3.putObject(BUCKET, key, 'written by the first run');
      const job = {
        ...artifactJob({ outputArtifacts: [artifact('BakedOutput', key)] }),
        continuation: { count: 1 },
      };
      const { artifacts } = open(job);

      const error = await failure(write(artifacts, 'writeOutput', 'again'));

      expect(error).toBeInstanceOf(OutputArtifactError);
      expect(error.message).toContain('an earlier job of this action execution already wrote it');
    });

    it('writes, in a continuation, an output no earlier job wrote, after asking once', async () => {
      const { artifacts, context } = open(continuation('p/Baked/first-time'));

      await write(artifacts, 'uploadStream', 'written now');

      expect((await suite.store.s3.getObject(BUCKET, 'p/Baked/first-time'))?.toString()).toBe(
        'written now',
      );
      expect(await context.checked({ kind: 'success' })).toEqual({ kind: 'success' });
      expect(operations()).toEqual([
        ['HeadObject', 404],
        ['PutObject', 200],
      ]);
    });

    it("costs the action execution's first job no HeadObject, on a write or at success", async () => {
      await suite.store.s3.putObject(BUCKET, 'p/Baked/first-job', 'left by nobody we know');
      const first = artifactJob({
        outputArtifacts: [artifact('BakedOutput', 'p/Baked/first-job')],
      });
      const unwritten = open(first);
      const writing = open(first);

      const outcome = await unwritten.context.checked({ kind: 'success' });
      await write(writing.artifacts, 'uploadStream', 'the first job writes');

      expect(outcome.kind).toBe('failure');
      expect(operations()).toEqual([['PutObject', 200]]);
    });

    it('writes, and lets a success go, when the store answers 403 to the HeadObject: it will not say', async () => {
      const key = 'p/Baked/forbidden';
      const job = artifactJob({
        continuationToken: 'step-2',
        outputArtifacts: [artifact('BakedOutput', key)],
        artifactCredentials: { ...JOB_CREDENTIALS, secretAccessKey: 'not-the-right-secret' },
      });
      const { artifacts, context } = open(job);

      // The write goes: what refuses it is the PutObject's own answer, not the question.
      const error = await failure(write(artifacts, 'uploadStream', 'x'));
      const atSuccess = await context.checked({ kind: 'success' });

      expect(error).toBeInstanceOf(ArtifactPermissionError);
      expect(error.message).not.toMatch(/earlier job/);
      expect(atSuccess).toEqual({ kind: 'success' });
      expect(operations().map(([operation, status]) => [operation, status])).toEqual([
        ['HeadObject', 403],
        ['PutObject', 403],
        ['HeadObject', 403],
      ]);
      expect(context.refreshes).toBe(0);
    });

    it('asks again with fresh credentials when the HeadObject says they expired', async () => {
      suite.store.s3.expireCredentials(JOB_CREDENTIALS.accessKeyId);
      suite.store.s3.registerCredentials(FRESH_CREDENTIALS);
      try {
        const { artifacts, context } = open(
          continuation('p/Baked/after-expiry'),
          {},
          { refreshJob: async () => artifactJob({ artifactCredentials: FRESH_CREDENTIALS }) },
        );

        await write(artifacts, 'uploadStream', 'written with fresh credentials');

        expect(context.refreshes).toBe(1);
        expect(suite.requests().map((r) => [r.operation, r.accessKeyId, r.status])).toEqual([
          ['HeadObject', JOB_CREDENTIALS.accessKeyId, 400],
          ['HeadObject', FRESH_CREDENTIALS.accessKeyId, 404],
          ['PutObject', FRESH_CREDENTIALS.accessKeyId, 200],
        ]);
      } finally {
        suite.store.s3.registerCredentials(JOB_CREDENTIALS);
        suite.store.s3.revokeCredentials(FRESH_CREDENTIALS.accessKeyId);
      }
    });
  });

  it('leaves an output unwritten when its upload fails, so that success is refused', async () => {
    const { artifacts, context } = open(
      artifactJob({
        artifactCredentials: { ...JOB_CREDENTIALS, secretAccessKey: 'not-the-right-secret' },
      }),
    );

    const error = await failure(artifacts.uploadStream('BakedOutput', Readable.from(['x'])));

    expect(error).toBeInstanceOf(ArtifactPermissionError);
    expect((await context.checked({ kind: 'success' })).kind).toBe('failure');
  });

  it('refuses to zip a directory with a link leading outside it, and uploads nothing', async () => {
    const report = join(scratch, 'report');
    await mkdir(report);
    await writeFile(join(report, 'ok.txt'), 'ok');
    await symlink('../../../../etc/passwd', join(report, 'passwd'));
    const { artifacts } = open(
      artifactJob({ outputArtifacts: [artifact('BakedOutput', 'p/Baked/unsafe')] }),
    );

    const error = await failure(artifacts.uploadDirectory('BakedOutput', report));

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error.message).toContain('Output artifact "BakedOutput"');
    expect(error.message).toContain('"passwd"');
    expect(await suite.store.s3.getObject(BUCKET, 'p/Baked/unsafe')).toBeUndefined();
  });

  it('fails naming the output and the path when the directory to upload does not exist', async () => {
    const { artifacts } = open();

    const error = await failure(artifacts.uploadDirectory('BakedOutput', join(scratch, 'none')));

    expect(error.failureType).toBe('JobFailed');
    expect(error.message).toMatch(
      /^Output artifact "BakedOutput" .*: reading what to upload: ENOENT: no such file or directory/,
    );
    expect(error.message).toContain(join(scratch, 'none'));
  });

  it('refuses an output name the job does not declare', async () => {
    const { artifacts } = open();

    const error = await failure(artifacts.uploadStream('Report', Readable.from(['x'])));

    expect(error).toBeInstanceOf(ArtifactNameError);
    expect(error.failureType).toBe('ConfigurationError');
    expect(error.message).toContain('"BakedOutput"');
  });
});
