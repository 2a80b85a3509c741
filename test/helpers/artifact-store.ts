/**
 * An artifact store for the artifact API's tests: the package's own `localArtifactStore` on a
 * stand-in the tests can also drive directly (its requests, credentials expired or revoked),
 * with the default job's bucket and credentials, and zips made in memory.
 */
import { rm } from 'node:fs/promises';
import type { JobData } from '@aws-sdk/client-codepipeline';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import {
  type JobArtifacts,
  type JobArtifactsOptions,
  jobArtifacts,
} from '../../lambda/artifacts/index.js';
import type { Job } from '../../lambda/job/job.js';
import { zipSource } from '../../local/emulator/artifact-sources.js';
import { type RunningS3Server, startS3Server } from '../../local/s3/index.js';
import { artifactStoreOn, type LocalArtifactStore } from '../../local/testing/artifact-store.js';
import {
  type ProcessingContextOptions,
  processingContext,
  type TestProcessingContext,
} from '../../local/testing/index.js';
import { parsedJob, SECRETS } from './jobs.js';

/** The default job's artifact bucket and object keys (see `rawJob`). */
export const BUCKET = 'codepipeline-eu-west-1-123456789012';
export const INPUT_KEY = 'checkout-service/BuildOutpu/Xk3Lm9P';
export const OUTPUT_KEY = 'checkout-service/BakedOutpu/Qw2Er5T';

/** The default job's artifact credentials. */
export const JOB_CREDENTIALS = {
  accessKeyId: SECRETS.accessKeyId,
  secretAccessKey: SECRETS.secretAccessKey,
  sessionToken: SECRETS.sessionToken,
} as const;

/** What `GetJobDetails` hands out when the first credentials get old. */
export const FRESH_CREDENTIALS = {
  accessKeyId: 'ASIAZ7FRESHQ4N2K8W99',
  secretAccessKey: 'fresh/Xw8Ly2Kd5Hn7Bz0Pm4Rc6Sf1GjEXAMPLEq9V',
  sessionToken: 'IQoJb3JpZ2luX2VjFRESH//////////wEaCXVzLWVhc3QtMSJHMEUCIQDfreshToken==',
} as const;

/** Every secret value either set of credentials carries. */
export const ALL_SECRET_VALUES: readonly string[] = [
  ...Object.values(SECRETS),
  ...Object.values(FRESH_CREDENTIALS),
];

/** An artifact of JobData, in the job's bucket. */
export function artifact(name: string, objectKey: string, bucketName = BUCKET) {
  return { name, location: { type: 'S3' as const, s3Location: { bucketName, objectKey } } };
}

/**
 * The default job (one input, one output, an encryption key) with fields of `data` replaced.
 *
 * @param credentialsIssuedAt - when its poll answered (epoch ms); default now (`Date.now()`)
 */
export function artifactJob(data: Partial<JobData> = {}, credentialsIssuedAt?: number): Job {
  return parsedJob({ data, credentialsIssuedAt });
}

/** A zip archive of `files` (name to contents), made as the artifact store makes inputs. */
export function zipOf(files: Readonly<Record<string, string | Buffer>>): Promise<Buffer> {
  return zipSource({ kind: 'files', files });
}

export interface ArtifactStoreFixture extends LocalArtifactStore {
  /** The stand-in itself, for what a processor author's store does not offer. */
  readonly s3: RunningS3Server;
  /** A processing context whose work directory `close()` removes. */
  context(options?: ProcessingContextOptions): TestProcessingContext;
}

/**
 * The store with the default job's bucket and first credentials, named by
 * `AWS_ENDPOINT_URL_S3` (and `AWS_REGION`, when unset) until `close()`.
 */
export async function artifactStore(): Promise<ArtifactStoreFixture> {
  const s3 = await startS3Server();
  const store = await artifactStoreOn(s3, { bucketName: BUCKET, credentials: JOB_CREDENTIALS });
  const workDirectories: string[] = [];
  return {
    ...store,
    s3,
    context(options = {}) {
      const context = processingContext(options);
      workDirectories.push(context.workDirectory);
      return context;
    },
    async close() {
      for (const directory of workDirectories) {
        await rm(directory, { recursive: true, force: true });
      }
      await store.close();
    },
  };
}

/**
 * The store for the calling `describe` block (started before its tests, closed after them),
 * the requests the running test made, and the artifacts it opened, destroyed after it.
 */
export function artifactStoreForTests() {
  let fixture: ArtifactStoreFixture | undefined;
  /** Requests before this index belong to earlier tests. */
  let mark = 0;
  const opened: JobArtifacts[] = [];
  const started = () => {
    if (!fixture) throw new Error('the artifact store runs only while the describe block runs');
    return fixture;
  };
  beforeAll(async () => {
    fixture = await artifactStore();
  });
  afterAll(async () => {
    await fixture?.close();
  });
  beforeEach(() => {
    mark = started().s3.requests.length;
  });
  afterEach(() => {
    for (const artifacts of opened.splice(0)) artifacts.destroy();
  });
  return {
    get store(): ArtifactStoreFixture {
      return started();
    },
    /** The requests the stand-in received during the running test. */
    requests: () => started().s3.requests.slice(mark),
    /** The job's artifacts on a fresh processing context. */
    open(
      job: Job = artifactJob(),
      options: JobArtifactsOptions = {},
      contextOptions: ProcessingContextOptions = {},
    ) {
      const context = started().context(contextOptions);
      const artifacts = jobArtifacts(job, context, options);
      opened.push(artifacts);
      return { artifacts, context };
    },
  };
}

/** The error `promise` rejects with, which must be an `Error`, with its artifact fields. */
export async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error & { failureType: string; artifactName?: string };
}
