/**
 * The real handler, through the real AWS SDK v3 clients, against the CodePipeline emulator
 * and dynalite over loopback.
 */
import { CodePipelineClient, PollForJobsCommand } from '@aws-sdk/client-codepipeline';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { unwrapToken } from '../../lambda/worker/continuation.js';
import { DEMO_ACTION_TYPE } from '../../samples/local/worker-env.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';

const FAST = { DEADLINE_MARGIN_MS: '2000', LEASE_GRACE_SECONDS: '0' };

describe('worker against the emulator', () => {
  let stack: LocalStack;

  afterEach(() => stack.close());

  it('finishes every job of the happy path with one acknowledge and one result', async () => {
    stack = await startLocalStack();
    const ids = Array.from({ length: 5 }, () => stack.enqueue({ BakeTimeSeconds: '0' }));

    const summary = await stack.handler(FAST)(scheduledEvent(), lambdaContext());

    expect(summary).toMatchObject({ polled: 5, acknowledged: 5, succeeded: 5 });
    for (const id of ids) {
      const job = stack.emulator.getJob(id);
      expect(job?.status).toBe('Succeeded');
      expect(job?.acknowledgements).toHaveLength(1);
      expect(job?.results).toHaveLength(1);
      expect(job?.results[0]?.outcome).toBe('Succeeded');
    }
  });

  it('continues a long job across invocations until it succeeds', async () => {
    stack = await startLocalStack();
    const stepped: JobProcessor = {
      name: 'stepped',
      async process(job) {
        const step = Number(job.continuationToken ?? '0');
        return step < 2
          ? { kind: 'continue', continuationToken: String(step + 1), percentComplete: step * 50 }
          : { kind: 'success', summary: 'three steps', outputVariables: { Steps: '3' } };
      },
    };
    const id = stack.enqueue({ BakeTimeSeconds: '0' });
    const handler = stack.handler(FAST, { processor: stepped });

    for (let i = 0; i < 3; i++) await handler(scheduledEvent(), lambdaContext());

    const chain = stack.chain(id);
    expect(chain.map((job) => job.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded']);
    // On the wire, the worker's envelope counts the continuations around the processor's token.
    expect(unwrapToken(chain[1]?.data.continuationToken)).toMatchObject({
      continuationToken: '1',
      continuation: { count: 1 },
    });
    expect(unwrapToken(chain[2]?.data.continuationToken)).toMatchObject({
      continuationToken: '2',
      continuation: { count: 2 },
    });
    expect(chain.every((job) => job.results.length === 1)).toBe(true);
  });

  it('runs the bake-time gate: a configuration error fails with ConfigurationError', async () => {
    stack = await startLocalStack();
    const bad = stack.enqueue({ BakeTimeSeconds: 'soon' });
    const good = stack.enqueue({ BakeTimeSeconds: '0' });

    await stack.handler(FAST)(scheduledEvent(), lambdaContext());

    const failure = stack.emulator.getJob(bad);
    expect(failure?.status).toBe('Failed');
    expect(failure?.results[0]?.request).toMatchObject({
      failureDetails: { type: 'ConfigurationError' },
    });
    expect(JSON.stringify(failure?.results[0]?.request)).not.toContain('soon');
    expect(stack.emulator.getJob(good)?.status).toBe('Succeeded');
  });

  it('finishes a job re-dispatched with a new nonce after a poller never acknowledged it', async () => {
    let now = Date.now();
    stack = await startLocalStack({ now: () => now, dispatchTimeoutMs: 30_000 });
    const id = stack.enqueue({ BakeTimeSeconds: '0' });
    const stale = new CodePipelineClient({
      endpoint: stack.emulator.url,
      region: 'us-east-1',
      credentials: stack.emulator.credentials,
    });
    const polled = await stale.send(
      new PollForJobsCommand({ actionTypeId: { ...DEMO_ACTION_TYPE }, maxBatchSize: 1 }),
    );
    stale.destroy();
    expect(polled.jobs?.[0]?.id).toBe(id);
    now += 31_000;

    const summary = await stack.handler(FAST)(scheduledEvent(), lambdaContext());

    const job = stack.emulator.getJob(id);
    expect(summary.succeeded).toBe(1);
    expect(job?.nonces).toHaveLength(2);
    expect(job?.acknowledgements.map((a) => a.nonce)).toEqual([job?.nonces[1]?.nonce]);
    expect(job?.status).toBe('Succeeded');
  });

  it('processes a job handed to two pollers once', async () => {
    stack = await startLocalStack({ faults: { duplicateRate: 1, seed: 3 } });
    const ids = Array.from({ length: 8 }, () => stack.enqueue({ BakeTimeSeconds: '0' }));
    let runs = 0;
    const counting: JobProcessor = {
      name: 'counting',
      async process() {
        runs++;
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { kind: 'success' };
      },
    };
    const a = stack.handler(FAST, { processor: counting });
    const b = stack.handler(FAST, { processor: counting });

    const [sa, sb] = await Promise.all([
      a(scheduledEvent(), lambdaContext()),
      b(scheduledEvent(), lambdaContext()),
    ]);

    expect(runs).toBe(8);
    expect(sa.duplicates + sb.duplicates).toBeGreaterThan(0);
    for (const id of ids) {
      const job = stack.emulator.getJob(id);
      expect(job?.nonces[0]?.deliveries).toBe(2);
      expect(job?.results).toHaveLength(1);
    }
  });

  it('finishes everything exactly once through 20% throttling and 20% 5xx', async () => {
    stack = await startLocalStack({
      dispatchTimeoutMs: 1_000,
      faults: { throttleRate: 0.2, errorRate: 0.2, seed: 11 },
    });
    const ids = Array.from({ length: 10 }, () => stack.enqueue({ BakeTimeSeconds: '0' }));
    const env = { ...FAST, SDK_MAX_ATTEMPTS: '4' };
    const started = Date.now();

    while (Date.now() - started < 60_000) {
      const unfinished = ids.filter((id) => stack.emulator.getJob(id)?.status !== 'Succeeded');
      if (unfinished.length === 0) break;
      await stack
        .handler(env)(scheduledEvent(), lambdaContext(4_000))
        // A poll that fails after every retry fails the invocation; the next one carries on.
        .catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const injected = Object.values(stack.emulator.stats().faults).flatMap((byKind) =>
      Object.entries(byKind),
    );
    const count = (kind: string) =>
      injected.filter(([k]) => k === kind).reduce((n, [, v]) => n + (v ?? 0), 0);
    expect(count('throttling')).toBeGreaterThan(0);
    expect(count('internalFailure') + count('serviceUnavailable')).toBeGreaterThan(0);
    for (const id of ids) {
      const job = stack.emulator.getJob(id);
      expect(job?.status).toBe('Succeeded');
      expect(job?.results.filter((r) => r.outcome === 'Succeeded')).toHaveLength(1);
    }
  });
});
