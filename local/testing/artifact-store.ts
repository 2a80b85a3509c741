/**
 * An artifact store for unit tests of a processor that uses `codepipeline-job-worker/artifacts`:
 * the local S3 stand-in on loopback holding the pipeline's bucket and accepting one set of job
 * credentials, jobs whose artifacts live there, input artifacts put there, and outputs read
 * back with the encryption headers they were uploaded with.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { resolveTarget } from '../../lambda/artifacts/targets.js';
import type { ArtifactCredentials, Job } from '../../lambda/job/job.js';
import { type InputSource, zipSource } from '../emulator/artifact-sources.js';
import { listZip, readZipEntry } from '../emulator/zip-listing.js';
import type { LocalOutputReport } from '../runner/options.js';
import { applyEnvironment } from '../runner/worker-environment.js';
import { lastWrite, type RunningS3Server, startS3Server } from '../s3/index.js';
import {
  type ArtifactFixture,
  artifactObjectKey,
  FIXTURE_INPUT_ARTIFACTS,
  FIXTURE_PIPELINE_NAME,
  type JobFixtureOptions,
  jobFixture,
} from './job-fixture.js';

/** Options of {@link localArtifactStore}. */
export interface LocalArtifactStoreOptions {
  /** The pipeline's artifact bucket. @default 'codepipeline-us-east-1-123456789012' */
  readonly bucketName?: string;
}

/**
 * What to put in an input artifact: exactly one of `files`, `directory` and `zip`. The first
 * two are zipped as CodePipeline's artifacts are; `zip` is stored as it is (a damaged or
 * hostile archive, or not a zip at all).
 */
export interface InputArtifactContents {
  /** The input's name. @default the job's only input */
  readonly name?: string;
  /**
   * The archive's files: path inside it (`/` separators) to contents (text as UTF-8). A `..` or
   * absolute path is refused: give a hostile archive as `zip`.
   */
  readonly files?: Readonly<Record<string, string | Buffer>>;
  /** A directory whose contents become the archive's root; links are stored as links. */
  readonly directory?: string;
  /** The object's bytes, as they are. */
  readonly zip?: Buffer;
}

/** Where an input artifact was stored, and its size. */
export interface StoredInput {
  readonly bucketName: string;
  readonly objectKey: string;
  /** Bytes of the stored object (the archive, not its files): what `HeadObject` answers. */
  readonly bytes: number;
}

/** An output artifact as the job uploaded it. */
export interface StoredOutput extends LocalOutputReport {
  /** The object's bytes. */
  readonly body: Buffer;
  /** The contents of the archive's file `path`; undefined when it has none (or is no zip). */
  entry(path: string): Promise<Buffer | undefined>;
}

/** A running artifact store; see {@link localArtifactStore}. */
export interface LocalArtifactStore {
  /** `http://127.0.0.1:port`, also in `AWS_ENDPOINT_URL_S3` while the store is open. */
  readonly endpoint: string;
  /** The pipeline's artifact bucket. */
  readonly bucketName: string;
  /**
   * A job as {@link jobFixture} makes it, with its artifacts in this store's bucket under
   * object keys of their own (one job's output is never another's) and artifact credentials
   * the store accepts. An artifact given a `bucketName` or `objectKey`, or a job given
   * `artifactCredentials`, keeps them (credentials the store does not know are refused, as S3
   * refuses them).
   */
  job(options?: JobFixtureOptions): Job;
  /** Stores an input artifact of `job` where the job says it is. */
  putInput(job: Job, contents: InputArtifactContents): Promise<StoredInput>;
  /**
   * What the job uploaded to its output `name` (its only output when omitted); undefined when
   * nothing was uploaded there.
   */
  output(job: Job, name?: string): Promise<StoredOutput | undefined>;
  /** Stops the server, deletes what it stored and restores the environment it changed. */
  close(): Promise<void>;
}

const DEFAULT_BUCKET = 'codepipeline-us-east-1-123456789012';
const DEFAULT_REGION = 'us-east-1';

/** The store that holds `process.env` now: there is one environment, so one store at a time. */
let holder: string | undefined;

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/**
 * Credentials of this store alone: s3rver's key registry is shared by every stand-in of the
 * process, so fixed ones would be revoked by whichever store closed first.
 */
function freshCredentials(): ArtifactCredentials {
  return {
    accessKeyId: `ASIA${hex(8).toUpperCase()}`,
    secretAccessKey: hex(20),
    sessionToken: `local-artifact-store-${hex(24)}`,
  };
}

function inputSource(contents: InputArtifactContents): InputSource {
  const given = (['files', 'directory', 'zip'] as const).filter(
    (field) => contents[field] !== undefined,
  );
  if (given.length !== 1) {
    throw new TypeError(
      `putInput takes exactly one of files, directory and zip (given: ${given.join(', ') || 'none'})`,
    );
  }
  if (contents.files) return { kind: 'files', files: contents.files };
  if (contents.directory) return { kind: 'directory', directory: resolve(contents.directory) };
  return { kind: 'zip', bytes: contents.zip ?? Buffer.alloc(0) };
}

/**
 * The store on a running stand-in: creates the bucket, registers the credentials, points
 * `AWS_ENDPOINT_URL_S3` (and `AWS_REGION`, when unset) at it until `close()`, which also
 * closes the stand-in. The repository's own tests use it with their fixed bucket and keys.
 *
 * @throws Error when another store of this process is open (it holds the environment)
 */
export async function artifactStoreOn(
  server: RunningS3Server,
  settings: { readonly bucketName: string; readonly credentials: ArtifactCredentials },
): Promise<LocalArtifactStore> {
  if (holder !== undefined) {
    throw new Error(
      `another local artifact store (${holder}) is open: close it first, since AWS_ENDPOINT_URL_S3 can name only one`,
    );
  }
  const { bucketName, credentials } = settings;
  await server.createBucket(bucketName);
  server.registerCredentials(credentials);
  holder = server.endpoint;
  const restoreEnvironment = applyEnvironment({
    AWS_ENDPOINT_URL_S3: server.endpoint,
    ...(process.env.AWS_REGION ? {} : { AWS_REGION: DEFAULT_REGION }),
  });
  let closed: Promise<void> | undefined;

  const place = (pipelineName: string) => (artifact: ArtifactFixture) => ({
    ...artifact,
    bucketName: artifact.bucketName ?? bucketName,
    objectKey: artifact.objectKey ?? artifactObjectKey(pipelineName, artifact.name, hex(4)),
  });

  return {
    endpoint: server.endpoint,
    bucketName,
    job(options = {}) {
      const at = place(options.pipelineContext?.pipelineName ?? FIXTURE_PIPELINE_NAME);
      return jobFixture({
        ...options,
        inputArtifacts: (options.inputArtifacts ?? FIXTURE_INPUT_ARTIFACTS).map(at),
        outputArtifacts: (options.outputArtifacts ?? []).map(at),
        artifactCredentials:
          options.artifactCredentials === undefined ? credentials : options.artifactCredentials,
      });
    },
    async putInput(job, contents) {
      const source = inputSource(contents);
      const target = resolveTarget(job, 'input', contents.name);
      const body = await zipSource(source);
      await server.putObject(target.bucketName, target.objectKey, body);
      return { bucketName: target.bucketName, objectKey: target.objectKey, bytes: body.length };
    },
    async output(job, name) {
      const target = resolveTarget(job, 'output', name);
      const body = await server.getObject(target.bucketName, target.objectKey);
      if (!body) return undefined;
      const writer = lastWrite(server.uploads, target.bucketName, target.objectKey);
      return {
        body,
        bytes: body.length,
        entries: ((await listZip(body)) ?? []).map((entry) => entry.path),
        ...(writer?.serverSideEncryption
          ? { serverSideEncryption: writer.serverSideEncryption }
          : {}),
        ...(writer?.kmsKeyId ? { kmsKeyId: writer.kmsKeyId } : {}),
        entry: (path) => readZipEntry(body, path),
      };
    },
    close() {
      closed ??= (async () => {
        restoreEnvironment();
        holder = undefined;
        await server.close();
      })();
      return closed;
    },
  };
}

/**
 * Starts an artifact store for unit tests of a processor that reads or writes artifacts: the
 * local S3 stand-in (s3rver) on a free loopback port, holding the pipeline's bucket and
 * accepting a set of job credentials made for it. While it is open, `AWS_ENDPOINT_URL_S3` names
 * it, and `AWS_REGION` is `us-east-1` if it was unset, so that `jobArtifacts(job, context)`
 * (called with no options, as in production code) and any S3 client of your own built with
 * the defaults reach it; `close()` restores both. One store may be open at a time in a
 * process (a test file): there is one environment.
 *
 * The stand-in checks every request's signature and session token against the job's
 * credentials, and records the encryption headers each upload was sent with; it does not
 * encrypt, so `HeadObject` answers no `ServerSideEncryption`.
 *
 * @param options - the bucket's name
 * @throws Error when another store of this process is still open
 * @example
 * import { jobArtifacts } from 'codepipeline-job-worker/artifacts';
 * import { localArtifactStore, processingContext } from 'codepipeline-job-worker/testing';
 *
 * let store: LocalArtifactStore;
 * beforeAll(async () => { store = await localArtifactStore(); });
 * afterAll(() => store.close());
 *
 * it('reports what it found', async () => {
 *   const job = store.job({ outputArtifacts: [{ name: 'Report' }] });
 *   await store.putInput(job, { files: { 'src/app.js': 'run()', '.env': 'TOKEN=1' } });
 *
 *   const outcome = await scan.process(job, processingContext()); // calls jobArtifacts(job, context)
 *
 *   expect(outcome).toMatchObject({ kind: 'failure' });
 *   const report = await store.output(job, 'Report');
 *   expect(report?.entries).toEqual(['findings.json']);
 *   expect(report?.serverSideEncryption).toBe('aws:kms');
 * });
 */
export async function localArtifactStore(
  options: LocalArtifactStoreOptions = {},
): Promise<LocalArtifactStore> {
  const server = await startS3Server();
  try {
    return await artifactStoreOn(server, {
      bucketName: options.bucketName ?? DEFAULT_BUCKET,
      credentials: freshCredentials(),
    });
  } catch (error) {
    await server.close();
    throw error;
  }
}
