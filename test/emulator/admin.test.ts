import {
  type CodePipelineClient,
  GetJobDetailsCommand,
  PollForJobsCommand,
} from '@aws-sdk/client-codepipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import {
  BAKE_ACTION,
  BAKE_ID,
  JENKINS_ACTION,
  JENKINS_ID,
  JOB_ID_PATTERN,
  rawFetch,
  sdkClient,
} from '../helpers/emulator.js';

describe('admin API', () => {
  let emulator: RunningEmulator;
  let client: CodePipelineClient;

  const admin = (path: string, method = 'GET', body?: unknown) =>
    rawFetch(`${emulator.url}/emulator${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });

  beforeAll(async () => {
    emulator = await startEmulator({ actionTypes: [BAKE_ACTION, JENKINS_ACTION] });
    client = sdkClient(emulator);
  });
  beforeEach(() => emulator.reset());
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  it('answers health checks', async () => {
    const response = await admin('/health');

    expect(response.status).toBe(200);
    expect(response.json).toEqual({ ok: true });
  });

  describe('action types', () => {
    it('registers an action type without SigV4 and lists it', async () => {
      const created = await admin('/action-types', 'POST', { ...BAKE_ACTION, provider: 'Other' });
      const listed = await admin('/action-types');

      expect(created.status).toBe(201);
      expect(created.json.actionType).toMatchObject({ id: { owner: 'Custom', provider: 'Other' } });
      const providers = (listed.json.actionTypes as Array<{ id: { provider: string } }>).map(
        (t) => t.id.provider,
      );
      expect(providers).toContain('Other');
    });

    it('refuses an invalid action type with 400', async () => {
      const response = await admin('/action-types', 'POST', { ...BAKE_ACTION, version: '' });

      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({
        error: 'BadRequest',
        message: expect.stringMatching(/version/),
      });
    });
  });

  describe('jobs', () => {
    it('queues a job and shows it in the job list and its history', async () => {
      const created = await admin('/jobs', 'POST', {
        actionTypeId: BAKE_ID,
        configuration: { BakeTimeSeconds: '30' },
      });
      const jobId = created.json.jobId as string;
      const list = await admin('/jobs');
      const view = await admin(`/jobs/${jobId}`);

      expect(created.status).toBe(201);
      expect(jobId).toMatch(JOB_ID_PATTERN);
      expect(list.json.jobs).toEqual([
        expect.objectContaining({ jobId, status: 'Queued', dispatchCount: 0, currentNonce: null }),
      ]);
      expect(view.json).toMatchObject({
        jobId,
        status: 'Queued',
        nonces: [],
        acknowledgements: [],
        results: [],
        continuationJobId: null,
        data: { actionConfiguration: { configuration: { BakeTimeSeconds: '30' } } },
      });
    });

    it('uses the given pipeline context, artifacts and encryption key', async () => {
      const created = await admin('/jobs', 'POST', {
        actionTypeId: JENKINS_ID,
        configuration: { ProjectName: 'web' },
        pipelineContext: { pipelineName: 'release', stage: { name: 'QA' } },
        inputArtifacts: [{ name: 'App', revision: 'abc123' }],
        continuationToken: 'resume-here',
        encryptionKey: null,
      });
      const { jobs } = await client.send(
        new PollForJobsCommand({ actionTypeId: JENKINS_ID, queryParam: { ProjectName: 'web' } }),
      );

      const data = jobs?.[0]?.data;
      expect(jobs?.[0]?.id).toBe(created.json.jobId);
      expect(data?.pipelineContext).toMatchObject({
        pipelineName: 'release',
        stage: { name: 'QA' },
        action: { name: 'JenkinsProviderName' },
        pipelineArn: `arn:aws:codepipeline:us-east-1:${emulator.accountId}:release`,
      });
      expect(data?.inputArtifacts).toEqual([
        {
          name: 'App',
          revision: 'abc123',
          location: {
            type: 'S3',
            s3Location: {
              bucketName: `codepipeline-us-east-1-${emulator.accountId}`,
              objectKey: expect.stringMatching(/^release\/App\/[a-z0-9]{7}$/),
            },
          },
        },
      ]);
      expect(data?.continuationToken).toBe('resume-here');
      expect(data?.encryptionKey).toBeUndefined();
    });

    it.each([
      [404, 'an unknown action type', { actionTypeId: { ...BAKE_ID, version: '9' } }, /no such/],
      [
        404,
        'an AWS-owned action type',
        { actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' } },
        /no such custom/,
      ],
      [
        400,
        'an invalid action type id',
        { actionTypeId: { ...BAKE_ID, provider: '' } },
        /provider/,
      ],
      [
        400,
        'a missing required property',
        { actionTypeId: BAKE_ID, configuration: {} },
        /'BakeTimeSeconds' is missing/,
      ],
      [
        400,
        'an undeclared property',
        { actionTypeId: BAKE_ID, configuration: { BakeTimeSeconds: '1', Colour: 'red' } },
        /unknown configuration property 'Colour'/,
      ],
      [
        400,
        'a 1001-character value',
        { actionTypeId: BAKE_ID, configuration: { BakeTimeSeconds: 'x'.repeat(1001) } },
        /1-1000/,
      ],
      [
        400,
        'a 21-character queryable value',
        { actionTypeId: JENKINS_ID, configuration: { ProjectName: 'p'.repeat(21) } },
        /at most 20 characters/,
      ],
      [
        400,
        'more artifacts than the type takes',
        {
          actionTypeId: BAKE_ID,
          configuration: { BakeTimeSeconds: '1' },
          inputArtifacts: [{ name: 'A' }, { name: 'B' }],
        },
        /takes 0-1 input artifacts, got 2/,
      ],
      [
        400,
        'an invalid artifact name',
        {
          actionTypeId: BAKE_ID,
          configuration: { BakeTimeSeconds: '1' },
          inputArtifacts: [{ name: 'a b' }],
        },
        /artifact name/,
      ],
      [
        400,
        'a 2049-character continuation token',
        {
          actionTypeId: BAKE_ID,
          configuration: { BakeTimeSeconds: '1' },
          continuationToken: 't'.repeat(2049),
        },
        /continuationToken/,
      ],
      [
        400,
        'a configuration that is not a map of strings',
        { actionTypeId: BAKE_ID, configuration: { BakeTimeSeconds: 5 } },
        /BakeTimeSeconds/,
      ],
    ])('answers %i to %s', async (status, _name, body, message) => {
      const response = await admin('/jobs', 'POST', body);

      expect(response.status).toBe(status);
      expect(response.json.message).toMatch(message);
    });

    it('answers 404 to an unknown job', async () => {
      const response = await admin('/jobs/00000000-0000-4000-8000-000000000000');

      expect(response.status).toBe(404);
      expect(response.json.error).toBe('NotFound');
    });
  });

  it('lists every secret handed out: artifact credentials and secret configuration values', async () => {
    const jobId = emulator.enqueueJob({
      actionTypeId: BAKE_ID,
      configuration: { BakeTimeSeconds: '1', NotifyToken: 'hunter2-token' },
    });
    const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
    const { jobDetails } = await client.send(new GetJobDetailsCommand({ jobId }));

    const response = await admin('/secrets');

    const polled = jobs?.[0]?.data?.artifactCredentials;
    const detailed = jobDetails?.data?.artifactCredentials;
    expect(response.json.values).toEqual(
      expect.arrayContaining([
        polled?.accessKeyId,
        polled?.secretAccessKey,
        polled?.sessionToken,
        detailed?.sessionToken,
        'hunter2-token',
      ]),
    );
    expect(response.json.values).not.toContain('1');
    expect(
      (response.json.issued as Array<{ source: string; kind: string }>).map((i) => [
        i.source,
        i.kind,
      ]),
    ).toEqual([
      ['PollForJobs', 'artifactCredentials'],
      ['PollForJobs', 'secretConfiguration'],
      ['GetJobDetails', 'artifactCredentials'],
      ['GetJobDetails', 'secretConfiguration'],
    ]);
  });

  it('moves the job clock forward, timing out a dispatch', async () => {
    const jobId = emulator.enqueueJob({
      actionTypeId: BAKE_ID,
      configuration: { BakeTimeSeconds: '1' },
    });
    await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
    const before = await admin('/time');

    const advanced = await admin('/time', 'POST', { advanceMs: 30_000 });
    const view = await admin(`/jobs/${jobId}`);

    expect(
      Date.parse(advanced.json.now as string) - Date.parse(before.json.now as string),
    ).toBeGreaterThanOrEqual(30_000);
    expect(view.json).toMatchObject({ status: 'Queued', currentNonce: null });
  });

  it('counts calls and outcomes per operation', async () => {
    await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
    await client
      .send(new PollForJobsCommand({ actionTypeId: { ...BAKE_ID, version: '9' } }))
      .catch(() => {});

    const response = await admin('/stats');

    expect(response.json).toEqual({
      calls: { PollForJobs: 2 },
      outcomes: { PollForJobs: { 200: 1, ActionTypeNotFoundException: 1 } },
      faults: {},
    });
  });

  it('resets to the state right after start', async () => {
    await admin('/action-types', 'POST', { ...BAKE_ACTION, provider: 'Temporary' });
    emulator.enqueueJob({ actionTypeId: BAKE_ID, configuration: { BakeTimeSeconds: '1' } });
    await admin('/faults', 'PUT', { throttleRate: 0.5 });

    const reset = await admin('/reset', 'POST');
    const jobs = await admin('/jobs');
    const types = await admin('/action-types');
    const faults = await admin('/faults');

    expect(reset.json).toEqual({ ok: true });
    expect(jobs.json.jobs).toEqual([]);
    const providers = (types.json.actionTypes as Array<{ id: { provider: string } }>).map(
      (t) => t.id.provider,
    );
    expect(providers).toContain('BakeTimeGate');
    expect(providers).not.toContain('Temporary');
    expect(faults.json.throttleRate).toBe(0);
  });

  it.each([
    ['an unknown route', '/nothing', 'GET', undefined, 404, 'NotFound'],
    ['a wrong method', '/jobs', 'DELETE', undefined, 405, 'MethodNotAllowed'],
    ['a body that is not JSON', '/jobs', 'POST', '{oops', 400, 'BadRequest'],
    ['a negative time step', '/time', 'POST', { advanceMs: -1 }, 400, 'BadRequest'],
  ])('answers %s with %i', async (_name, path, method, body, status, error) => {
    const response = await admin(path, method, body);

    expect(response.status).toBe(status);
    expect(response.json.error).toBe(error);
  });
});
