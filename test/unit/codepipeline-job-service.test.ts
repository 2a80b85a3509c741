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
  ValidationException,
} from '@aws-sdk/client-codepipeline';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { CodePipelineJobService } from '../../lambda/adapters/codepipeline-job-service.js';
import type { ActionTypeId } from '../../lambda/config.js';
import { JobRejectedError, JobServiceUnavailableError } from '../../lambda/ports.js';
import { fakeClock, T0 } from '../../local/testing/index.js';
import { ACTION_TYPE, rawJob, SECRET_CONFIGURATION_KEYS, SECRET_VALUES } from '../helpers/jobs.js';

describe('CodePipelineJobService', () => {
  const client = new CodePipelineClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  const mock = mockClient(client);
  const malformed: Error[] = [];
  const service = new CodePipelineJobService({
    actionType: ACTION_TYPE as ActionTypeId,
    secretConfigurationKeys: SECRET_CONFIGURATION_KEYS,
    client,
    onMalformedJob: (error) => malformed.push(error),
  });

  beforeEach(() => {
    mock.reset();
    malformed.length = 0;
  });

  it('polls for its own Custom action type and parses and redacts each job', async () => {
    mock.on(PollForJobsCommand).resolves({ jobs: [rawJob()] });

    const [job] = await service.poll(7);

    expect(mock.commandCalls(PollForJobsCommand)[0]?.args[0].input).toEqual({
      actionTypeId: ACTION_TYPE,
      maxBatchSize: 7,
    });
    for (const secret of SECRET_VALUES) expect(JSON.stringify(job)).not.toContain(secret);
  });

  it('skips a job without an id or nonce and says so', async () => {
    const broken = { ...rawJob(), nonce: undefined };
    mock
      .on(PollForJobsCommand)
      .resolves({ jobs: [broken, rawJob({ id: '00000000-0000-4000-8000-000000000001' })] });

    const jobs = await service.poll(10);

    expect(jobs.map((job) => job.id)).toEqual(['00000000-0000-4000-8000-000000000001']);
    expect(malformed).toHaveLength(1);
  });

  it.each([
    [new InvalidNonceException({ message: 'x', $metadata: {} }), 'InvalidNonce'],
    [new JobNotFoundException({ message: 'x', $metadata: {} }), 'JobNotFound'],
  ])('turns %s on acknowledge into a JobRejectedError', async (error, reason) => {
    mock.on(AcknowledgeJobCommand).rejects(error);

    const acknowledging = service.acknowledge('job-1', 'nonce-1');

    await expect(acknowledging).rejects.toBeInstanceOf(JobRejectedError);
    await expect(acknowledging).rejects.toMatchObject({ reason, jobId: 'job-1' });
  });

  it('lets other errors through unchanged', async () => {
    const error = new ValidationException({ message: 'bad', $metadata: {} });
    mock.on(AcknowledgeJobCommand).rejects(error);

    await expect(service.acknowledge('job-1', 'nonce-1')).rejects.toBe(error);
  });

  it('sends the acknowledge with the nonce and returns the status', async () => {
    mock.on(AcknowledgeJobCommand).resolves({ status: 'InProgress' });

    expect(await service.acknowledge('job-1', 'nonce-1')).toBe('InProgress');
    expect(mock.commandCalls(AcknowledgeJobCommand)[0]?.args[0].input).toEqual({
      jobId: 'job-1',
      nonce: 'nonce-1',
    });
  });

  it('reads a job again with GetJobDetails, keeping the ledger nonce', async () => {
    const raw = rawJob();
    mock.on(GetJobDetailsCommand).resolves({
      jobDetails: { id: raw.id, accountId: raw.accountId, data: raw.data },
    });

    const job = await service.getJob(raw.id as string, 'ledger-nonce');

    expect(job).toMatchObject({ id: raw.id, nonce: 'ledger-nonce' });
    expect(job.artifactCredentials?.reveal().accessKeyId).toBe(
      raw.data?.artifactCredentials?.accessKeyId,
    );
  });

  it('stamps each job with the time its PollForJobs or GetJobDetails answered, on its clock', async () => {
    const clock = fakeClock();
    const stamped = new CodePipelineJobService({
      actionType: ACTION_TYPE as ActionTypeId,
      secretConfigurationKeys: SECRET_CONFIGURATION_KEYS,
      client,
      now: clock.now,
    });
    const raw = rawJob();
    // Each call takes 2 s on the clock: the credentials were handed out as it answered.
    mock.on(PollForJobsCommand).callsFake(() => {
      clock.advance(2_000);
      return { jobs: [raw, rawJob({ id: '00000000-0000-4000-8000-000000000002' })] };
    });
    mock.on(GetJobDetailsCommand).callsFake(() => {
      clock.advance(2_000);
      return { jobDetails: { id: raw.id, accountId: raw.accountId, data: raw.data } };
    });

    const polled = await stamped.poll(2);
    clock.advance(60_000);
    const refreshed = await stamped.getJob(raw.id as string, 'ledger-nonce');

    expect(polled.map((job) => job.credentialsIssuedAt)).toEqual([T0 + 2_000, T0 + 2_000]);
    expect(refreshed.credentialsIssuedAt).toBe(T0 + 64_000);
  });

  it('sends success and failure results as the API expects them', async () => {
    mock.on(PutJobSuccessResultCommand).resolves({});
    mock.on(PutJobFailureResultCommand).resolves({});

    await service.succeed('job-1', {
      kind: 'success',
      continuationToken: 'tok',
      executionDetails: { summary: 's', percentComplete: 10 },
    });
    await service.fail('job-2', {
      kind: 'failure',
      failureType: 'ConfigurationError',
      message: 'm',
      externalExecutionId: 'e',
    });

    expect(mock.commandCalls(PutJobSuccessResultCommand)[0]?.args[0].input).toMatchObject({
      jobId: 'job-1',
      continuationToken: 'tok',
      executionDetails: { summary: 's', percentComplete: 10 },
    });
    expect(mock.commandCalls(PutJobFailureResultCommand)[0]?.args[0].input).toEqual({
      jobId: 'job-2',
      failureDetails: { type: 'ConfigurationError', message: 'm', externalExecutionId: 'e' },
    });
  });

  /** An error as the SDK builds it from an answer: a name, an HTTP status, maybe a code. */
  const sdkError = (name: string, status?: number, code?: string) =>
    Object.assign(new Error(name), {
      name,
      ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }),
      ...(code === undefined ? {} : { code }),
    });

  it.each([
    ['ThrottlingException', sdkError('ThrottlingException', 400), true],
    ['an HTTP 429', sdkError('TooManyRequests', 429), true],
    ['an HTTP 500', sdkError('InternalFailure', 500), false],
    ['an HTTP 503', sdkError('ServiceUnavailable', 503), false],
    ['a request timeout', sdkError('TimeoutError'), false],
    ['a reset connection', sdkError('Error', undefined, 'ECONNRESET'), false],
  ])('turns %s on a result into a JobServiceUnavailableError', async (_label, error, throttled) => {
    mock.on(PutJobFailureResultCommand).rejects(error);

    const failing = service.fail('job-1', {
      kind: 'failure',
      failureType: 'JobFailed',
      message: 'm',
    });

    await expect(failing).rejects.toBeInstanceOf(JobServiceUnavailableError);
    await expect(failing).rejects.toMatchObject({ jobId: 'job-1', throttled, cause: error });
  });

  it.each([
    ['ValidationException', new ValidationException({ message: 'bad', $metadata: {} })],
    ['AccessDeniedException', sdkError('AccessDeniedException', 400)],
    ['an aborted request', sdkError('AbortError')],
  ])('lets %s on a result through unchanged', async (_label, error) => {
    mock.on(PutJobSuccessResultCommand).rejects(error);

    await expect(service.succeed('job-1', { kind: 'success' })).rejects.toBe(error);
  });

  it("hands the caller's abort signal to the SDK", async () => {
    const signals: unknown[] = [];
    mock.on(PutJobSuccessResultCommand).resolves({});
    const send = client.send.bind(client);
    client.send = ((command: never, options?: { abortSignal?: unknown }) => {
      signals.push(options?.abortSignal);
      return send(command, options as never);
    }) as typeof client.send;
    const controller = new AbortController();

    try {
      await service.succeed('job-1', { kind: 'success' }, { signal: controller.signal });
    } finally {
      client.send = send;
    }

    expect(signals).toEqual([controller.signal]);
  });

  it('turns InvalidJobStateException on a result into a JobRejectedError', async () => {
    mock
      .on(PutJobSuccessResultCommand)
      .rejects(new InvalidJobStateException({ message: 'not in progress', $metadata: {} }));

    await expect(service.succeed('job-1', { kind: 'success' })).rejects.toMatchObject({
      reason: 'InvalidJobState',
    });
  });
});
