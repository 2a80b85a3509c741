import {
  AcknowledgeJobCommand,
  CodePipelineServiceException,
  InvalidJobStateException,
  ListActionTypesCommand,
  PollForJobsCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EmulatorOptions,
  type RunningEmulator,
  startEmulator,
} from '../../local/emulator/index.js';
import { BAKE_ACTION, BAKE_ID, rawFetch, retryingClient, sdkClient } from '../helpers/emulator.js';

describe('fault injection', () => {
  const running: RunningEmulator[] = [];

  async function start(options: EmulatorOptions = {}): Promise<RunningEmulator> {
    const emulator = await startEmulator({ actionTypes: [BAKE_ACTION], ...options });
    running.push(emulator);
    return emulator;
  }

  afterEach(async () => {
    await Promise.all(running.splice(0).map((e) => e.close()));
  });

  async function rejection(promise: Promise<unknown>): Promise<CodePipelineServiceException> {
    try {
      await promise;
    } catch (error) {
      if (error instanceof CodePipelineServiceException) return error;
      throw error;
    }
    throw new Error('expected the call to fail');
  }

  describe('throttling', () => {
    it('answers HTTP 400 ThrottlingException', async () => {
      const emulator = await start({ faults: { throttleRate: 1 } });
      const client = sdkClient(emulator);

      const error = await rejection(client.send(new ListActionTypesCommand({})));

      expect(error.name).toBe('ThrottlingException');
      expect(error.message).toBe('Rate exceeded');
      expect(error.$metadata.httpStatusCode).toBe(400);
      expect(emulator.stats().faults.ListActionTypes).toEqual({ throttling: 1 });
      client.destroy();
    });

    it('is retried by an SDK client with 3 attempts, which then succeeds', async () => {
      let emulator: RunningEmulator | undefined;
      emulator = await start({
        faults: { throttleRate: 1 },
        onRequest: (entry) => {
          if (entry.outcome === 'ThrottlingException') emulator?.setFaults({ throttleRate: 0 });
        },
      });
      const client = retryingClient(emulator);

      const output = await client.send(new ListActionTypesCommand({}));

      expect(output.$metadata.attempts).toBe(2);
      expect(emulator.stats().calls.ListActionTypes).toBe(2);
      expect(emulator.stats().outcomes.ListActionTypes).toEqual({ 200: 1, ThrottlingException: 1 });
      client.destroy();
    });

    it('gives up after 3 throttled attempts', async () => {
      const emulator = await start({ faults: { throttleRate: 1 } });
      const client = retryingClient(emulator);

      const error = await rejection(client.send(new ListActionTypesCommand({})));

      expect(error.name).toBe('ThrottlingException');
      expect(error.$metadata.attempts).toBe(3);
      expect(emulator.stats().faults.ListActionTypes?.throttling).toBe(3);
      client.destroy();
    });
  });

  describe('server errors', () => {
    it('answers HTTP 500 InternalFailure or 503 ServiceUnavailable, retried by the SDK', async () => {
      const emulator = await start({ faults: { errorRate: 1 } });
      const client = retryingClient(emulator);

      const error = await rejection(client.send(new ListActionTypesCommand({})));

      expect(['InternalFailure', 'ServiceUnavailable']).toContain(error.name);
      expect([500, 503]).toContain(error.$metadata.httpStatusCode);
      expect(error.$metadata.attempts).toBe(3);
      const faults = emulator.stats().faults.ListActionTypes ?? {};
      expect((faults.internalFailure ?? 0) + (faults.serviceUnavailable ?? 0)).toBe(3);
      client.destroy();
    });

    it('leaves no trace of a refused call: the job is not dispatched', async () => {
      const emulator = await start({ faults: { errorRate: 1, operations: ['PollForJobs'] } });
      const client = sdkClient(emulator);
      const jobId = emulator.enqueueJob({
        actionTypeId: BAKE_ID,
        configuration: { BakeTimeSeconds: '1' },
      });

      await rejection(client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID })));

      expect(emulator.getJob(jobId)?.status).toBe('Queued');
      client.destroy();
    });
  });

  describe('repeatability and scope', () => {
    async function outcomes(seed: number): Promise<string[]> {
      const emulator = await start({ faults: { throttleRate: 0.3, errorRate: 0.2, seed } });
      const client = sdkClient(emulator);
      const results: string[] = [];
      for (let i = 0; i < 20; i += 1) {
        results.push(
          await client.send(new ListActionTypesCommand({})).then(
            () => 'ok',
            (error: Error) => error.name,
          ),
        );
      }
      client.destroy();
      return results;
    }

    it('gives the same faults for the same seed', async () => {
      const first = await outcomes(7);
      const second = await outcomes(7);
      const other = await outcomes(8);

      expect(second).toEqual(first);
      expect(other).not.toEqual(first);
      expect(first).toContain('ok');
      expect(first).toContain('ThrottlingException');
    });

    it('applies faults only to the listed operations', async () => {
      const emulator = await start({ faults: { throttleRate: 1, operations: ['AcknowledgeJob'] } });
      const client = sdkClient(emulator);

      const poll = await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));

      expect(poll.jobs).toEqual([]);
      client.destroy();
    });

    it('adds latency to API calls', async () => {
      const emulator = await start({ faults: { latencyMs: 60 } });
      const client = sdkClient(emulator);

      const started = performance.now();
      await client.send(new ListActionTypesCommand({}));
      const elapsed = performance.now() - started;

      expect(elapsed).toBeGreaterThanOrEqual(55);
      expect(emulator.stats().faults.ListActionTypes).toEqual({ latency: 1 });
      client.destroy();
    });

    it('is switched at runtime through the admin API, never faulting the admin API itself', async () => {
      const emulator = await start();
      const client = sdkClient(emulator);

      const put = await rawFetch(`${emulator.url}/emulator/faults`, {
        method: 'PUT',
        body: JSON.stringify({ throttleRate: 1 }),
      });
      const adminStats = await rawFetch(`${emulator.url}/emulator/stats`, { method: 'GET' });
      const error = await rejection(client.send(new ListActionTypesCommand({})));

      expect(put.json).toMatchObject({ throttleRate: 1, errorRate: 0, seed: 1 });
      expect(adminStats.status).toBe(200);
      expect(error.name).toBe('ThrottlingException');
      client.destroy();
    });

    it.each([
      [{ throttleRate: 2 }, /throttleRate/],
      [{ errorRate: -0.1 }, /errorRate/],
      [{ latencyMs: 'slow' }, /latencyMs/],
      [{ operations: ['Nope'] }, /operations/],
      [{ seed: 1.5 }, /seed/],
    ])('refuses the fault configuration %j', async (patch, message) => {
      const emulator = await start();

      const response = await rawFetch(`${emulator.url}/emulator/faults`, {
        method: 'PUT',
        body: JSON.stringify(patch),
      });

      expect(response.status).toBe(400);
      expect(response.json.message).toMatch(message);
    });
  });

  describe('duplicate dispatch', () => {
    it('hands the same job and nonce to the next poller', async () => {
      const emulator = await start({ faults: { duplicateRate: 1 } });
      const client = sdkClient(emulator);
      const jobId = emulator.enqueueJob({
        actionTypeId: BAKE_ID,
        configuration: { BakeTimeSeconds: '1' },
      });
      const poll = () => client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));

      const first = await poll();
      const second = await poll();
      const third = await poll();

      expect(second.jobs?.[0]?.id).toBe(jobId);
      expect(second.jobs?.[0]?.nonce).toBe(first.jobs?.[0]?.nonce);
      expect(second.jobs?.[0]?.data?.artifactCredentials?.accessKeyId).not.toBe(
        first.jobs?.[0]?.data?.artifactCredentials?.accessKeyId,
      );
      expect(third.jobs).toEqual([]);
      expect(emulator.getJob(jobId)?.nonces).toEqual([
        expect.objectContaining({ nonce: first.jobs?.[0]?.nonce, deliveries: 2 }),
      ]);
      expect(emulator.stats().faults.PollForJobs).toEqual({ duplicateDispatch: 1 });
      client.destroy();
    });

    it('lets both holders acknowledge, and accepts only the first result', async () => {
      const emulator = await start({ faults: { duplicateRate: 1 } });
      const client = sdkClient(emulator);
      const jobId = emulator.enqueueJob({
        actionTypeId: BAKE_ID,
        configuration: { BakeTimeSeconds: '1' },
      });
      const a = (await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }))).jobs?.[0];
      const b = (await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }))).jobs?.[0];

      const ackA = await client.send(new AcknowledgeJobCommand({ jobId, nonce: a?.nonce }));
      const ackB = await client.send(new AcknowledgeJobCommand({ jobId, nonce: b?.nonce }));
      await client.send(new PutJobSuccessResultCommand({ jobId }));
      const second = client.send(new PutJobSuccessResultCommand({ jobId }));

      expect([ackA.status, ackB.status]).toEqual(['InProgress', 'InProgress']);
      await expect(second).rejects.toBeInstanceOf(InvalidJobStateException);
      client.destroy();
    });

    it('duplicates a seeded share of dispatches', async () => {
      const emulator = await start({ faults: { duplicateRate: 0.5, seed: 3 } });
      const client = sdkClient(emulator);
      for (let i = 0; i < 20; i += 1) {
        emulator.enqueueJob({ actionTypeId: BAKE_ID, configuration: { BakeTimeSeconds: `${i}` } });
      }

      const handedOut: string[] = [];
      for (let i = 0; i < 40; i += 1) {
        const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
        handedOut.push(...(jobs ?? []).map((j) => `${j.id}/${j.nonce}`));
      }

      const duplicates = handedOut.length - new Set(handedOut).size;
      expect(new Set(handedOut).size).toBe(20);
      expect(duplicates).toBe(emulator.stats().faults.PollForJobs?.duplicateDispatch);
      expect(duplicates).toBeGreaterThan(3);
      expect(duplicates).toBeLessThan(17);
      client.destroy();
    });
  });
});
