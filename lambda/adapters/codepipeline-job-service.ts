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
import { JobRejectedError, type JobService, type JobStatus } from '../ports.js';
import type { Job } from '../worker/job.js';
import type { FailureReport, SuccessReport } from '../worker/outcome.js';
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
}

export class CodePipelineJobService implements JobService {
  readonly #client: CodePipelineClient;
  readonly #actionType: ActionTypeId;
  readonly #secretKeys: ReadonlySet<string>;
  readonly #queryParam: Readonly<Record<string, string>> | undefined;
  readonly #onMalformedJob: (error: Error) => void;

  constructor(options: CodePipelineJobServiceOptions) {
    this.#client = options.client ?? new CodePipelineClient({});
    this.#actionType = options.actionType;
    this.#secretKeys = options.secretConfigurationKeys;
    this.#queryParam = options.queryParam;
    this.#onMalformedJob = options.onMalformedJob ?? (() => {});
  }

  async poll(maxBatchSize: number): Promise<Job[]> {
    const result = await this.#client.send(
      new PollForJobsCommand({
        actionTypeId: { ...this.#actionType },
        maxBatchSize,
        ...(this.#queryParam ? { queryParam: { ...this.#queryParam } } : {}),
      }),
    );
    const jobs: Job[] = [];
    for (const raw of result.jobs ?? []) {
      try {
        jobs.push(parseJob(raw, this.#secretKeys));
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
    return parseJob({ ...result.jobDetails, id: jobId, nonce }, this.#secretKeys);
  }

  async succeed(jobId: string, report: SuccessReport): Promise<void> {
    await this.#rejections(jobId, () =>
      this.#client.send(
        new PutJobSuccessResultCommand({
          jobId,
          continuationToken: report.continuationToken,
          executionDetails: report.executionDetails,
          outputVariables: report.outputVariables ? { ...report.outputVariables } : undefined,
          currentRevision: report.currentRevision,
        }),
      ),
    );
  }

  async fail(jobId: string, report: FailureReport): Promise<void> {
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
      throw error;
    }
  }
}
