/**
 * The job's artifact credentials, refreshed through `refreshJob()` (GetJobDetails) when they
 * get old, and once more when S3 says they expired. JobData carries no expiry time, so age is
 * the only clue: CodePipeline's credentials last about 15 minutes, counted from the answer that
 * handed them out (`Job.credentialsIssuedAt`), whatever the processor did before its first
 * artifact call.
 */
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import type { ArtifactCredentials, Job } from '../job/job.js';
import { ArtifactPermissionError, ArtifactServiceError } from './errors.js';
import { safeCause } from './s3-errors.js';

type CredentialProvider = Extract<NonNullable<S3ClientConfig['credentials']>, () => unknown>;

/** What {@link JobCredentials} needs. */
export interface JobCredentialsOptions {
  /** The job whose `artifactCredentials` are used first. */
  readonly job: Job;
  /** Reads the job again with fresh credentials (`ProcessingContext.refreshJob`). */
  readonly refreshJob: () => Promise<Job>;
  /** Epoch ms; the age of credentials is measured on this clock (the jobs' stamps' clock). */
  readonly now: () => number;
  /** Credentials older than this are refreshed before the next request. */
  readonly refreshAfterMs: number;
}

/** One job's artifact credentials, kept fresh; concurrent refreshes are coalesced. */
export class JobCredentials {
  readonly #options: JobCredentialsOptions;
  #current: ArtifactCredentials | undefined;
  #obtainedAt: number;
  #refreshing: Promise<void> | undefined;
  #generation = 0;

  constructor(options: JobCredentialsOptions) {
    this.#options = options;
    this.#current = options.job.artifactCredentials?.reveal();
    this.#obtainedAt = issuedAt(options.job, Number.NEGATIVE_INFINITY, options.now());
  }

  /** Increases with every refresh: tells whether a refresh happened since a request began. */
  get generation(): number {
    return this.#generation;
  }

  /** The credentials to sign the next request with, refreshed first when they are too old. */
  async get(): Promise<ArtifactCredentials> {
    if (this.#options.now() - this.#obtainedAt >= this.#options.refreshAfterMs) {
      await this.#refresh(this.#generation);
    }
    if (!this.#current) {
      throw new ArtifactPermissionError('The job carries no artifact credentials');
    }
    return this.#current;
  }

  /**
   * Refreshes after S3 refused credentials as expired, unless a refresh already happened
   * since the refused request began (its `generation`).
   */
  async refreshAfterExpiry(generation: number): Promise<void> {
    await this.#refresh(generation);
  }

  /**
   * A credential provider for the S3 client. The SDK caches what a provider returns until 5
   * minutes before its `expiration`; an expiration of "now" makes it ask again for every
   * request, so that this class alone decides, on the job's clock, when to refresh.
   */
  provider(): CredentialProvider {
    return async () => ({ ...(await this.get()), expiration: new Date() });
  }

  async #refresh(generation: number): Promise<void> {
    if (generation !== this.#generation) return;
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = undefined;
    });
    await this.#refreshing;
  }

  async #load(): Promise<void> {
    const asked = this.#options.now();
    let job: Job;
    try {
      job = await this.#options.refreshJob();
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      throw new ArtifactServiceError(
        `Could not refresh the job's artifact credentials (GetJobDetails failed: ${name})`,
        { cause: safeCause(error) },
      );
    }
    const fresh = job.artifactCredentials?.reveal();
    if (!fresh) {
      throw new ArtifactPermissionError('The refreshed job carries no artifact credentials');
    }
    this.#current = fresh;
    this.#obtainedAt = issuedAt(job, asked, this.#options.now());
    this.#generation++;
  }
}

/**
 * When a job's credentials were issued, on the clock that reads `now`: the job's stamp, or
 * `now` when it carries none (or no finite one). A stamp later than `now` is on another clock
 * and counts as `now`; one earlier than `notBefore` (a refreshed job that no GetJobDetails
 * sent at `notBefore` answered, such as a test's fixed job) as `notBefore`, so that old
 * credentials handed out again are not refreshed at every request.
 */
function issuedAt(job: Job, notBefore: number, now: number): number {
  const { credentialsIssuedAt: stamp } = job;
  const issued = stamp !== undefined && Number.isFinite(stamp) ? stamp : now;
  return Math.min(Math.max(issued, notBefore), now);
}
