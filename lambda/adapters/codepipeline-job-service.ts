/**
 * {@link JobService} on CodePipeline's job-worker API (AWS SDK v3).
 */
import {
  AcknowledgeJobCommand,
  CodePipelineClient,
  GetJobDetailsCommand,
  InvalidJobStateException,
  InvalidNonceException,
  JobNotFoundException,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import type { ActionTypeId } from '../config.js';
import type { Job } from '../job/job.js';
import {
  type CallOptions,
  JobRejectedError,
  type JobService,
  JobServiceUnavailableError,
  type JobStatus,
} from '../ports.js';
import type { FailureReport, SuccessReport } from '../worker/report.js';
import { parseJob } from './codepipeline-job.js';

export interface CodePipelineJobServiceOptions {
  readonly actionType: ActionTypeId;
  /** Configuration properties whose values are secret. */
  readonly secretConfigurationKeys: ReadonlySet<string>;
  /**
   * The queryable property and the value to poll for: required when the action type declares
   * a queryable property (the service refuses every poll without it), refused when it does not.
   * @default - no queryParam
   */
  readonly queryParam?: Readonly<Record<string, string>>;
  /** @default new CodePipelineClient({}) */
  readonly client?: CodePipelineClient;
  /** Called with every job the service hands out that cannot be parsed. */
  readonly onMalformedJob?: (error: Error) => void;
  /**
   * Epoch ms: stamps each job with the time its PollForJobs or GetJobDetails answered
   * (`Job.credentialsIssuedAt`). The processors' clock, so that credentials' age is counted
   * on it. @default Date.now
   */
  readonly now?: () => number;
}

export class CodePipelineJobService implements JobService {
  readonly #client: CodePipelineClient;
  readonly #actionType: ActionTypeId;
  readonly #secretKeys: ReadonlySet<string>;
  readonly #queryParam: Readonly<Record<string, string>> | undefined;
  readonly #onMalformedJob: (error: Error) => void;
  readonly #now: () => number;

  constructor(options: CodePipelineJobServiceOptions) {
    this.#client = options.client ?? new CodePipelineClient({});
    this.#actionType = options.actionType;
    this.#secretKeys = options.secretConfigurationKeys;
    this.#queryParam = options.queryParam;
    this.#onMalformedJob = options.onMalformedJob ?? (() => {});
    this.#now = options.now ?? Date.now;
  }

  async poll(maxBatchSize: number): Promise<Job[]> {
    const result = await this.#client.send(
      new PollForJobsCommand({
        actionTypeId: { ...this.#actionType },
        maxBatchSize,
        ...(this.#queryParam ? { queryParam: { ...this.#queryParam } } : {}),
      }),
    );
    const answered = this.#now();
    const jobs: Job[] = [];
    for (const raw of result.jobs ?? []) {
      try {
        jobs.push(parseJob(raw, this.#secretKeys, answered));
      } catch (error) {
        this.#onMalformedJob(error as Error);
      }
    }
    return jobs;
  }

  async acknowledge(jobId: string, nonce: string): Promise<JobStatus> {
    const result = await this.#rejections(jobId, () =>
      this.#client.send(new AcknowledgeJobCommand({ jobId, nonce })),
    );
    return (result.status ?? 'InProgress') as JobStatus;
  }

  async getJob(jobId: string, nonce: string): Promise<Job> {
    const result = await this.#rejections(jobId, () =>
      this.#client.send(new GetJobDetailsCommand({ jobId })),
    );
    return parseJob({ ...result.jobDetails, id: jobId, nonce }, this.#secretKeys, this.#now());
  }

  async succeed(jobId: string, report: SuccessReport, options?: CallOptions): Promise<void> {
    await this.#rejections(jobId, () =>
      this.#client.send(
        new PutJobSuccessResultCommand({
          jobId,
          continuationToken: report.continuationToken,
          executionDetails: report.executionDetails,
          outputVariables: report.outputVariables ? { ...report.outputVariables } : undefined,
          currentRevision: report.currentRevision,
        }),
        { abortSignal: options?.signal },
      ),
    );
  }

  async fail(jobId: string, report: FailureReport, options?: CallOptions): Promise<void> {
    await this.#rejections(jobId, () =>
      this.#client.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: {
            type: report.failureType,
            message: report.message,
            externalExecutionId: report.externalExecutionId,
          },
        }),
        { abortSignal: options?.signal },
      ),
    );
  }

  async #rejections<T>(jobId: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (error instanceof InvalidNonceException) {
        throw new JobRejectedError(jobId, 'InvalidNonce', { cause: error });
      }
      if (error instanceof JobNotFoundException) {
        throw new JobRejectedError(jobId, 'JobNotFound', { cause: error });
      }
      if (error instanceof InvalidJobStateException) {
        throw new JobRejectedError(jobId, 'InvalidJobState', { cause: error });
      }
      const unavailable = unavailability(error);
      if (unavailable) {
        throw new JobServiceUnavailableError(jobId, unavailable.throttled, unavailable.reason, {
          cause: error,
        });
      }
      throw error;
    }
  }
}

/** Error names of throttled calls, as AWS services spell them. */
const THROTTLING_ERRORS = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
]);
/** Error names of calls the service could not serve now, whatever their HTTP status. */
const TRANSIENT_ERRORS = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);
/** Connections that broke or never came up: the request may not have reached the service. */
const NETWORK_ERRORS = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);

interface SdkErrorFields {
  readonly $metadata?: { readonly httpStatusCode?: number };
  readonly $retryable?: { readonly throttling?: boolean };
  readonly code?: unknown;
}

/**
 * Whether a call failed for a reason that a later attempt may not meet (throttling, a server
 * error, a timeout, a broken connection), and whether it was throttled; undefined otherwise.
 */
function unavailability(error: unknown): { throttled: boolean; reason: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const fields = error as Error & SdkErrorFields;
  const status = fields.$metadata?.httpStatusCode;
  if (THROTTLING_ERRORS.has(error.name) || status === 429 || fields.$retryable?.throttling) {
    return { throttled: true, reason: error.name };
  }
  const network = typeof fields.code === 'string' && NETWORK_ERRORS.has(fields.code);
  if (TRANSIENT_ERRORS.has(error.name) || (status ?? 0) >= 500 || network || fields.$retryable) {
    return { throttled: false, reason: network ? String(fields.code) : error.name };
  }
  return undefined;
}
