/**
 * An artifact store for the artifact API's tests: the local S3 stand-in with the default
 * job's bucket and credentials, jobs whose artifacts live there, and zips made in memory.
 */
import { rm } from 'node:fs/promises';
import type { JobData } from '@aws-sdk/client-codepipeline';
import yazl from 'yazl';
import type { Job } from '../../lambda/worker/job.js';
import { type RunningS3Server, startS3Server } from '../../local/s3/index.js';
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

/** The default job (one input, one output, an encryption key) with fields of `data` replaced. */
export function artifactJob(data: Partial<JobData> = {}): Job {
  return parsedJob({ data });
}

/** A zip archive of `files` (name to contents), made with yazl. */
export function zipOf(files: Readonly<Record<string, string | Buffer>>): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, contents] of Object.entries(files)) zip.addBuffer(Buffer.from(contents), name);
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

export interface ArtifactStoreFixture {
  readonly s3: RunningS3Server;
  /** A processing context whose work directory `close()` removes. */
  context(options?: ProcessingContextOptions): TestProcessingContext;
  close(): Promise<void>;
}

/** The stand-in with the job's bucket and first credentials registered. */
export async function artifactStore(): Promise<ArtifactStoreFixture> {
  const s3 = await startS3Server({ buckets: [BUCKET], credentials: [JOB_CREDENTIALS] });
  const workDirectories: string[] = [];
  return {
    s3,
    context(options = {}) {
      const context = processingContext(options);
      workDirectories.push(context.workDirectory);
      return context;
    },
    async close() {
      for (const directory of workDirectories)
        await rm(directory, { recursive: true, force: true });
      await s3.close();
    },
  };
}
