/**
 * Reliability, deadline: with a processor slower than the invocation's remaining time, every
 * job the worker took is reported before the invocation ends, and no job is taken (no
 * AcknowledgeJob sent) after the stop time, i.e. the deadline minus the margin.
 */
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { createCodePipelineClient } from '../../lambda/clients.js';
import { loadConfig } from '../../lambda/config.js';
import type { RunningEmulator } from '../../local/emulator/index.js';
import { setWorkerEnvironment } from '../../samples/local/worker-env.js';
import {
  type DynamoDbFaultProxy,
  startDynamoDbFaultProxy,
} from '../helpers/dynamodb-fault-proxy.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import { countingProcessor, never, scenarioHooks, sleep } from '../helpers/reliability.js';
import {
  processorRunsPerJob,
  recordFigures,
  resultsPerJob,
} from '../helpers/reliability-figures.js';
import { secretHits, tapOutput } from '../helpers/secret-scan.js';

const REMAINING_MS = 6_000;
const MARGIN_MS = 2_000;
const ENV = {
  DEADLINE_MARGIN_MS: String(MARGIN_MS),
  LEASE_GRACE_SECONDS: '0',
  CONCURRENCY: '4',
  BATCH_SIZE: '4',
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
};

/** Runs one invocation and returns its time bounds, as tight as the test can know them. */
async function timedInvocation(
  run: (context: ReturnType<typeof lambdaContext>) => Promise<unknown>,
) {
  const before = Date.now();
  const context = lambdaContext(REMAINING_MS);
  const after = Date.now();
  const summary = await run(context);
  return {
    summary,
    returnedAt: Date.now(),
    /** The invocation's end is at or after this instant. */
    deadline: before + REMAINING_MS,
    /** The worker's stop time is at or before this instant. */
    latestStop: after + REMAINING_MS - MARGIN_MS,
  };
}

/**
 * The worker's CodePipeline client as the handler builds it, noting when the worker sends each
 * AcknowledgeJob: at the call, in the tick in which the worker decided to take the job (the
 * emulator receives it later, by as much as the machine's load delays it).
 */
function observedClient(
  stack: LocalStack,
  env: Record<string, string>,
): { client: CodePipelineClient; acknowledgedAt: Map<string, number[]> } {
  setWorkerEnvironment(
    {
      codePipeline: stack.emulator.url,
      dynamoDb: env.AWS_ENDPOINT_URL_DYNAMODB ?? stack.dynamo.endpoint,
    },
    stack.tableName,
    env,
  );
  const client = createCodePipelineClient(loadConfig(process.env));
  const acknowledgedAt = new Map<string, number[]>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'AcknowledgeJobCommand') {
        const jobId = String((args.input as { jobId?: unknown }).jobId);
        acknowledgedAt.set(jobId, [...(acknowledgedAt.get(jobId) ?? []), Date.now()]);
      }
      return next(args);
    },
    { step: 'initialize', name: 'acknowledgeSendTimes', priority: 'high' },
  );
  return { client, acknowledgedAt };
}

describe('deadline', () => {
  const { open } = scenarioHooks();

  /** What the emulator recorded for the jobs, against the invocation's bounds. */
  function classify(
    emulator: RunningEmulator,
    ids: string[],
    bounds: { deadline: number; latestStop: number },
    acknowledgedAt: ReadonlyMap<string, readonly number[]>,
  ) {
    const taken = ids.filter((id) => (emulator.getJob(id)?.acknowledgements.length ?? 0) > 0);
    const untaken = ids.filter((id) => !taken.includes(id));
    const calls = (id: string) => {
      const job = emulator.getJob(id);
      return { acks: job?.acknowledgements ?? [], results: job?.results ?? [] };
    };
    // Sent, by the worker, at or after its stop time.
    const lateAcks = ids.flatMap((id) =>
      (acknowledgedAt.get(id) ?? []).filter((at) => at >= bounds.latestStop).map(() => id),
    );
    const lateResults = ids.flatMap((id) =>
      calls(id)
        .results.filter((r) => Date.parse(r.at) >= bounds.deadline)
        .map(() => id),
    );
    return { taken, untaken, lateAcks, lateResults };
  }

  /** The deadline promises, checked softly so that every broken one is listed. */
  function expectDeadlineKept(
    emulator: RunningEmulator,
    ids: string[],
    bounds: { deadline: number; latestStop: number },
    jobs: ReturnType<typeof classify>,
  ) {
    const stop = new Date(bounds.latestStop).toISOString();
    for (const id of jobs.lateAcks) {
      expect.soft(id, `${id} acknowledged after the stop time ${stop}`).toBeUndefined();
    }
    for (const id of jobs.lateResults) {
      const at = emulator.getJob(id)?.results.map((r) => r.at);
      expect.soft(at, `${id} reported after the deadline`).toEqual([]);
    }
    for (const id of jobs.taken) {
      expect.soft(emulator.getJob(id)?.results, `results of taken job ${id}`).toHaveLength(1);
    }
    for (const id of jobs.untaken) expect.soft(emulator.getJob(id)?.results).toEqual([]);
    expect(ids).toHaveLength(jobs.taken.length + jobs.untaken.length);
  }

  it('reports every job it took before the invocation ends and takes none after the stop time', async () => {
    const startedAt = Date.now();
    const stack = open(await startLocalStack());
    const { emulator } = stack;
    const ids = Array.from({ length: 60 }, () => stack.enqueue({ BakeTimeSeconds: '0' }));
    // One job in ten never finishes (it ignores the abort signal); the others take 1.5 s, so
    // that slots free up about 0.9 s before and 0.6 s after the stop time, never near it.
    const slow = new Set(ids.filter((_, i) => i % 10 === 3));
    const processor = countingProcessor(async (job) => {
      if (slow.has(job.id)) return never();
      await sleep(1_500);
      return { kind: 'success', summary: 'done' };
    });
    const { client, acknowledgedAt } = observedClient(stack, ENV);
    const tap = open(tapOutput());

    const run = await timedInvocation((context) =>
      stack.handler(ENV, { processor, codePipelineClient: client })(scheduledEvent(), context),
    );

    tap.restore();
    const jobs = classify(stack.emulator, ids, run, acknowledgedAt);
    const { taken, untaken } = jobs;
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: `deadline: slow processor (${taken.length} taken, ${untaken.length} left, ${jobs.lateAcks.length} late acks)`,
      jobs: ids.length,
      workers: 1,
      faultsInjected: [...slow].filter((id) => taken.includes(id)).length,
      duplicatesSkipped: 0,
      resultsPerJob: resultsPerJob(emulator, taken),
      processorRunsPerJob: processorRunsPerJob(processor.runs, taken),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    expect(run.returnedAt).toBeLessThan(run.deadline);
    expectDeadlineKept(stack.emulator, ids, run, jobs);
    // The deadline bound the work: some jobs were left for later invocations.
    expect(untaken.length).toBeGreaterThan(0);
    expect(taken.length).toBeGreaterThan(4);
    for (const id of taken) {
      const job = emulator.getJob(id);
      if (slow.has(id)) {
        expect(job?.status).toBe('Failed');
        expect(job?.results[0]?.request).toMatchObject({
          failureDetails: {
            type: 'JobFailed',
            message: expect.stringContaining('did not finish before'),
          },
        });
      } else {
        expect(job?.status).toBe('Succeeded');
      }
    }
    expect(taken.some((id) => slow.has(id))).toBe(true);
    for (const id of untaken) expect(processor.started(id)).toBe(0);
  });

  it('takes no job after the stop time when DynamoDB answers slowly', async () => {
    const startedAt = Date.now();
    const stack = open(await startLocalStack());
    const { emulator } = stack;
    // Every claim takes 1 s (a hot or throttled table: the SDK's back-off adds as much).
    const proxy = open(
      await startDynamoDbFaultProxy(stack.dynamo.endpoint, {
        latencyMs: 1_000,
        operations: ['UpdateItem'],
        bodyIncludes: 'attribute_not_exists(#jobId)',
      }),
    );
    const ids = Array.from({ length: 60 }, () => stack.enqueue({ BakeTimeSeconds: '0' }));
    // Jobs take 50 to 650 ms, so that the worker starts jobs at every moment, not in waves.
    const processor = countingProcessor(async (job) => {
      await sleep(50 + ((ids.indexOf(job.id) * 137) % 600));
      return { kind: 'success', summary: 'done' };
    });
    const env = { ...ENV, AWS_ENDPOINT_URL_DYNAMODB: (proxy as DynamoDbFaultProxy).url };
    const { client, acknowledgedAt } = observedClient(stack, env);
    const tap = open(tapOutput());

    const run = await timedInvocation((context) =>
      stack.handler(env, { processor, codePipelineClient: client })(scheduledEvent(), context),
    );

    tap.restore();
    const jobs = classify(stack.emulator, ids, run, acknowledgedAt);
    const { taken, untaken } = jobs;
    const failed = taken.filter((id) => emulator.getJob(id)?.status !== 'Succeeded');
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: `deadline: slow DynamoDB claims (${taken.length} taken, ${untaken.length} left, ${jobs.lateAcks.length} late acks, ${failed.length} failed)`,
      jobs: ids.length,
      workers: 1,
      faultsInjected: proxy.delayed(),
      duplicatesSkipped: 0,
      resultsPerJob: resultsPerJob(emulator, taken),
      processorRunsPerJob: processorRunsPerJob(processor.runs, taken),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    // The claims were slowed: the scenario is the one described.
    expect(proxy.delayed()).toBeGreaterThanOrEqual(taken.length);
    expect(run.returnedAt).toBeLessThan(run.deadline);
    expectDeadlineKept(stack.emulator, ids, run, jobs);
    expect(untaken.length).toBeGreaterThan(0);
    // A job of at most 650 ms taken in time has time to finish: none may fail for lack of time.
    for (const id of failed) {
      expect.soft(emulator.getJob(id)?.results[0]?.request, `${id} failed`).toBeUndefined();
    }
  });
});
