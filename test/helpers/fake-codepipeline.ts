/**
 * CodePipeline's job-worker API faked at the SDK boundary (aws-sdk-client-mock): a queue of
 * jobs, nonces checked on acknowledge, results recorded. Enough for unit tests of the
 * worker; the emulator in local/ is the faithful one.
 */
import {
  AcknowledgeJobCommand,
  CodePipelineClient,
  GetJobDetailsCommand,
  InvalidJobStateException,
  InvalidNonceException,
  JobNotFoundException,
  type JobStatus,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  type PutJobFailureResultCommandInput,
  PutJobSuccessResultCommand,
  type PutJobSuccessResultCommandInput,
  type Job as SdkJob,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export type Result =
  | {
      readonly jobId: string;
      readonly kind: 'success';
      readonly input: PutJobSuccessResultCommandInput;
    }
  | {
      readonly jobId: string;
      readonly kind: 'failure';
      readonly input: PutJobFailureResultCommandInput;
    };

interface FakeJob {
  job: SdkJob;
  status: JobStatus;
  /** Forced answer to the next acknowledge. */
  ackAnswer?: 'InvalidNonce' | 'JobNotFound' | JobStatus | Error;
  /** Forced answer to results. */
  resultError?: 'InvalidJobState' | Error;
  /** How many more results get the forced answer. */
  resultErrorsLeft?: number;
}

export class FakeCodePipeline {
  readonly client = new CodePipelineClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'fake', secretAccessKey: 'fake' },
  });
  readonly mock = mockClient(this.client);
  readonly results: Result[] = [];
  readonly acknowledged: { jobId: string; nonce: string }[] = [];
  readonly polls: number[] = [];
  /** Called with the job id of every result call, before it is answered. */
  beforeResult: ((jobId: string) => Promise<void>) | undefined;
  readonly #jobs = new Map<string, FakeJob>();
  #detailsRead = 0;
  #queue: SdkJob[] = [];
  #pollError: Error | undefined;
  #pollDelayMs = 0;
  readonly #ackDelays = new Map<string, number>();

  constructor() {
    this.mock.on(PollForJobsCommand).callsFake(async (input) => {
      this.polls.push(input.maxBatchSize ?? 1);
      if (this.#pollDelayMs > 0) await sleep(this.#pollDelayMs);
      if (this.#pollError) throw this.#pollError;
      const batch = this.#queue.splice(0, input.maxBatchSize ?? 1);
      for (const job of batch) {
        const known = this.#jobs.get(job.id as string);
        if (known && known.status === 'Queued') known.status = 'Dispatched';
      }
      return { jobs: batch };
    });
    this.mock.on(AcknowledgeJobCommand).callsFake(async (input) => {
      const delay = this.#ackDelays.get(input.jobId ?? '');
      if (delay) await sleep(delay);
      const known = this.#jobs.get(input.jobId ?? '');
      if (!known) throw new JobNotFoundException({ message: 'job not found', $metadata: {} });
      const forced = known.ackAnswer;
      known.ackAnswer = undefined;
      if (forced instanceof Error) throw forced;
      if (forced === 'InvalidNonce')
        throw new InvalidNonceException({ message: 'bad nonce', $metadata: {} });
      if (forced === 'JobNotFound')
        throw new JobNotFoundException({ message: 'gone', $metadata: {} });
      if (forced) return { status: forced };
      if (input.nonce !== known.job.nonce) {
        throw new InvalidNonceException({ message: 'bad nonce', $metadata: {} });
      }
      this.acknowledged.push({ jobId: input.jobId ?? '', nonce: input.nonce ?? '' });
      if (known.status === 'Dispatched' || known.status === 'Queued') known.status = 'InProgress';
      return { status: known.status };
    });
    this.mock.on(GetJobDetailsCommand).callsFake(async (input) => {
      const known = this.#jobs.get(input.jobId ?? '');
      if (!known) throw new JobNotFoundException({ message: 'gone', $metadata: {} });
      // Fresh artifact credentials each time, as the service hands out.
      this.#detailsRead++;
      const credentials = known.job.data?.artifactCredentials;
      const data = credentials
        ? {
            ...known.job.data,
            artifactCredentials: {
              accessKeyId: `${credentials.accessKeyId}R${this.#detailsRead}`,
              secretAccessKey: `${credentials.secretAccessKey}R${this.#detailsRead}`,
              sessionToken: `${credentials.sessionToken}R${this.#detailsRead}`,
            },
          }
        : known.job.data;
      return { jobDetails: { id: known.job.id, accountId: known.job.accountId, data } };
    });
    this.mock.on(PutJobSuccessResultCommand).callsFake(async (input) => {
      await this.beforeResult?.(input.jobId ?? '');
      this.#result(input.jobId ?? '', 'Succeeded');
      this.results.push({ jobId: input.jobId ?? '', kind: 'success', input });
      return {};
    });
    this.mock.on(PutJobFailureResultCommand).callsFake(async (input) => {
      await this.beforeResult?.(input.jobId ?? '');
      this.#result(input.jobId ?? '', 'Failed');
      this.results.push({ jobId: input.jobId ?? '', kind: 'failure', input });
      return {};
    });
  }

  /** Queues a job for polling; the same job queued twice is a duplicate dispatch. */
  enqueue(...jobs: SdkJob[]): void {
    for (const job of jobs) {
      if (!this.#jobs.has(job.id as string))
        this.#jobs.set(job.id as string, { job, status: 'Queued' });
      this.#queue.push(job);
    }
  }

  /** Re-dispatches a known job with a new nonce (as the service does after a missed acknowledge). */
  redispatch(jobId: string, nonce: string): SdkJob {
    const known = this.#jobs.get(jobId);
    if (!known) throw new Error(`unknown job ${jobId}`);
    known.job = { ...known.job, nonce };
    known.status = 'Queued';
    this.#queue.push(known.job);
    return known.job;
  }

  /** Registers a job the worker will meet through GetJobDetails only (already InProgress). */
  register(job: SdkJob, status: JobStatus): void {
    this.#jobs.set(job.id as string, { job, status });
  }

  answerAcknowledge(jobId: string, answer: NonNullable<FakeJob['ackAnswer']>): void {
    const known = this.#jobs.get(jobId);
    if (known) known.ackAnswer = answer;
  }

  /** Answers the next `times` result calls of `jobId` (all of them by default) with `error`. */
  failResults(
    jobId: string,
    error: NonNullable<FakeJob['resultError']>,
    times = Number.POSITIVE_INFINITY,
  ): void {
    const known = this.#jobs.get(jobId);
    if (known) Object.assign(known, { resultError: error, resultErrorsLeft: times });
  }

  /** Answers every poll after `ms`. */
  delayPolls(ms: number): void {
    this.#pollDelayMs = ms;
  }

  /** Answers every acknowledge of `jobId` after `ms`. */
  delayAcknowledge(jobId: string, ms: number): void {
    this.#ackDelays.set(jobId, ms);
  }

  failPolls(error: Error | undefined): void {
    this.#pollError = error;
  }

  status(jobId: string): JobStatus | undefined {
    return this.#jobs.get(jobId)?.status;
  }

  resultsFor(jobId: string): Result[] {
    return this.results.filter((result) => result.jobId === jobId);
  }

  #result(jobId: string, status: JobStatus): void {
    const known = this.#jobs.get(jobId);
    if (!known) throw new JobNotFoundException({ message: 'gone', $metadata: {} });
    const forced = (known.resultErrorsLeft ?? 0) > 0 ? known.resultError : undefined;
    if (forced) known.resultErrorsLeft = (known.resultErrorsLeft ?? 0) - 1;
    if (forced instanceof Error) throw forced;
    if (forced === 'InvalidJobState' || known.status !== 'InProgress') {
      throw new InvalidJobStateException({ message: `job is ${known.status}`, $metadata: {} });
    }
    known.status = status;
  }
}
