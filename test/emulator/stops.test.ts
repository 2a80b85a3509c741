/**
 * Stopped executions, superseded executions and timed-out actions, as CodePipeline lives them,
 * driven through the real AWS SDK client, and the action execution events they emit.
 */
import {
  AcknowledgeJobCommand,
  type CodePipelineClient,
  InvalidJobStateException,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ActionExecutionEvent,
  EmulatorInputError,
  type RunningEmulator,
  startEmulator,
} from '../../local/emulator/index.js';
import { startS3Server } from '../../local/s3/index.js';
import { BAKE_ACTION, BAKE_ID, manualClock, rawFetch, sdkClient } from '../helpers/emulator.js';

const HOUR = 60 * 60 * 1000;
const EXECUTION_ID = '11111111-2222-4333-8444-555555555555';

describe('execution stops', () => {
  const clock = manualClock();
  let emulator: RunningEmulator;
  let client: CodePipelineClient;

  beforeAll(async () => {
    emulator = await startEmulator({ now: clock.now, actionTypes: [BAKE_ACTION] });
    client = sdkClient(emulator);
  });
  beforeEach(() => emulator.reset());
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  function enqueue(pipelineExecutionId = EXECUTION_ID): string {
    return emulator.enqueueJob({
      actionTypeId: BAKE_ID,
      configuration: { BakeTimeSeconds: '5' },
      pipelineContext: {
        pipelineName: 'checkout',
        stage: { name: 'Prod' },
        action: { name: 'Bake' },
        pipelineExecutionId,
      },
    });
  }

  async function poll() {
    const { jobs } = await client.send(new PollForJobsCommand({ actionTypeId: BAKE_ID }));
    return jobs ?? [];
  }

  /** Polls and acknowledges the next job: the processor would now be running. */
  async function start(): Promise<{ id: string; nonce: string }> {
    const [job] = await poll();
    if (!job?.id || !job.nonce) throw new Error('expected a job');
    await client.send(new AcknowledgeJobCommand({ jobId: job.id, nonce: job.nonce }));
    return { id: job.id, nonce: job.nonce };
  }

  const succeed = (jobId: string, continuationToken?: string) =>
    client.send(
      new PutJobSuccessResultCommand({
        jobId,
        ...(continuationToken ? { continuationToken } : {}),
      }),
    );

  const states = () => emulator.events().map((event) => event.detail.state);

  describe('stop with abandon', () => {
    it('refuses the running job’s report with InvalidJobStateException and emits ABANDONED', async () => {
      enqueue();
      const running = await start();

      emulator.stopExecution(EXECUTION_ID, { abandon: true });
      const report = succeed(running.id);

      await expect(report).rejects.toBeInstanceOf(InvalidJobStateException);
      const failure = client.send(
        new PutJobFailureResultCommand({
          jobId: running.id,
          failureDetails: { type: 'JobFailed', message: 'late' },
        }),
      );
      await expect(failure).rejects.toBeInstanceOf(InvalidJobStateException);
      expect(states()).toEqual(['STARTED', 'ABANDONED']);
      const view = emulator.getJob(running.id);
      expect(view).toMatchObject({
        status: 'Failed',
        stopped: { how: 'abandoned' },
        executionStop: { mode: 'abandon' },
      });
      expect(view?.results.map((r) => r.outcome)).toEqual([
        'InvalidJobStateException',
        'InvalidJobStateException',
      ]);
    });

    it('answers AcknowledgeJob with a status other than InProgress for a dispatched job', async () => {
      enqueue();
      const [dispatched] = await poll();

      emulator.stopExecution(EXECUTION_ID, { abandon: true });
      const { status } = await client.send(
        new AcknowledgeJobCommand({ jobId: dispatched?.id, nonce: dispatched?.nonce }),
      );

      expect(status).toBe('Failed');
    });

    it('never hands out the queued continuation of the execution', async () => {
      enqueue();
      const first = await start();
      await succeed(first.id, 'step-1');
      const continuation = emulator.getJob(first.id)?.continuationJobId ?? '';

      emulator.stopExecution(EXECUTION_ID, { abandon: true });
      const polled = await poll();
      clock.advance(HOUR);
      const later = await poll();

      expect(polled).toEqual([]);
      expect(later).toEqual([]);
      expect(emulator.getJob(continuation)).toMatchObject({
        status: 'Failed',
        stopped: { how: 'abandoned' },
        nonces: [],
      });
      expect(emulator.events().at(-1)?.detail).toMatchObject({
        state: 'ABANDONED',
        'action-execution-id': emulator.getJob(first.id)?.data.pipelineContext.action
          .actionExecutionId,
      });
    });

    it('leaves the jobs of other executions alone', async () => {
      enqueue();
      const other = enqueue('99999999-2222-4333-8444-555555555555');

      emulator.stopExecution(EXECUTION_ID, { abandon: true });
      const polled = await poll();

      expect(polled.map((job) => job.id)).toEqual([other]);
    });
  });

  describe('stop without abandon', () => {
    it('lets the running job report and its continuation run, and starts no new action', async () => {
      enqueue();
      const first = await start();

      emulator.stopExecution(EXECUTION_ID, { reason: 'holiday' });
      await succeed(first.id, 'step-1');
      const next = await start();
      await succeed(next.id);

      expect(() => enqueue()).toThrow(EmulatorInputError);
      expect(states()).toEqual(['STARTED', 'SUCCEEDED']);
      expect(emulator.getJob(next.id)).toMatchObject({
        status: 'Succeeded',
        stopped: null,
        executionStop: { mode: 'wait', reason: 'holiday' },
      });
    });

    it('may be followed by a stop with abandon, but not by a second stop without', async () => {
      enqueue();
      const running = await start();

      emulator.stopExecution(EXECUTION_ID);
      const again = () => emulator.stopExecution(EXECUTION_ID);

      expect(again).toThrow(/already stopped/);
      emulator.stopExecution(EXECUTION_ID, { abandon: true });
      await expect(succeed(running.id)).rejects.toBeInstanceOf(InvalidJobStateException);
      expect(() => emulator.stopExecution(EXECUTION_ID, { abandon: true })).toThrow(
        /already stopped/,
      );
    });
  });

  describe('refused stops', () => {
    it('refuses an unknown execution (404) and one that has ended (409)', async () => {
      enqueue();
      const job = await start();
      await succeed(job.id);

      const unknown = () => emulator.stopExecution('00000000-0000-4000-8000-000000000000');
      const ended = () => emulator.stopExecution(EXECUTION_ID, { abandon: true });

      expect(unknown).toThrow(expect.objectContaining({ statusCode: 404 }));
      expect(ended).toThrow(expect.objectContaining({ statusCode: 409 }));
    });
  });

  describe('supersede', () => {
    it('cancels the running job with a CANCELED event; its report is refused', async () => {
      enqueue();
      const running = await start();

      emulator.supersedeExecution(EXECUTION_ID);
      const report = succeed(running.id);

      await expect(report).rejects.toBeInstanceOf(InvalidJobStateException);
      expect(states()).toEqual(['STARTED', 'CANCELED']);
      expect(emulator.getJob(running.id)?.stopped?.how).toBe('canceled');
      expect(() => emulator.stopExecution(EXECUTION_ID)).toThrow(/superseded/);
    });
  });

  describe('action timeout', () => {
    it('times out the action at once with a FAILED event; reports are refused', async () => {
      enqueue();
      const running = await start();
      const actionExecutionId =
        emulator.getJob(running.id)?.data.pipelineContext.action.actionExecutionId ?? '';

      emulator.timeOutAction(actionExecutionId);
      const report = succeed(running.id);

      await expect(report).rejects.toBeInstanceOf(InvalidJobStateException);
      expect(states()).toEqual(['STARTED', 'FAILED']);
      expect(emulator.getJob(running.id)).toMatchObject({
        status: 'TimedOut',
        stopped: { how: 'timed-out' },
      });
      expect(() => emulator.timeOutAction(actionExecutionId)).toThrow(/has ended/);
    });

    it('emits FAILED, timed at the deadline, when the action timeout passes', async () => {
      enqueue();
      const running = await start();
      const acknowledgedAt = clock.now();

      clock.advance(25 * HOUR);
      await expect(succeed(running.id)).rejects.toBeInstanceOf(InvalidJobStateException);

      const failed = emulator.events().at(-1);
      expect(failed?.detail.state).toBe('FAILED');
      expect(failed?.time).toBe(new Date(acknowledgedAt + 24 * HOUR).toISOString());
      expect(states()).toEqual(['STARTED', 'FAILED']);
    });
  });

  describe('events', () => {
    it('have the shape EventBridge delivers: STARTED when queued, SUCCEEDED at the end', async () => {
      const jobId = enqueue();
      const job = await start();
      await succeed(job.id, 'step-1');
      const next = await start();
      await succeed(next.id);

      const [started, succeeded] = emulator.events();
      const context = emulator.getJob(jobId)?.data.pipelineContext;
      expect(emulator.events()).toHaveLength(2);
      expect(started).toEqual({
        version: '0',
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        'detail-type': 'CodePipeline Action Execution State Change',
        source: 'aws.codepipeline',
        account: emulator.accountId,
        time: new Date(clock.now()).toISOString(),
        region: 'us-east-1',
        resources: [context?.pipelineArn],
        detail: {
          pipeline: 'checkout',
          'execution-id': EXECUTION_ID,
          'action-execution-id': context?.action.actionExecutionId,
          stage: 'Prod',
          action: 'Bake',
          state: 'STARTED',
          region: 'us-east-1',
          type: BAKE_ID,
          version: 1,
        },
      });
      expect(succeeded?.detail.state).toBe('SUCCEEDED');
      expect(succeeded?.id).not.toBe(started?.id);
    });

    it('emits FAILED when the job reports a failure', async () => {
      enqueue();
      const job = await start();

      await client.send(
        new PutJobFailureResultCommand({
          jobId: job.id,
          failureDetails: { type: 'JobFailed', message: 'no' },
        }),
      );

      expect(states()).toEqual(['STARTED', 'FAILED']);
    });

    it('calls listeners before the call that caused the event is answered, until unsubscribed', async () => {
      const seen: ActionExecutionEvent[] = [];
      const unsubscribe = emulator.onEvent((event) => seen.push(event));
      enqueue();
      const running = await start();

      emulator.stopExecution(EXECUTION_ID, { abandon: true });
      const seenAtStop = seen.map((event) => event.detail.state);
      unsubscribe();
      enqueue('99999999-2222-4333-8444-555555555555');

      expect(seenAtStop).toEqual(['STARTED', 'ABANDONED']);
      expect(seen).toHaveLength(2);
      expect(running.id).toBeDefined();
    });

    it('tells job listeners of a continuation before the report that queued it is answered', async () => {
      const created: string[] = [];
      const unsubscribe = emulator.onJobEvent((jobId, event) => {
        if (event.type === 'created') created.push(jobId);
      });
      enqueue();
      const first = await start();

      await succeed(first.id, 'step-1');
      unsubscribe();

      expect(created).toEqual([first.id, emulator.getJob(first.id)?.continuationJobId]);
    });

    it('are forgotten on reset', async () => {
      enqueue();

      emulator.reset();

      expect(emulator.events()).toEqual([]);
    });
  });

  describe('admin API', () => {
    const admin = (path: string, body?: unknown) =>
      rawFetch(`${emulator.url}/emulator${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    it('stops, supersedes and times out, and lists the events', async () => {
      enqueue();
      const first = await start();
      const other = '99999999-2222-4333-8444-555555555555';
      enqueue(other);
      const third = '77777777-2222-4333-8444-555555555555';
      const thirdJob = enqueue(third);
      const thirdAction =
        emulator.getJob(thirdJob)?.data.pipelineContext.action.actionExecutionId ?? '';

      const stopped = await admin(`/executions/${EXECUTION_ID}/stop`, { abandon: true });
      const superseded = await admin(`/executions/${other}/supersede`, {});
      const timedOut = await admin(`/action-executions/${thirdAction}/timeout`, {});
      const events = await admin('/events');

      expect([stopped.status, superseded.status, timedOut.status]).toEqual([200, 200, 200]);
      expect(stopped.json).toEqual({ pipelineExecutionId: EXECUTION_ID });
      expect(emulator.getJob(first.id)?.stopped?.how).toBe('abandoned');
      const list = events.json.events as ActionExecutionEvent[];
      expect(list.map((event) => event.detail.state)).toEqual([
        'STARTED',
        'STARTED',
        'STARTED',
        'ABANDONED',
        'CANCELED',
        'FAILED',
      ]);
    });

    it('answers 409 Conflict for a repeated stop, 404 for an unknown execution, 400 for a bad body', async () => {
      enqueue();
      await admin(`/executions/${EXECUTION_ID}/stop`, { abandon: true });

      const repeated = await admin(`/executions/${EXECUTION_ID}/stop`, { abandon: true });
      const unknown = await admin('/executions/00000000-0000-4000-8000-000000000000/stop', {});
      const bad = await admin(`/executions/${EXECUTION_ID}/stop`, { abandon: 'yes' });

      expect([repeated.status, repeated.json.error]).toEqual([409, 'Conflict']);
      expect([unknown.status, unknown.json.error]).toEqual([404, 'NotFound']);
      expect([bad.status, bad.json.error]).toEqual([400, 'BadRequest']);
    });
  });

  it('emits STARTED for a job with stored inputs only once it is queued', async () => {
    const s3 = await startS3Server();
    const stored = await startEmulator({ actionTypes: [BAKE_ACTION], artifactStore: s3 });
    try {
      const jobId = stored.enqueueJob({
        actionTypeId: BAKE_ID,
        configuration: { BakeTimeSeconds: '5' },
        inputArtifacts: [{ name: 'Source', files: { 'a.txt': 'a' } }],
      });
      const whileWriting = stored.events().length;

      await stored.whenQueued(jobId);

      expect(whileWriting).toBe(0);
      expect(stored.events().map((event) => event.detail.state)).toEqual(['STARTED']);
    } finally {
      await stored.close();
      await s3.close();
    }
  });
});
