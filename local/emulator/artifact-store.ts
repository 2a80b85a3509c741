/**
 * The emulator's artifact store: an S3-compatible server (the local S3 stand-in) holding the
 * pipeline's artifact bucket. Jobs' input artifacts are written there before the job is
 * queued, every set of artifact credentials the emulator hands out is registered there (and
 * revoked when the job ends), and what a job uploaded to an output is read back from there,
 * with the encryption headers the upload was sent with.
 */
import { createHash } from 'node:crypto';
import { lastWrite, type RunningS3Server } from '../s3/index.js';
import { type InputSource, zipSource } from './artifact-sources.js';
import { EmulatorInputError } from './protocol.js';
import type { ArtifactCredentials, EncryptionKey, JobTemplate } from './types.js';
import { listZip, readZipEntry, type ZipEntryView } from './zip-listing.js';

/**
 * What the emulator needs of an S3 server: `startS3Server()` (`local/s3`) returns one. Its
 * credentials are checked on every request (SigV4, session token), so a job's credentials
 * work exactly as long as the emulator keeps them registered.
 */
export type ArtifactStore = Pick<
  RunningS3Server,
  | 'endpoint'
  | 'createBucket'
  | 'registerCredentials'
  | 'revokeCredentials'
  | 'putObject'
  | 'getObject'
  | 'uploads'
>;

/** Where the emulator's artifact credentials came from. */
export type CredentialsSource = 'PollForJobs' | 'GetJobDetails';

/** One request that wrote (or tried to write) an output's object. */
export interface UploadView {
  operation: string;
  /** The HTTP status answered; null while unanswered. */
  status: number | null;
  /** `x-amz-server-side-encryption`, as sent; null when absent. */
  serverSideEncryption: string | null;
  /** `x-amz-server-side-encryption-aws-kms-key-id`, as sent; null when absent. */
  kmsKeyId: string | null;
  /** The job and hand-out whose credentials signed it; null when none of the emulator's did. */
  signedBy: { jobId: string; source: CredentialsSource } | null;
}

/** What a job's output artifact holds, as `GET /emulator/jobs/{jobId}/outputs/{name}` answers. */
export interface OutputView {
  jobId: string;
  name: string;
  bucketName: string;
  objectKey: string;
  /** The job's `encryptionKey.id`: the key its uploads should name; null when it has none. */
  encryptionKeyId: string | null;
  /** The stored object; null when nothing was uploaded there. */
  object: {
    bytes: number;
    sha256: string;
    /** The archive's entries; null when the object is not a zip. */
    entries: ZipEntryView[] | null;
  } | null;
  /**
   * The encryption headers of the last successful request that wrote the object (PutObject,
   * or CreateMultipartUpload, which carries them for a multipart upload); null when none did.
   */
  encryption: { serverSideEncryption: string | null; kmsKeyId: string | null } | null;
  /** Every request that wrote to the object's key, in order. */
  uploads: UploadView[];
}

/** A job as the artifact store needs it. */
export interface StoredJob {
  readonly id: string;
  readonly template: JobTemplate;
}

interface Issued {
  readonly jobId: string;
  readonly source: CredentialsSource;
  live: boolean;
}

/** The bucket of the emulator's artifact store: CodePipeline's default artifact bucket name. */
export function artifactBucketName(account: { accountId: string; region: string }): string {
  return `codepipeline-${account.region}-${account.accountId}`;
}

/**
 * A KMS key ARN of the pipeline's own: the same for every job of a pipeline, different from
 * another pipeline's, as when each pipeline's artifact store has its key.
 */
export function pipelineKey(
  account: { accountId: string; region: string },
  pipelineName: string,
): EncryptionKey {
  const hex = createHash('sha256')
    .update(`${account.accountId}/${account.region}/${pipelineName}`)
    .digest('hex');
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return { id: `arn:aws:kms:${account.region}:${account.accountId}:key/${id}`, type: 'KMS' };
}

/** The emulator's side of an artifact store. */
export class ArtifactStoreLink {
  readonly bucketName: string;
  readonly #issued = new Map<string, Issued>();

  constructor(
    readonly store: ArtifactStore,
    account: { accountId: string; region: string },
  ) {
    this.bucketName = artifactBucketName(account);
  }

  /** Creates the artifact bucket (again, harmlessly, when it exists). */
  async open(): Promise<void> {
    await this.store.createBucket(this.bucketName);
  }

  /**
   * Registers credentials handed out for a job, so that the store accepts them; those of a
   * job that already ended are not registered, so the store refuses them.
   */
  credentialsIssued(
    jobId: string,
    source: CredentialsSource,
    credentials: ArtifactCredentials,
    live: boolean,
  ): void {
    this.#issued.set(credentials.accessKeyId, { jobId, source, live });
    if (live) this.store.registerCredentials(credentials);
  }

  /**
   * Revokes every set of credentials the job was given. A worker has no business with the
   * artifacts of a job it reported (AWS lets them expire after about 15 minutes instead).
   */
  jobEnded(jobId: string): void {
    for (const [accessKeyId, issued] of this.#issued) {
      if (issued.jobId === jobId && issued.live) this.#revoke(accessKeyId, issued);
    }
  }

  /** Revokes every credential handed out (reset, close): the store's key registry outlives us. */
  revokeAll(): void {
    for (const [accessKeyId, issued] of this.#issued) {
      if (issued.live) this.#revoke(accessKeyId, issued);
    }
    this.#issued.clear();
  }

  /** Writes the job's input artifacts that have a source, each where the job says it is. */
  async writeInputs(
    template: JobTemplate,
    sources: ReadonlyMap<string, InputSource>,
  ): Promise<void> {
    for (const artifact of template.inputArtifacts) {
      const source = sources.get(artifact.name);
      if (source === undefined) continue;
      const { bucketName, objectKey } = artifact.location.s3Location;
      await this.store.putObject(bucketName, objectKey, await zipSource(source));
    }
  }

  /** What the job uploaded to its output `name`. */
  async output(job: StoredJob, name: string): Promise<OutputView> {
    const { bucketName, objectKey } = this.#outputLocation(job, name);
    const body = await this.store.getObject(bucketName, objectKey);
    const uploads = this.store.uploads
      .filter((request) => request.bucket === bucketName && request.key === objectKey)
      .map((request) => {
        const signer = request.accessKeyId ? this.#issued.get(request.accessKeyId) : undefined;
        return {
          operation: request.operation,
          status: request.status ?? null,
          serverSideEncryption: request.serverSideEncryption ?? null,
          kmsKeyId: request.kmsKeyId ?? null,
          signedBy: signer ? { jobId: signer.jobId, source: signer.source } : null,
        };
      });
    const writer = lastWrite(this.store.uploads, bucketName, objectKey);
    return {
      jobId: job.id,
      name,
      bucketName,
      objectKey,
      encryptionKeyId: job.template.encryptionKey?.id ?? null,
      object: body
        ? {
            bytes: body.length,
            sha256: createHash('sha256').update(body).digest('hex'),
            entries: (await listZip(body)) ?? null,
          }
        : null,
      encryption: writer
        ? {
            serverSideEncryption: writer.serverSideEncryption ?? null,
            kmsKeyId: writer.kmsKeyId ?? null,
          }
        : null,
      uploads,
    };
  }

  /**
   * The bytes the job uploaded to its output `name` (or of one entry of that archive).
   *
   * @throws EmulatorInputError (404) when there is no such object or entry
   */
  async outputBytes(job: StoredJob, name: string, entryPath?: string): Promise<Buffer> {
    const { bucketName, objectKey } = this.#outputLocation(job, name);
    const body = await this.store.getObject(bucketName, objectKey);
    if (!body) {
      throw new EmulatorInputError(
        `output artifact '${name}' of job ${job.id} was not uploaded`,
        404,
      );
    }
    if (entryPath === undefined) return body;
    const entry = await readZipEntry(body, entryPath);
    if (!entry) {
      throw new EmulatorInputError(
        `output artifact '${name}' of job ${job.id} has no file '${entryPath}'`,
        404,
      );
    }
    return entry;
  }

  #outputLocation(job: StoredJob, name: string) {
    const artifact = job.template.outputArtifacts.find((output) => output.name === name);
    if (!artifact) {
      const names = job.template.outputArtifacts.map((output) => `'${output.name}'`).join(', ');
      throw new EmulatorInputError(
        `job ${job.id} has no output artifact '${name}' (its outputs: ${names || 'none'})`,
        404,
      );
    }
    return artifact.location.s3Location;
  }

  #revoke(accessKeyId: string, issued: Issued): void {
    issued.live = false;
    this.store.revokeCredentials(accessKeyId);
  }
}
