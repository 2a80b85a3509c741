/**
 * One job's artifacts: inputs read, downloaded or extracted by name, outputs uploaded by name
 * (each once in the action execution, all before success), with the job's credentials kept
 * fresh.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Job } from '../job/job.js';
import type { ProcessingContext } from '../job/processor.js';
import type { JobArtifacts, OutputWriteOptions } from './api.js';
import { JobCredentials } from './credentials.js';
import { ArtifactLimitError } from './errors.js';
import { fileError } from './file-errors.js';
import { limitedStream } from './limited-stream.js';
import { type OutputContents, outputFiles, zipFiles } from './output-contents.js';
import { OutputLedger } from './output-ledger.js';
import { createArtifactClient } from './s3-client.js';
import {
  type ArtifactTarget,
  artifactErrorFromS3,
  describeTarget,
  isCredentialExpiry,
  isForbidden,
  isHeadCredentialExpiry,
  isMissingObject,
  outputCheckError,
} from './s3-errors.js';
import {
  type ArtifactLimits,
  DEFAULT_PART_SIZE_BYTES,
  DEFAULT_REFRESH_AFTER_MS,
  DEFAULT_UPLOAD_CONCURRENCY,
  defaultArtifactLimits,
  type JobArtifactsOptions,
} from './settings.js';
import { localName, resolveTarget } from './targets.js';
import { type UploadResult, type UploadSource, uploadObject } from './upload.js';
import { zipDirectory } from './zip-directory.js';
import { type ExtractResult, extractZip } from './zip-extract.js';

class ArtifactStore implements JobArtifacts {
  readonly #job: Job;
  readonly #context: ProcessingContext;
  readonly #limits: ArtifactLimits;
  readonly #options: JobArtifactsOptions;
  readonly #credentials: JobCredentials;
  readonly #client: S3Client;
  readonly #outputs: OutputLedger;
  readonly #downloads = new Map<string, Promise<string>>();
  readonly #extracts = new Map<string, Promise<string>>();
  /** What the job's inputs take of its limits so far: see {@link ArtifactLimits}. */
  readonly #used = { inputBytes: 0, extractedBytes: 0, entries: 0 };
  /** Extractions run one at a time, so that each is given what the others left. */
  #extracting: Promise<unknown> = Promise.resolve();

  constructor(job: Job, context: ProcessingContext, options: JobArtifactsOptions) {
    this.#job = job;
    this.#context = context;
    this.#options = options;
    const defaults = defaultArtifactLimits();
    this.#limits = {
      maxInputBytes: options.maxInputBytes ?? defaults.maxInputBytes,
      maxExtractedBytes: options.maxExtractedBytes ?? defaults.maxExtractedBytes,
      maxEntries: options.maxEntries ?? defaults.maxEntries,
    };
    this.#credentials = new JobCredentials({
      job,
      refreshJob: () => context.refreshJob(),
      now: options.now ?? (() => context.now()),
      refreshAfterMs: options.refreshAfterMs ?? DEFAULT_REFRESH_AFTER_MS,
    });
    this.#client = createArtifactClient({
      credentials: this.#credentials,
      sdk: context.sdk,
      region: options.region,
      endpoint: options.endpoint,
      forcePathStyle: options.forcePathStyle,
    });
    this.#outputs = new OutputLedger(this.outputNames, (name) => this.#writtenBefore(name));
    context.beforeReport(async (outcome) => {
      try {
        return await this.#outputs.check(outcome);
      } finally {
        this.destroy();
      }
    });
  }

  get inputNames(): readonly string[] {
    return this.#job.inputArtifacts.map((artifact) => artifact.name);
  }

  get outputNames(): readonly string[] {
    return this.#job.outputArtifacts.map((artifact) => artifact.name);
  }

  async open(name?: string): Promise<Readable> {
    const target = this.#target('input', name);
    return this.#open(target);
  }

  async download(name?: string): Promise<string> {
    const target = this.#target('input', name);
    return this.#once(this.#downloads, target.name, async () => {
      const file = join(this.#root, 'downloads', this.#fileName(target));
      await this.#fetch(target, file);
      this.#context.logger.info('input artifact downloaded', { artifact: target.name });
      return file;
    });
  }

  async extract(name?: string): Promise<string> {
    const target = this.#target('input', name);
    return this.#once(this.#extracts, target.name, async () => {
      const started = this.#context.now();
      const downloaded = this.#downloads.get(target.name);
      const archive = downloaded
        ? await downloaded
        : join(this.#root, 'downloads', `${this.#fileName(target)}.extracting`);
      const fetched = downloaded ? 0 : await this.#fetch(target, archive);
      const directory = join(this.#root, 'inputs', this.#fileName(target));
      let result: ExtractResult;
      try {
        result = await this.#oneAtATime(async () => {
          const extracted = await extractZip(archive, directory, {
            label: describeTarget(target),
            artifactName: target.name,
            maxBytes: this.#limits.maxExtractedBytes - this.#used.extractedBytes,
            maxEntries: this.#limits.maxEntries - this.#used.entries,
            signal: this.#context.signal,
          });
          this.#used.extractedBytes += extracted.bytes;
          this.#used.entries += extracted.entries;
          return extracted;
        });
      } finally {
        if (!downloaded) {
          await rm(archive, { force: true });
          this.#used.inputBytes -= fetched;
        }
      }
      this.#context.logger.info('input artifact extracted', {
        artifact: target.name,
        ...result,
        durationMs: this.#context.now() - started,
      });
      return directory;
    });
  }

  uploadDirectory(
    name: string,
    directory: string,
    options: OutputWriteOptions & { readonly compress?: boolean } = {},
  ): Promise<UploadResult> {
    return this.#upload(name, 'uploadDirectory', options, (target) => ({
      open: () =>
        zipDirectory(directory, {
          compress: options.compress ?? true,
          label: describeTarget(target),
          artifactName: target.name,
        }),
      restartable: true,
      contentType: 'application/zip',
    }));
  }

  uploadFile(
    name: string,
    file: string,
    options: OutputWriteOptions & { readonly contentType?: string } = {},
  ): Promise<UploadResult> {
    return this.#upload(name, 'uploadFile', options, () => ({
      open: () => createReadStream(file),
      restartable: true,
      contentType: options.contentType,
    }));
  }

  uploadStream(
    name: string,
    body: Readable,
    options: OutputWriteOptions & { readonly contentType?: string } = {},
  ): Promise<UploadResult> {
    return this.#upload(name, 'uploadStream', options, () => ({
      open: () => body,
      restartable: false,
      contentType: options.contentType,
    }));
  }

  writeOutput(
    name: string,
    contents: OutputContents,
    options: OutputWriteOptions = {},
  ): Promise<UploadResult> {
    return this.#upload(name, 'writeOutput', options, (target) => {
      const files = outputFiles(contents, describeTarget(target), target.name);
      return { open: () => zipFiles(files), restartable: true, contentType: 'application/zip' };
    });
  }

  destroy(): void {
    this.#client.destroy();
  }

  get #root(): string {
    return join(this.#context.workDirectory, 'artifacts');
  }

  /** Memoizes one download or extraction per input; a failed one may be tried again. */
  #once(memo: Map<string, Promise<string>>, name: string, work: () => Promise<string>) {
    const known = memo.get(name);
    if (known) return known;
    const started = work().catch((error: unknown) => {
      memo.delete(name);
      throw error;
    });
    memo.set(name, started);
    return started;
  }

  /** Runs `work` after every extraction started before it has settled. */
  #oneAtATime<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#extracting.then(work);
    this.#extracting = run.catch(() => undefined);
    return run;
  }

  #target(kind: ArtifactTarget['kind'], name: string | undefined): ArtifactTarget {
    return resolveTarget(this.#job, kind, name);
  }

  #fileName(target: ArtifactTarget): string {
    return localName(this.#job, target);
  }

  /**
   * Sends an S3 command; once more with fresh credentials if S3 says they expired.
   *
   * @param judge - what says the credentials expired, and the artifact API's error for what
   *   S3 answered otherwise
   */
  async #send<T>(
    target: ArtifactTarget,
    call: () => Promise<T>,
    judge: {
      readonly expired?: (error: unknown) => boolean;
      readonly failed?: (error: unknown) => Error;
    } = {},
  ): Promise<T> {
    const expired = judge.expired ?? isCredentialExpiry;
    const failed = judge.failed ?? ((error: unknown) => artifactErrorFromS3(error, target));
    for (let round = 1; ; round++) {
      const generation = this.#credentials.generation;
      try {
        return await call();
      } catch (error) {
        if (round === 1 && expired(error)) {
          await this.#credentials.refreshAfterExpiry(generation);
          continue;
        }
        throw failed(error);
      }
    }
  }

  async #open(target: ArtifactTarget): Promise<Readable> {
    const response = await this.#send(target, () =>
      this.#client.send(
        new GetObjectCommand({ Bucket: target.bucketName, Key: target.objectKey }),
        {
          abortSignal: this.#context.signal,
        },
      ),
    );
    return limitedStream(response.Body as Readable, this.#limits.maxInputBytes, target);
  }

  /**
   * Downloads `target` to `file`, counting its bytes against the job's `maxInputBytes` as they
   * arrive (with every input the job holds on disk at the same time); returns them.
   */
  async #fetch(target: ArtifactTarget, file: string): Promise<number> {
    const doing = `${describeTarget(target)}: downloading`;
    const max = this.#limits.maxInputBytes;
    let held = 0;
    const counted = new Transform({
      transform: (chunk: Buffer, _encoding, callback) => {
        held += chunk.length;
        this.#used.inputBytes += chunk.length;
        if (this.#used.inputBytes <= max) {
          callback(null, chunk);
          return;
        }
        callback(
          new ArtifactLimitError(
            `${doing}: the job's input artifacts on its disk would exceed the limit of ${max} bytes (maxInputBytes, for every input of the job together)`,
            { artifactName: target.name },
          ),
        );
      },
    });
    try {
      await mkdir(dirname(file), { recursive: true });
      const body = await this.#open(target);
      await pipeline(body, counted, createWriteStream(file, { flags: 'wx' }), {
        signal: this.#context.signal,
      });
      return held;
    } catch (error) {
      await rm(file, { force: true });
      this.#used.inputBytes -= held;
      throw fileError(error, doing, { artifactName: target.name }, false);
    }
  }

  async #upload(
    name: string,
    call: string,
    options: OutputWriteOptions,
    source: (target: ArtifactTarget) => UploadSource,
  ): Promise<UploadResult> {
    const target = this.#target('output', name);
    const how = { about: describeTarget(target), call, replace: options.replace === true };
    return this.#outputs.write(target.name, how, async () => {
      const started = this.#context.now();
      const key = this.#job.encryptionKey;
      const result = await uploadObject(target, source(target), {
        client: this.#client,
        credentials: this.#credentials,
        partSizeBytes: this.#options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
        queueSize: this.#options.uploadConcurrency ?? DEFAULT_UPLOAD_CONCURRENCY,
        signal: this.#context.signal,
        kmsKeyId: key && key.type === 'KMS' ? key.id : undefined,
      });
      this.#context.logger.info('output artifact uploaded', {
        artifact: target.name,
        bytes: result.bytes,
        parts: result.parts,
        durationMs: this.#context.now() - started,
      });
      return result;
    });
  }

  /**
   * Whether output `name` is already in the store, written by an earlier job of the same
   * action execution: only a job that continues one (a continuation, or a run of the same
   * job again) can find one, so the execution's first job asks nothing. Not found is "no";
   * any other answer (a 403, a 5xx after the SDK's retries) is an error, since it cannot tell.
   */
  async #writtenBefore(name: string): Promise<boolean | undefined> {
    if (this.#job.continuation === undefined && this.#job.continuationToken === undefined) {
      return false;
    }
    const target = this.#target('output', name);
    return this.#send(
      target,
      async () => {
        try {
          await this.#client.send(
            new HeadObjectCommand({ Bucket: target.bucketName, Key: target.objectKey }),
            { abortSignal: this.#context.signal },
          );
          return true;
        } catch (error) {
          if (isMissingObject(error)) return false;
          // A 403 answers a HeadObject the credentials may not make (reading the output, or
          // listing the bucket for a missing one): the store will not say, and the write goes.
          if (isForbidden(error)) {
            this.#context.logger.warn(
              'could not tell whether an earlier job of this action execution wrote the output (HeadObject answered 403); it is written',
              { artifact: target.name },
            );
            return undefined;
          }
          throw error;
        }
      },
      { expired: isHeadCredentialExpiry, failed: (error) => outputCheckError(error, target) },
    );
  }
}

/** One artifacts object per job: two would each keep their own record of the outputs. */
const perJob = new WeakMap<ProcessingContext, JobArtifacts>();

/**
 * The artifact API for one job, at the start of `process`. It registers a check that fails a
 * success which left a declared output artifact unwritten. Called again with the same
 * context, it returns the same object (made with the first call's options).
 *
 * @param job - the job being processed
 * @param context - its processing context (work directory, credentials refresh, SDK settings)
 * @param options - limits, refresh threshold, endpoint; see {@link JobArtifactsOptions}
 * @example
 * const processor: JobProcessor = {
 *   name: 'lint',
 *   async process(job, context) {
 *     const artifacts = jobArtifacts(job, context);
 *     const source = await artifacts.extract('SourceOutput');
 *     const report = await lint(source, join(context.workDirectory, 'report'));
 *     await artifacts.uploadDirectory('LintReport', report);
 *     return { kind: 'success', summary: 'lint passed' };
 *   },
 * };
 */
export function jobArtifacts(
  job: Job,
  context: ProcessingContext,
  options: JobArtifactsOptions = {},
): JobArtifacts {
  const known = perJob.get(context);
  if (known) return known;
  const created = new ArtifactStore(job, context, options);
  perJob.set(context, created);
  return created;
}
