import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { inspect } from 'node:util';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ArtifactPermissionError, DEFAULT_REFRESH_AFTER_MS } from '../../lambda/artifacts/index.js';
import type { Job } from '../../lambda/job/job.js';
import {
  type FakeClock,
  fakeClock,
  type TestProcessingContext,
} from '../../local/testing/index.js';
import {
  ALL_SECRET_VALUES,
  artifactJob,
  artifactStoreForTests,
  BUCKET,
  FRESH_CREDENTIALS,
  failure,
  INPUT_KEY,
  JOB_CREDENTIALS,
  zipOf,
} from '../helpers/artifact-store.js';

describe('artifact credentials: the job credentials, refreshed, and never shown', () => {
  const suite = artifactStoreForTests();
  const { requests } = suite;
  let scratch: string;
  let clock: FakeClock;

  beforeAll(async () => {
    await suite.store.s3.putObject(BUCKET, INPUT_KEY, await zipOf({ 'a.txt': 'a' }));
  });
  beforeEach(async () => {
    suite.store.s3.registerCredentials(JOB_CREDENTIALS);
    suite.store.s3.revokeCredentials(FRESH_CREDENTIALS.accessKeyId);
    clock = fakeClock();
    scratch = await mkdtemp(join(tmpdir(), 'artifact-credentials-'));
  });
  afterEach(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  /** The job's artifacts; `refreshJob` hands out `refreshed` (the fresh credentials by default). */
  function open(
    job: Job = artifactJob(),
    refreshed: Job = artifactJob({ artifactCredentials: FRESH_CREDENTIALS }),
  ) {
    return suite.open(job, {}, { now: clock.now, refreshJob: async () => refreshed });
  }

  function expectNoSecret(error: Error, context: TestProcessingContext) {
    const text = [
      error.message,
      inspect(error, { depth: null, showHidden: true }),
      JSON.stringify(context.logs),
    ].join('\n');
    for (const secret of ALL_SECRET_VALUES) expect(text).not.toContain(secret);
  }

  it('refreshes credentials older than the threshold before the next request', async () => {
    const { artifacts, context } = open();
    await artifacts.extract();
    clock.advance(DEFAULT_REFRESH_AFTER_MS);
    // The first credentials no longer work; GetJobDetails hands out new ones.
    suite.store.s3.revokeCredentials(JOB_CREDENTIALS.accessKeyId);
    suite.store.s3.registerCredentials(FRESH_CREDENTIALS);

    await artifacts.uploadStream('BakedOutput', Readable.from(['report']));

    expect(context.refreshes).toBe(1);
    expect(requests().map((r) => [r.operation, r.accessKeyId, r.status])).toEqual([
      ['GetObject', JOB_CREDENTIALS.accessKeyId, 200],
      ['PutObject', FRESH_CREDENTIALS.accessKeyId, 200],
    ]);
  });

  it('refreshes credentials of a job polled 10.5 minutes ago, though its artifacts were first used at 9.5', async () => {
    const polled = clock.now();
    const issued = new Map<string, number>([[JOB_CREDENTIALS.accessKeyId, polled]]);
    // The processor works 9.5 minutes before its first artifact call.
    clock.advance(9.5 * 60_000);
    const { artifacts, context } = suite.open(
      artifactJob({}, polled),
      {},
      {
        now: clock.now,
        // GetJobDetails hands out fresh credentials, stamped as it answers.
        refreshJob: async () => {
          issued.set(FRESH_CREDENTIALS.accessKeyId, clock.now());
          return artifactJob({ artifactCredentials: FRESH_CREDENTIALS }, clock.now());
        },
      },
    );
    await artifacts.extract();
    const firstCall = requests().length;
    clock.advance(60_000);
    // The first credentials no longer work from here: only fresh ones can succeed.
    suite.store.s3.revokeCredentials(JOB_CREDENTIALS.accessKeyId);
    suite.store.s3.registerCredentials(FRESH_CREDENTIALS);

    await artifacts.uploadStream('BakedOutput', Readable.from(['report']));

    expect(context.refreshes).toBe(1);
    expect(requests().map((r) => [r.operation, r.accessKeyId, r.status])).toEqual([
      ['GetObject', JOB_CREDENTIALS.accessKeyId, 200],
      ['PutObject', FRESH_CREDENTIALS.accessKeyId, 200],
    ]);
    // Each request's credentials' age when it was signed: the first at 9.5 minutes, the
    // rest at 10.5 (the clock moves only between the two calls).
    const ages = requests().map(
      (r, index) =>
        polled +
        (index < firstCall ? 9.5 : 10.5) * 60_000 -
        (issued.get(r.accessKeyId ?? '') ?? Number.NEGATIVE_INFINITY),
    );
    expect(ages.every((age) => age < DEFAULT_REFRESH_AFTER_MS)).toBe(true);
  });

  it('keeps credentials younger than the threshold', async () => {
    const { artifacts, context } = open();

    await artifacts.extract();
    clock.advance(DEFAULT_REFRESH_AFTER_MS - 1);
    await artifacts.uploadStream('BakedOutput', Readable.from(['report']));

    expect(context.refreshes).toBe(0);
    expect(requests().every((r) => r.accessKeyId === JOB_CREDENTIALS.accessKeyId)).toBe(true);
  });

  it('refreshes once and tries again when S3 says the credentials expired', async () => {
    suite.store.s3.expireCredentials(JOB_CREDENTIALS.accessKeyId);
    suite.store.s3.registerCredentials(FRESH_CREDENTIALS);
    const { artifacts, context } = open();

    await artifacts.extract();

    expect(context.refreshes).toBe(1);
    expect(requests().map((r) => [r.accessKeyId, r.status])).toEqual([
      [JOB_CREDENTIALS.accessKeyId, 400],
      [FRESH_CREDENTIALS.accessKeyId, 200],
    ]);
  });

  it('sends a file upload again with fresh credentials when they expired', async () => {
    const file = join(scratch, 'out.txt');
    await writeFile(file, 'contents');
    suite.store.s3.expireCredentials(JOB_CREDENTIALS.accessKeyId);
    suite.store.s3.registerCredentials(FRESH_CREDENTIALS);
    const { artifacts, context } = open();

    await artifacts.uploadFile('BakedOutput', file);

    expect(context.refreshes).toBe(1);
    expect(requests().map((r) => [r.operation, r.accessKeyId, r.status])).toEqual([
      ['PutObject', JOB_CREDENTIALS.accessKeyId, 400],
      ['PutObject', FRESH_CREDENTIALS.accessKeyId, 200],
    ]);
  });

  it('fails a stream upload whose credentials expired, since a stream cannot be sent twice', async () => {
    suite.store.s3.expireCredentials(JOB_CREDENTIALS.accessKeyId);
    suite.store.s3.registerCredentials(FRESH_CREDENTIALS);
    const { artifacts, context } = open();

    const error = await failure(artifacts.uploadStream('BakedOutput', Readable.from(['x'])));
    await artifacts.extract();

    expect(error).toBeInstanceOf(ArtifactPermissionError);
    expect(error.message).toContain('a stream cannot be sent again');
    // Refreshed all the same: the job's next request is signed with the fresh credentials.
    expect(context.refreshes).toBe(1);
    expect(requests().at(-1)).toMatchObject({ accessKeyId: FRESH_CREDENTIALS.accessKeyId });
  });

  it('gives up with a PermissionError when the refreshed credentials are refused too', async () => {
    suite.store.s3.expireCredentials(JOB_CREDENTIALS.accessKeyId);
    const { artifacts, context } = open(artifactJob(), artifactJob());

    const error = await failure(artifacts.extract());

    expect(error).toBeInstanceOf(ArtifactPermissionError);
    expect(error.failureType).toBe('PermissionError');
    expect(error.message).toContain('ExpiredToken');
    expect(context.refreshes).toBe(1);
    expectNoSecret(error, context);
  });

  it.each([
    [
      'an unknown access key',
      { ...JOB_CREDENTIALS, accessKeyId: 'ASIAUNKNOWNKEY000000' },
      'InvalidAccessKeyId',
    ],
    [
      'a wrong secret key',
      { ...JOB_CREDENTIALS, secretAccessKey: 'wrong/secret/EXAMPLEKEY' },
      'SignatureDoesNotMatch',
    ],
    [
      'a wrong session token',
      { ...JOB_CREDENTIALS, sessionToken: 'IQoJwrongSessionTokenValue==' },
      'InvalidToken',
    ],
  ])(
    'fails with a PermissionError naming the artifact for %s, with no secret shown',
    async (_, credentials, code) => {
      // GetJobDetails hands out the same credentials again.
      const job = artifactJob({ artifactCredentials: credentials });
      const { artifacts, context } = open(job, job);

      const error = await failure(artifacts.extract());

      expect(error).toBeInstanceOf(ArtifactPermissionError);
      expect(error.failureType).toBe('PermissionError');
      expect(error.artifactName).toBe('BuildOutput');
      expect(error.message).toMatch(
        new RegExp(
          `^Input artifact "BuildOutput" \\(s3://${BUCKET}/.+\\): the artifact store refused the job's credentials \\(${code}, HTTP 40\\d`,
        ),
      );
      expectNoSecret(error, context);
      for (const secret of Object.values(credentials))
        expect(inspect(error, { depth: null })).not.toContain(secret);
    },
  );

  it('fails with a PermissionError when the job carries no credentials', async () => {
    const { artifacts } = open(artifactJob({ artifactCredentials: undefined }));

    const error = await failure(artifacts.extract());

    expect(error).toBeInstanceOf(ArtifactPermissionError);
    expect(error.message).toContain('no artifact credentials');
  });
});
