/**
 * An input artifact is whole before anyone can read it: stored by `localArtifactStore().putInput`,
 * staged by the emulator before it queues a job, or staged by `runLocally`, a 50 MB object
 * read back at once answers its full size and its exact bytes.
 */
import { createHash } from 'node:crypto';
import { PollForJobsCommand } from '@aws-sdk/client-codepipeline';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobArtifacts } from '../../lambda/artifacts/index.js';
import { success } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { type CustomActionTypeInput, startEmulator } from '../../local/emulator/index.js';
import { startS3Server } from '../../local/s3/index.js';
import {
  type LocalArtifactStore,
  localArtifactStore,
  runLocally,
} from '../../local/testing/index.js';
import { sdkClient } from '../helpers/emulator.js';
import { md5, seededBytes, sha256 } from '../helpers/seeded-bytes.js';

const SIZE = 50 * 1024 * 1024;
const INPUT = seededBytes('whole-inputs', SIZE);
const INPUT_SHA256 = sha256(INPUT);

interface Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/** HeadObject then GetObject, sent the moment the object was stored: what a reader saw. */
async function readAtOnce(
  endpoint: string,
  credentials: Credentials,
  Bucket: string,
  Key: string,
): Promise<{
  headBytes: number | undefined;
  etag: string | undefined;
  bytes: number;
  sha256: string;
}> {
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials,
  });
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket, Key }));
    const got = await client.send(new GetObjectCommand({ Bucket, Key }));
    const body = Buffer.from((await got.Body?.transformToByteArray()) ?? []);
    return {
      headBytes: head.ContentLength,
      etag: head.ETag,
      bytes: body.length,
      sha256: sha256(body),
    };
  } finally {
    client.destroy();
  }
}

const WHOLE = { headBytes: SIZE, etag: `"${md5(INPUT)}"`, bytes: SIZE, sha256: INPUT_SHA256 };

describe('localArtifactStore().putInput', () => {
  let store: LocalArtifactStore;
  beforeAll(async () => {
    store = await localArtifactStore();
  });
  afterAll(() => store.close());

  it('resolves only once a 50 MB input is whole: HeadObject and GetObject at once see all of it', async () => {
    for (let attempt = 0; attempt < 3; attempt++) {
      const job = store.job();
      const stored = await store.putInput(job, { zip: INPUT });

      const seen = await readAtOnce(
        store.endpoint,
        job.artifactCredentials?.reveal() as Credentials,
        stored.bucketName,
        stored.objectKey,
      );

      expect(stored.bytes).toBe(SIZE);
      expect(seen).toEqual(WHOLE);
    }
  }, 60_000);
});

const WHOLE_ACTION: CustomActionTypeInput = {
  category: 'Test',
  provider: 'WholeInput',
  version: '1',
  configurationProperties: [],
  inputArtifactDetails: { minimumCount: 1, maximumCount: 1 },
  outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
};
const WHOLE_ID = {
  category: 'Test',
  owner: 'Custom',
  provider: 'WholeInput',
  version: '1',
} as const;

describe("the emulator's artifact store", () => {
  it('queues a job only once its 50 MB input is whole: a worker polling at once reads all of it', async () => {
    const s3 = await startS3Server();
    const emulator = await startEmulator({ actionTypes: [WHOLE_ACTION], artifactStore: s3 });
    const client = sdkClient(emulator);
    try {
      for (let attempt = 0; attempt < 2; attempt++) {
        const jobId = emulator.enqueueJob({
          actionTypeId: WHOLE_ID,
          inputArtifacts: [{ name: 'Source', zipBase64: INPUT.toString('base64') }],
        });
        await emulator.whenQueued(jobId);
        const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: WHOLE_ID }));
        const data = jobs?.[0]?.data;
        const location = data?.inputArtifacts?.[0]?.location?.s3Location;

        const seen = await readAtOnce(
          s3.endpoint,
          data?.artifactCredentials as Credentials,
          location?.bucketName ?? '',
          location?.objectKey ?? '',
        );

        expect(jobs?.[0]?.id).toBe(jobId);
        expect(seen).toEqual(WHOLE);
      }
    } finally {
      client.destroy();
      await emulator.close();
      await s3.close();
    }
  }, 60_000);
});

describe('runLocally', () => {
  it('stages a 50 MB input whole before its job runs: the processor reads every byte at once', async () => {
    const reader: JobProcessor = {
      name: 'whole-reader',
      async process(job, context) {
        const artifacts = jobArtifacts(job, context, { maxInputBytes: 2 * SIZE });
        const hash = createHash('sha256');
        let bytes = 0;
        for await (const chunk of await artifacts.open()) {
          hash.update(chunk as Buffer);
          bytes += (chunk as Buffer).length;
        }
        return success({ outputVariables: { Bytes: String(bytes), Sha256: hash.digest('hex') } });
      },
    };

    const result = await runLocally({
      processor: reader,
      actionType: { category: 'Test', provider: 'WholeReader', version: '1', minInputArtifacts: 1 },
      jobs: [
        {
          name: 'whole',
          inputArtifacts: [{ name: 'Source', zipBase64: INPUT.toString('base64') }],
          repeat: 2,
        },
      ],
      duplicateRate: 0,
    });

    expect(result.jobs.map((job) => [job.outcome, job.outputVariables])).toEqual([
      ['Succeeded', { Bytes: String(SIZE), Sha256: INPUT_SHA256 }],
      ['Succeeded', { Bytes: String(SIZE), Sha256: INPUT_SHA256 }],
    ]);
  }, 90_000);
});
