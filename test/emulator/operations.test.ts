import {
  AcknowledgeJobCommand,
  ActionTypeNotFoundException,
  type CodePipelineClient,
  CreateCustomActionTypeCommand,
  type CreateCustomActionTypeCommandInput,
  DeleteCustomActionTypeCommand,
  GetJobDetailsCommand,
  InvalidJobStateException,
  InvalidNextTokenException,
  InvalidNonceException,
  type Job,
  JobNotFoundException,
  LimitExceededException,
  ListActionTypesCommand,
  OutputVariablesSizeExceededException,
  PollForJobsCommand,
  type PollForJobsCommandInput,
  PutJobFailureResultCommand,
  type PutJobFailureResultCommandInput,
  PutJobSuccessResultCommand,
  type PutJobSuccessResultCommandInput,
  ValidationException,
} from '@aws-sdk/client-codepipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import {
  BAKE_ACTION,
  BAKE_ID,
  JENKINS_ACTION,
  JENKINS_ID,
  JOB_ID_PATTERN,
  sdkClient,
} from '../helpers/emulator.js';

const UNKNOWN_JOB = '00000000-0000-4000-8000-000000000000';

describe('CodePipeline operations through the AWS SDK v3 client', () => {
  let emulator: RunningEmulator;
  let client: CodePipelineClient;

  beforeAll(async () => {
    emulator = await startEmulator({ actionTypes: [BAKE_ACTION, JENKINS_ACTION] });
    client = sdkClient(emulator);
  });
  beforeEach(() => emulator.reset());
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  async function dispatchedJob(configuration = { BakeTimeSeconds: '5' }): Promise<Job> {
    emulator.enqueueJob({ actionTypeId: BAKE_ID, configuration });
    const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
    const [job] = jobs ?? [];
    if (!job?.id || !job.nonce) throw new Error('no job dispatched');
    return job;
  }

  async function inProgressJob(): Promise<string> {
    const job = await dispatchedJob();
    await client.send(new AcknowledgeJobCommand({ jobId: job.id, nonce: job.nonce }));
    return job.id ?? '';
  }

  describe('custom action types', () => {
    const definition: CreateCustomActionTypeCommandInput = {
      category: 'Deploy',
      provider: 'MyDeployer',
      version: '2',
      settings: { executionUrlTemplate: 'https://example.com/{ExternalExecutionId}' },
      configurationProperties: [
        { name: 'Target', required: true, key: true, secret: false, queryable: true },
        { name: 'Password', required: false, key: false, secret: true, description: 'secret' },
      ],
      inputArtifactDetails: { minimumCount: 1, maximumCount: 5 },
      outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
      tags: [{ key: 'team', value: 'ci' }],
    };

    it('creates a custom action type and lists it under the Custom owner', async () => {
      const created = await client.send(new CreateCustomActionTypeCommand(definition));
      const listed = await client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }));

      expect(created.actionType?.id).toEqual({
        category: 'Deploy',
        owner: 'Custom',
        provider: 'MyDeployer',
        version: '2',
      });
      expect(created.tags).toEqual([{ key: 'team', value: 'ci' }]);
      expect(listed.actionTypes?.map((t) => t.id?.provider)).toEqual([
        'BakeTimeGate',
        'JenkinsProviderName',
        'MyDeployer',
      ]);
    });

    it('lists AWS-owned action types under the AWS owner', async () => {
      const listed = await client.send(new ListActionTypesCommand({ actionOwnerFilter: 'AWS' }));

      expect(listed.actionTypes?.length).toBeGreaterThan(0);
      expect(listed.actionTypes?.every((t) => t.id?.owner === 'AWS')).toBe(true);
    });

    it('pages ListActionTypes with nextToken', async () => {
      for (let i = 0; i < 48; i += 1) {
        emulator.createActionType({ ...BAKE_ACTION, provider: `Bulk${i}` });
      }

      const first = await client.send(new ListActionTypesCommand({}));
      const second = await client.send(new ListActionTypesCommand({ nextToken: first.nextToken }));

      expect(first.actionTypes).toHaveLength(50);
      expect(first.nextToken).toEqual(expect.any(String));
      expect(second.actionTypes?.length).toBe(55 - 50);
      expect(second.nextToken).toBeUndefined();
    });

    it('answers InvalidNextTokenException to a token it did not issue', async () => {
      await expect(
        client.send(new ListActionTypesCommand({ nextToken: 'forged' })),
      ).rejects.toBeInstanceOf(InvalidNextTokenException);
    });

    it('answers LimitExceededException past 50 custom action types', async () => {
      for (let i = 0; i < 48; i += 1) {
        emulator.createActionType({ ...BAKE_ACTION, provider: `Bulk${i}` });
      }

      await expect(
        client.send(new CreateCustomActionTypeCommand(definition)),
      ).rejects.toBeInstanceOf(LimitExceededException);
    });

    it.each<[string, Partial<CreateCustomActionTypeCommandInput>, RegExp]>([
      ['an unknown category', { category: 'Lint' as never }, /at 'category'.*enum value set/],
      ['a 36-character provider', { provider: 'p'.repeat(36) }, /length less than or equal to 35/],
      ['a provider with a space', { provider: 'My Deployer' }, /regular expression pattern/],
      ['a 10-character version', { version: '1234567890' }, /length less than or equal to 9/],
      [
        'more than 10 properties',
        {
          configurationProperties: Array.from({ length: 11 }, (_, i) => ({
            name: `P${i}`,
            required: false,
            key: false,
            secret: false,
          })),
        },
        /configurationProperties.*less than or equal to 10/,
      ],
      [
        'a 161-character description',
        {
          configurationProperties: [
            { name: 'A', required: false, key: false, secret: false, description: 'd'.repeat(161) },
          ],
        },
        /description.*less than or equal to 160/,
      ],
      [
        'a property without its secret flag',
        { configurationProperties: [{ name: 'A', required: false, key: false } as never] },
        /configurationProperties.1.member.secret' failed.*not be null/,
      ],
      [
        'two queryable properties',
        {
          configurationProperties: [
            { name: 'A', required: true, key: true, secret: false, queryable: true },
            { name: 'B', required: true, key: true, secret: false, queryable: true },
          ],
        },
        /at most one queryable/,
      ],
      [
        'a secret queryable property',
        {
          configurationProperties: [
            { name: 'A', required: true, key: true, secret: true, queryable: true },
          ],
        },
        /must be required and must not be secret/,
      ],
      [
        'an optional queryable property',
        {
          configurationProperties: [
            { name: 'A', required: false, key: true, secret: false, queryable: true },
          ],
        },
        /must be required/,
      ],
      [
        'an unknown property type',
        {
          configurationProperties: [
            { name: 'A', required: false, key: true, secret: false, type: 'Date' as never },
          ],
        },
        /enum value set: \[String, Number, Boolean\]/,
      ],
      [
        'six input artifacts',
        { inputArtifactDetails: { minimumCount: 0, maximumCount: 6 } },
        /inputArtifactDetails.maximumCount.*less than or equal to 5/,
      ],
      [
        'a negative artifact count',
        { outputArtifactDetails: { minimumCount: -1, maximumCount: 0 } },
        /greater than or equal to 0/,
      ],
      ['no input artifact details', { inputArtifactDetails: undefined }, /not be null/],
      [
        'a 2049-character URL template',
        { settings: { entityUrlTemplate: 'u'.repeat(2049) } },
        /settings.entityUrlTemplate/,
      ],
    ])('answers ValidationException to %s', async (_name, change, message) => {
      const input = { ...definition, ...change } as CreateCustomActionTypeCommandInput;

      const attempt = client.send(new CreateCustomActionTypeCommand(input));

      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
      await expect(attempt).rejects.toThrow(message);
    });

    it('accepts the same definition twice but refuses a changed one under a used version', async () => {
      await client.send(new CreateCustomActionTypeCommand(definition));

      await client.send(new CreateCustomActionTypeCommand(definition));
      await expect(
        client.send(new CreateCustomActionTypeCommand({ ...definition, settings: undefined })),
      ).rejects.toThrow(/version can never be reused/);
    });

    it('makes PollForJobs fail once the action type is deleted, and restores an identical one', async () => {
      const id = { category: 'Test', provider: 'BakeTimeGate', version: '1' } as const;

      await client.send(new DeleteCustomActionTypeCommand(id));
      const afterDelete = client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
      await expect(afterDelete).rejects.toBeInstanceOf(ActionTypeNotFoundException);
      await client.send(new CreateCustomActionTypeCommand(BAKE_ACTION));
      const afterRestore = await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));

      expect(afterRestore.jobs).toEqual([]);
    });

    it('answers ActionTypeNotFoundException to deleting an unknown action type', async () => {
      await expect(
        client.send(
          new DeleteCustomActionTypeCommand({ category: 'Build', provider: 'Nope', version: '1' }),
        ),
      ).rejects.toBeInstanceOf(ActionTypeNotFoundException);
    });

    it('answers ValidationException to deleting with an invalid provider', async () => {
      await expect(
        client.send(
          new DeleteCustomActionTypeCommand({ category: 'Build', provider: 'a b', version: '1' }),
        ),
      ).rejects.toBeInstanceOf(ValidationException);
    });
  });

  describe('PollForJobs', () => {
    it('returns no job when none is queued', async () => {
      const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));

      expect(jobs).toEqual([]);
    });

    it('returns a job shaped as the service sends it', async () => {
      const jobId = emulator.enqueueJob({
        actionTypeId: JENKINS_ID,
        configuration: { ProjectName: 'web' },
      });

      const { jobs } = await client.send(
        new PollForJobsCommand({ actionTypeId: JENKINS_ID, queryParam: { ProjectName: 'web' } }),
      );

      const [job] = jobs ?? [];
      expect(job?.id).toBe(jobId);
      expect(job?.id).toMatch(JOB_ID_PATTERN);
      expect(job?.accountId).toMatch(/^[0-9]{12}$/);
      expect(job?.nonce?.length).toBeGreaterThanOrEqual(1);
      expect(job?.nonce?.length).toBeLessThanOrEqual(50);
      expect(job?.data).toMatchObject({
        actionTypeId: JENKINS_ID,
        actionConfiguration: { configuration: { ProjectName: 'web' } },
        pipelineContext: {
          pipelineName: expect.any(String),
          stage: { name: expect.any(String) },
          action: {
            name: expect.any(String),
            actionExecutionId: expect.stringMatching(JOB_ID_PATTERN),
          },
          pipelineArn: expect.stringMatching(/^arn:aws:codepipeline:us-east-1:[0-9]{12}:/),
          pipelineExecutionId: expect.stringMatching(JOB_ID_PATTERN),
        },
        inputArtifacts: [
          {
            name: 'SourceArtifact',
            revision: expect.any(String),
            location: {
              type: 'S3',
              s3Location: { bucketName: expect.any(String), objectKey: expect.any(String) },
            },
          },
        ],
        outputArtifacts: [],
        encryptionKey: { id: expect.stringMatching(/^arn:aws:kms:/), type: 'KMS' },
      });
      expect(job?.data?.artifactCredentials?.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
      expect(job?.data?.artifactCredentials?.secretAccessKey).toHaveLength(40);
      expect(job?.data?.artifactCredentials?.sessionToken?.length).toBeGreaterThan(300);
      expect(job?.data?.continuationToken).toBeUndefined();
    });

    it('returns one job by default and at most maxBatchSize', async () => {
      for (let i = 0; i < 5; i += 1) {
        emulator.enqueueJob({ actionTypeId: BAKE_ID, configuration: { BakeTimeSeconds: `${i}` } });
      }

      const one = await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
      const three = await client.send(
        new PollForJobsCommand({ actionTypeId: BAKE_ID, maxBatchSize: 3 }),
      );
      const rest = await client.send(
        new PollForJobsCommand({ actionTypeId: BAKE_ID, maxBatchSize: 100 }),
      );

      expect([one.jobs?.length, three.jobs?.length, rest.jobs?.length]).toEqual([1, 3, 1]);
      const configs = [...(one.jobs ?? []), ...(three.jobs ?? []), ...(rest.jobs ?? [])].map(
        (j) => j.data?.actionConfiguration?.configuration?.BakeTimeSeconds,
      );
      expect(configs).toEqual(['0', '1', '2', '3', '4']);
    });

    it.each<[string, PollForJobsCommandInput, RegExp]>([
      ['an AWS-owned action type', { actionTypeId: { ...BAKE_ID, owner: 'AWS' } }, /"Custom"/],
      [
        'a ThirdParty action type',
        { actionTypeId: { ...BAKE_ID, owner: 'ThirdParty' } },
        /"Custom"/,
      ],
      ['an unknown owner', { actionTypeId: { ...BAKE_ID, owner: 'Me' as never } }, /enum/],
      ['an unknown category', { actionTypeId: { ...BAKE_ID, category: 'X' as never } }, /enum/],
      [
        'a 36-character provider',
        { actionTypeId: { ...BAKE_ID, provider: 'p'.repeat(36) } },
        /actionTypeId.provider.*35/,
      ],
      [
        'a provider with a dot',
        { actionTypeId: { ...BAKE_ID, provider: 'a.b' } },
        /\[0-9A-Za-z_-\]\+/,
      ],
      [
        'an empty version',
        { actionTypeId: { ...BAKE_ID, version: '' } },
        /greater than or equal to 1/,
      ],
      [
        'a 10-character version',
        { actionTypeId: { ...BAKE_ID, version: '1234567890' } },
        /actionTypeId.version/,
      ],
      ['maxBatchSize 0', { actionTypeId: BAKE_ID, maxBatchSize: 0 }, /maxBatchSize/],
      [
        'two queryParam entries',
        { actionTypeId: JENKINS_ID, queryParam: { ProjectName: 'a', Other: 'b' } },
        /queryParam.*less than or equal to 1/,
      ],
      [
        'a 51-character queryParam key',
        { actionTypeId: JENKINS_ID, queryParam: { ['k'.repeat(51)]: 'a' } },
        /Map keys must satisfy/,
      ],
      [
        'a 51-character queryParam value',
        { actionTypeId: JENKINS_ID, queryParam: { ProjectName: 'v'.repeat(51) } },
        /Map value must satisfy/,
      ],
      [
        'a queryParam value with a space',
        { actionTypeId: JENKINS_ID, queryParam: { ProjectName: 'my project' } },
        /\[a-zA-Z0-9_-\]\+/,
      ],
      ['no actionTypeId', {} as PollForJobsCommandInput, /actionTypeId' failed.*not be null/],
    ])('answers ValidationException to %s', async (_name, input, message) => {
      const attempt = client.send(new PollForJobsCommand(input));

      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
      await expect(attempt).rejects.toThrow(message);
    });

    it('answers ActionTypeNotFoundException to an unknown custom action type', async () => {
      const attempt = client.send(
        new PollForJobsCommand({ actionTypeId: { ...BAKE_ID, version: '9' } }),
      );

      await expect(attempt).rejects.toBeInstanceOf(ActionTypeNotFoundException);
    });
  });

  describe('AcknowledgeJob', () => {
    it('answers InProgress to the dispatched nonce', async () => {
      const job = await dispatchedJob();

      const { status } = await client.send(
        new AcknowledgeJobCommand({ jobId: job.id, nonce: job.nonce }),
      );

      expect(status).toBe('InProgress');
    });

    it('answers InvalidNonceException to another nonce', async () => {
      const job = await dispatchedJob();

      const attempt = client.send(new AcknowledgeJobCommand({ jobId: job.id, nonce: '42' }));

      await expect(attempt).rejects.toBeInstanceOf(InvalidNonceException);
    });

    it('answers JobNotFoundException to an unknown job', async () => {
      const attempt = client.send(new AcknowledgeJobCommand({ jobId: UNKNOWN_JOB, nonce: '1' }));

      await expect(attempt).rejects.toBeInstanceOf(JobNotFoundException);
    });

    it.each([
      [
        'an upper-case job id',
        'ABCDEF01-0000-4000-8000-000000000000',
        '1',
        /jobId.*regular expression/,
      ],
      ['a job id that is no UUID', 'job-1', '1', /jobId/],
      ['an empty nonce', UNKNOWN_JOB, '', /nonce.*greater than or equal to 1/],
      ['a 51-character nonce', UNKNOWN_JOB, 'n'.repeat(51), /nonce.*less than or equal to 50/],
      ['no nonce', UNKNOWN_JOB, undefined, /nonce' failed.*not be null/],
    ])('answers ValidationException to %s', async (_name, jobId, nonce, message) => {
      const attempt = client.send(new AcknowledgeJobCommand({ jobId, nonce: nonce as string }));

      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
      await expect(attempt).rejects.toThrow(message);
    });
  });

  describe('PutJobSuccessResult', () => {
    it('completes an InProgress job', async () => {
      const jobId = await inProgressJob();

      await client.send(
        new PutJobSuccessResultCommand({
          jobId,
          currentRevision: { revision: 'r1', changeIdentifier: 'c1', created: new Date() },
          executionDetails: { summary: 'baked', externalExecutionId: 'x1', percentComplete: 100 },
          outputVariables: { BakedFor: '5', 'a@b-c_d': 'v' },
        }),
      );

      expect(emulator.getJob(jobId)?.status).toBe('Succeeded');
    });

    it('answers InvalidJobStateException to a job that was not acknowledged', async () => {
      const job = await dispatchedJob();

      const attempt = client.send(new PutJobSuccessResultCommand({ jobId: job.id }));

      await expect(attempt).rejects.toBeInstanceOf(InvalidJobStateException);
    });

    it('answers InvalidJobStateException to a second report', async () => {
      const jobId = await inProgressJob();
      await client.send(new PutJobSuccessResultCommand({ jobId }));

      const attempt = client.send(new PutJobSuccessResultCommand({ jobId }));

      await expect(attempt).rejects.toBeInstanceOf(InvalidJobStateException);
    });

    it('answers JobNotFoundException to an unknown job', async () => {
      await expect(
        client.send(new PutJobSuccessResultCommand({ jobId: UNKNOWN_JOB })),
      ).rejects.toBeInstanceOf(JobNotFoundException);
    });

    it.each<[string, Partial<PutJobSuccessResultCommandInput>, RegExp]>([
      ['a 2049-character continuation token', { continuationToken: 't'.repeat(2049) }, /2048/],
      ['an empty continuation token', { continuationToken: '' }, /continuationToken/],
      [
        'a revision without changeIdentifier',
        { currentRevision: { revision: 'r' } as never },
        /currentRevision.changeIdentifier' failed.*not be null/,
      ],
      [
        'a 1501-character revision',
        { currentRevision: { revision: 'r'.repeat(1501), changeIdentifier: 'c' } },
        /currentRevision.revision.*1500/,
      ],
      [
        'a 101-character changeIdentifier',
        { currentRevision: { revision: 'r', changeIdentifier: 'c'.repeat(101) } },
        /changeIdentifier.*100/,
      ],
      [
        'a 2049-character revision summary',
        {
          currentRevision: {
            revision: 'r',
            changeIdentifier: 'c',
            revisionSummary: 's'.repeat(2049),
          },
        },
        /revisionSummary/,
      ],
      [
        'percentComplete 101',
        { executionDetails: { percentComplete: 101 } },
        /less than or equal to 100/,
      ],
      [
        'percentComplete -1',
        { executionDetails: { percentComplete: -1 } },
        /greater than or equal to 0/,
      ],
      ['a 2049-character summary', { executionDetails: { summary: 's'.repeat(2049) } }, /summary/],
      [
        'a 1501-character external execution id',
        { executionDetails: { externalExecutionId: 'x'.repeat(1501) } },
        /externalExecutionId/,
      ],
      ['an output variable key with a space', { outputVariables: { 'a b': 'v' } }, /Map keys/],
      [
        'output variables together with a continuation token',
        { outputVariables: { A: '1' }, continuationToken: 'more' },
        /outputVariables can only be set on a result without a continuationToken/,
      ],
    ])('answers ValidationException to %s', async (_name, change, message) => {
      const jobId = await inProgressJob();

      const attempt = client.send(new PutJobSuccessResultCommand({ jobId, ...change }));

      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
      await expect(attempt).rejects.toThrow(message);
      expect(emulator.getJob(jobId)?.status).toBe('InProgress');
    });

    it('answers ValidationException to a job id that is no UUID', async () => {
      await expect(
        client.send(new PutJobSuccessResultCommand({ jobId: 'abc' })),
      ).rejects.toBeInstanceOf(ValidationException);
    });

    it('answers OutputVariablesSizeExceededException above 122,880 bytes and keeps the job InProgress', async () => {
      const jobId = await inProgressJob();
      const tooBig = { A: 'x'.repeat(122_880) };
      const exact = { A: 'x'.repeat(122_879) };

      const attempt = client.send(
        new PutJobSuccessResultCommand({ jobId, outputVariables: tooBig }),
      );
      await expect(attempt).rejects.toBeInstanceOf(OutputVariablesSizeExceededException);
      const statusAfterRefusal = emulator.getJob(jobId)?.status;
      await client.send(new PutJobSuccessResultCommand({ jobId, outputVariables: exact }));

      expect(statusAfterRefusal).toBe('InProgress');
      expect(emulator.getJob(jobId)?.status).toBe('Succeeded');
    });
  });

  describe('PutJobFailureResult', () => {
    const failure = { type: 'JobFailed', message: 'bake interrupted' } as const;

    it('fails an InProgress job and keeps the failure details', async () => {
      const jobId = await inProgressJob();

      await client.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: { ...failure, externalExecutionId: 'x1' },
        }),
      );

      const view = emulator.getJob(jobId);
      expect(view?.status).toBe('Failed');
      expect(view?.results.at(-1)?.request).toEqual({
        failureDetails: { ...failure, externalExecutionId: 'x1' },
      });
    });

    it('answers InvalidJobStateException to a job that is not InProgress', async () => {
      const job = await dispatchedJob();

      const attempt = client.send(
        new PutJobFailureResultCommand({ jobId: job.id, failureDetails: failure }),
      );

      await expect(attempt).rejects.toBeInstanceOf(InvalidJobStateException);
    });

    it('answers JobNotFoundException to an unknown job', async () => {
      const attempt = client.send(
        new PutJobFailureResultCommand({ jobId: UNKNOWN_JOB, failureDetails: failure }),
      );

      await expect(attempt).rejects.toBeInstanceOf(JobNotFoundException);
    });

    it.each<[string, Partial<PutJobFailureResultCommandInput>, RegExp]>([
      ['no failureDetails', { failureDetails: undefined }, /failureDetails' failed.*not be null/],
      [
        'an unknown type',
        { failureDetails: { ...failure, type: 'Oops' as never } },
        /enum value set/,
      ],
      [
        'an empty message',
        { failureDetails: { ...failure, message: '' } },
        /failureDetails.message/,
      ],
      [
        'a 5001-character message',
        { failureDetails: { ...failure, message: 'm'.repeat(5001) } },
        /5000/,
      ],
      [
        'no message',
        { failureDetails: { type: 'JobFailed' } as never },
        /message' failed.*not be null/,
      ],
      [
        'a 1501-character external execution id',
        { failureDetails: { ...failure, externalExecutionId: 'x'.repeat(1501) } },
        /1500/,
      ],
    ])('answers ValidationException to %s', async (_name, change, message) => {
      const jobId = await inProgressJob();

      const attempt = client.send(
        new PutJobFailureResultCommand({ jobId, failureDetails: failure, ...change }),
      );

      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
      await expect(attempt).rejects.toThrow(message);
    });
  });

  describe('GetJobDetails', () => {
    it('returns the job data again with fresh artifact credentials', async () => {
      const job = await dispatchedJob({ BakeTimeSeconds: '7' });

      const { jobDetails } = await client.send(new GetJobDetailsCommand({ jobId: job.id }));

      expect(jobDetails?.id).toBe(job.id);
      expect(jobDetails?.accountId).toBe(emulator.accountId);
      expect(jobDetails?.data?.actionConfiguration).toEqual(job.data?.actionConfiguration);
      expect(jobDetails?.data?.pipelineContext).toEqual(job.data?.pipelineContext);
      expect(jobDetails?.data?.artifactCredentials?.accessKeyId).not.toBe(
        job.data?.artifactCredentials?.accessKeyId,
      );
    });

    it('answers JobNotFoundException to an unknown job', async () => {
      await expect(
        client.send(new GetJobDetailsCommand({ jobId: UNKNOWN_JOB })),
      ).rejects.toBeInstanceOf(JobNotFoundException);
    });

    it('answers ValidationException to a job id that is no UUID', async () => {
      await expect(client.send(new GetJobDetailsCommand({ jobId: 'x' }))).rejects.toBeInstanceOf(
        ValidationException,
      );
    });
  });
});
