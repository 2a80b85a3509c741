import { setTimeout as sleep } from 'node:timers/promises';
import {
  AcknowledgeJobCommand,
  type CodePipelineClient,
  InvalidJobStateException,
  InvalidNonceException,
  type Job,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
  ValidationException,
} from '@aws-sdk/client-codepipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import {
  BAKE_ACTION,
  BAKE_ID,
  JENKINS_ACTION,
  JENKINS_ID,
  manualClock,
  sdkClient,
} from '../helpers/emulator.js';

const HOUR = 60 * 60 * 1000;

describe('job lifecycle', () => {
  const clock = manualClock();
  let emulator: RunningEmulator;
  let client: CodePipelineClient;

  beforeAll(async () => {
    emulator = await startEmulator({ now: clock.now, actionTypes: [BAKE_ACTION, JENKINS_ACTION] });
    client = sdkClient(emulator);
  });
  beforeEach(() => emulator.reset());
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  async function poll(maxBatchSize = 1): Promise<Job[]> {
    const { jobs } = await client.send(
      new PollForJobsCommand({ actionTypeId: BAKE_ID, maxBatchSize }),
    );
    return jobs ?? [];
  }

  async function pollOne(): Promise<{ id: string; nonce: string; job: Job }> {
    const [job] = await poll();
    if (!job?.id || !job.nonce) throw new Error('expected a job');
    return { id: job.id, nonce: job.nonce, job };
  }

  const ack = (jobId: string, nonce: string) =>
    client.send(new AcknowledgeJobCommand({ jobId, nonce }));

  function enqueue(seconds = '5'): string {
    return emulator.enqueueJob({
      actionTypeId: BAKE_ID,
      configuration: { BakeTimeSeconds: seconds },
    });
  }

  describe('dispatch timeout', () => {
    it('queues an unacknowledged job again after 30 s, with a new nonce', async () => {
      const jobId = enqueue();
      const first = await pollOne();
      const beforeTimeout = await poll();

      clock.advance(30_000);
      const staleAck = ack(jobId, first.nonce);
      await expect(staleAck).rejects.toBeInstanceOf(InvalidNonceException);
      const second = await pollOne();
      const { status } = await ack(jobId, second.nonce);

      expect(beforeTimeout).toEqual([]);
      expect(second.id).toBe(jobId);
      expect(second.nonce).not.toBe(first.nonce);
      expect(status).toBe('InProgress');
      const view = emulator.getJob(jobId);
      expect(view?.nonces.map((n) => n.nonce)).toEqual([first.nonce, second.nonce]);
      expect(view?.events.map((e) => e.type)).toEqual([
        'created',
        'dispatched',
        'requeued',
        'dispatched',
        'acknowledged',
      ]);
      expect(view?.acknowledgements.map((a) => [a.nonce, a.outcome])).toEqual([
        [first.nonce, 'InvalidNonceException'],
        [second.nonce, 'InProgress'],
      ]);
    });

    it('accepts the acknowledgement just before the timeout', async () => {
      const jobId = enqueue();
      const { nonce } = await pollOne();

      clock.advance(29_999);
      const { status } = await ack(jobId, nonce);

      expect(status).toBe('InProgress');
    });

    it('honours a configured dispatch timeout', async () => {
      const fast = await startEmulator({
        now: clock.now,
        dispatchTimeoutMs: 1_000,
        actionTypes: [BAKE_ACTION],
      });
      const fastClient = sdkClient(fast);
      try {
        const jobId = fast.enqueueJob({
          actionTypeId: BAKE_ID,
          configuration: { BakeTimeSeconds: '1' },
        });
        await fastClient.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));

        clock.advance(1_000);
        const { jobs } = await fastClient.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));

        expect(jobs?.map((j) => j.id)).toEqual([jobId]);
        expect(fast.getJob(jobId)?.nonces).toHaveLength(2);
      } finally {
        fastClient.destroy();
        await fast.close();
      }
    });

    it('also works in real time', async () => {
      const realTime = await startEmulator({ dispatchTimeoutMs: 40, actionTypes: [BAKE_ACTION] });
      const realClient = sdkClient(realTime);
      try {
        realTime.enqueueJob({ actionTypeId: BAKE_ID, configuration: { BakeTimeSeconds: '1' } });
        const first = await realClient.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));

        await sleep(60);
        const second = await realClient.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));

        expect(second.jobs?.[0]?.id).toBe(first.jobs?.[0]?.id);
        expect(second.jobs?.[0]?.nonce).not.toBe(first.jobs?.[0]?.nonce);
      } finally {
        realClient.destroy();
        await realTime.close();
      }
    });
  });

  describe('acknowledgement', () => {
    it('answers InProgress again to a second acknowledgement with the current nonce', async () => {
      const jobId = enqueue();
      const { nonce } = await pollOne();

      const first = await ack(jobId, nonce);
      const second = await ack(jobId, nonce);

      expect([first.status, second.status]).toEqual(['InProgress', 'InProgress']);
      expect(emulator.getJob(jobId)?.events.filter((e) => e.type === 'acknowledged')).toHaveLength(
        1,
      );
    });

    it('does not re-dispatch an acknowledged job', async () => {
      const jobId = enqueue();
      const { nonce } = await pollOne();
      await ack(jobId, nonce);

      clock.advance(HOUR);
      const jobs = await poll();

      expect(jobs).toEqual([]);
      expect(emulator.getJob(jobId)?.status).toBe('InProgress');
    });
  });

  describe('action timeout', () => {
    it('times out an acknowledged job not reported within 24 hours', async () => {
      const jobId = enqueue();
      const { nonce } = await pollOne();
      await ack(jobId, nonce);

      clock.advance(24 * HOUR - 1);
      const stillRunning = emulator.getJob(jobId)?.status;
      clock.advance(1);
      const { status } = await ack(jobId, nonce);
      const late = client.send(new PutJobSuccessResultCommand({ jobId }));

      expect(stillRunning).toBe('InProgress');
      expect(status).toBe('TimedOut');
      await expect(late).rejects.toBeInstanceOf(InvalidJobStateException);
      expect(emulator.getJob(jobId)?.events.at(-1)?.type).toBe('timed-out');
    });

    it('honours a configured action timeout', async () => {
      const short = await startEmulator({
        now: clock.now,
        actionTimeoutMs: 5_000,
        actionTypes: [BAKE_ACTION],
      });
      const shortClient = sdkClient(short);
      try {
        const jobId = short.enqueueJob({
          actionTypeId: BAKE_ID,
          configuration: { BakeTimeSeconds: '1' },
        });
        const { jobs } = await shortClient.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
        await shortClient.send(new AcknowledgeJobCommand({ jobId, nonce: jobs?.[0]?.nonce }));

        clock.advance(5_000);

        expect(short.getJob(jobId)?.status).toBe('TimedOut');
      } finally {
        shortClient.destroy();
        await short.close();
      }
    });
  });

  describe('results', () => {
    it('continues a job: the success completes it and queues a new job carrying the token', async () => {
      const jobId = enqueue('600');
      const first = await pollOne();
      await ack(jobId, first.nonce);

      await client.send(new PutJobSuccessResultCommand({ jobId, continuationToken: 'waited:60' }));
      const next = await pollOne();

      expect(emulator.getJob(jobId)?.status).toBe('Succeeded');
      expect(next.id).not.toBe(jobId);
      expect(next.nonce).not.toBe(first.nonce);
      expect(next.job.data?.continuationToken).toBe('waited:60');
      expect(next.job.data?.pipelineContext).toEqual(first.job.data?.pipelineContext);
      expect(next.job.data?.actionConfiguration).toEqual(first.job.data?.actionConfiguration);
      expect(emulator.getJob(jobId)?.continuationJobId).toBe(next.id);
      expect(emulator.getJob(next.id)?.continuationOf).toBe(jobId);
    });

    it('fails a job and answers Failed to its nonce afterwards', async () => {
      const jobId = enqueue();
      const { nonce } = await pollOne();
      await ack(jobId, nonce);

      await client.send(
        new PutJobFailureResultCommand({
          jobId,
          failureDetails: {
            type: 'ConfigurationError',
            message: 'BakeTimeSeconds is not a number',
          },
        }),
      );
      const { status } = await ack(jobId, nonce);

      expect(status).toBe('Failed');
      expect(emulator.getJob(jobId)?.events.at(-1)?.type).toBe('failed');
    });

    it('records every result call in order with its outcome, refused ones included', async () => {
      const jobId = enqueue();
      const { nonce } = await pollOne();
      const early = client.send(new PutJobSuccessResultCommand({ jobId }));
      await expect(early).rejects.toBeInstanceOf(InvalidJobStateException);
      await ack(jobId, nonce);
      const invalid = client.send(
        new PutJobSuccessResultCommand({ jobId, executionDetails: { percentComplete: 200 } }),
      );
      await expect(invalid).rejects.toBeInstanceOf(ValidationException);

      clock.advance(5);
      await client.send(
        new PutJobSuccessResultCommand({ jobId, executionDetails: { summary: 'ok' } }),
      );

      const results = emulator.getJob(jobId)?.results ?? [];
      expect(results.map((r) => [r.operation, r.outcome])).toEqual([
        ['PutJobSuccessResult', 'InvalidJobStateException'],
        ['PutJobSuccessResult', 'ValidationException'],
        ['PutJobSuccessResult', 'Succeeded'],
      ]);
      expect(results[2]?.request).toEqual({ executionDetails: { summary: 'ok' } });
      expect(Date.parse(results[2]?.at ?? '') - Date.parse(results[1]?.at ?? '')).toBe(5);
    });
  });

  describe('queues', () => {
    it('hands out jobs in the order they were queued', async () => {
      const ids = [enqueue('1'), enqueue('2'), enqueue('3')];

      const jobs = await poll(3);

      expect(jobs.map((j) => j.id)).toEqual(ids);
    });

    it('filters on the queryable property with queryParam', async () => {
      const web = emulator.enqueueJob({
        actionTypeId: JENKINS_ID,
        configuration: { ProjectName: 'web' },
      });
      const api = emulator.enqueueJob({
        actionTypeId: JENKINS_ID,
        configuration: { ProjectName: 'api' },
      });
      const pollFor = (project: string) =>
        client.send(
          new PollForJobsCommand({
            actionTypeId: JENKINS_ID,
            maxBatchSize: 10,
            queryParam: { ProjectName: project },
          }),
        );

      const apiJobs = await pollFor('api');
      const webJobs = await pollFor('web');
      const none = await pollFor('docs');

      expect(apiJobs.jobs?.map((j) => j.id)).toEqual([api]);
      expect(webJobs.jobs?.map((j) => j.id)).toEqual([web]);
      expect(none.jobs).toEqual([]);
    });

    it.each([
      ['no queryParam for a type with a queryable property', JENKINS_ID, undefined],
      ['a key that is not the queryable property', JENKINS_ID, { Branch: 'main' }],
      ['a queryParam for a type without a queryable property', BAKE_ID, { BakeTimeSeconds: '5' }],
    ])('answers ValidationException to %s', async (_name, actionTypeId, queryParam) => {
      const attempt = client.send(new PollForJobsCommand({ actionTypeId, queryParam }));

      await expect(attempt).rejects.toBeInstanceOf(ValidationException);
    });

    it('dispatches each job once to many concurrent pollers', async () => {
      const ids = Array.from({ length: 10 }, (_, i) => enqueue(`${i}`));

      const batches = await Promise.all(Array.from({ length: 20 }, () => poll()));

      const dispatched = batches.flat().map((j) => j.id);
      expect(dispatched.sort()).toEqual([...ids].sort());
    });
  });
});
