/**
 * Reliability, secrets: every line the handlers write at DEBUG level, through duplicate
 * dispatch, injected faults, re-dispatch, a crash and its recovery (which reads the job again
 * and gets fresh credentials), is searched for every credential and secret configuration value
 * the emulator handed out. A processor that logs and throws its secrets tries hard to leak them.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config.js';
import type { DrainSummary } from '../../lambda/worker/counters.js';
import { setWorkerEnvironment } from '../../samples/local/worker-env.js';
import { crashAt } from '../helpers/crash-ports.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { startLocalStack } from '../helpers/local-stack.js';
import {
  countingProcessor,
  ledgerItems,
  realPorts,
  scenarioHooks,
} from '../helpers/reliability.js';
import {
  processorRunsPerJob,
  recordFigures,
  resultsPerJob,
} from '../helpers/reliability-figures.js';
import { secretHits, tapOutput } from '../helpers/secret-scan.js';

const ENV = {
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
  POWERTOOLS_METRICS_DISABLED: 'false',
  DEADLINE_MARGIN_MS: '4000',
  LEASE_GRACE_SECONDS: '0',
  SDK_MAX_ATTEMPTS: '2',
  CONCURRENCY: '4',
  BATCH_SIZE: '4',
};

describe('secrets', () => {
  const { open } = scenarioHooks();

  it('finds the values it searches for', () => {
    expect(secretHits('a\nkey=ASIAQ2EXAMPLE7 here\nb\n', ['ASIAQ2EXAMPLE7', 'absent'])).toBe(1);
    expect(secretHits('a\nb', ['ASIAQ2EXAMPLE7'])).toBe(0);
  });

  it('writes no secret value the emulator handed out in any log line, metric, result or ledger item', async () => {
    const startedAt = Date.now();
    const stack = open(
      await startLocalStack({
        faults: { throttleRate: 0.1, errorRate: 0.1, duplicateRate: 0.2, seed: 42 },
      }),
    );
    const { emulator, dynamo, tableName } = stack;
    const tap = open(tapOutput());
    const seen = new Set<string>();
    const processor = countingProcessor(async (job, context) => {
      const token = job.secrets.NotifyToken?.reveal() ?? '';
      const credentials = job.artifactCredentials?.reveal();
      for (const value of [token, ...Object.values(credentials ?? {})]) seen.add(value);
      // A careless processor: it logs the job, its secrets, and throws them in an error.
      context.logger.debug('processing', { job, token, credentials });
      context.logger.info(`calling the notifier with ${token}`);
      if (job.configuration.Environment === 'refusing') {
        throw new Error(`notifier refused ${token} (key ${credentials?.secretAccessKey})`);
      }
      // ... and hands its secrets back in the outcome, which is recorded before it is sent.
      return {
        kind: 'success',
        summary: `notified with ${token}`,
        outputVariables: { Token: token, Key: credentials?.secretAccessKey ?? '' },
      };
    });

    // A worker dies after acknowledging a job; its recovery reads the job again.
    const crashedId = stack.enqueue({ BakeTimeSeconds: '0' });
    setWorkerEnvironment({ codePipeline: emulator.url, dynamoDb: dynamo.endpoint }, tableName, ENV);
    const crash = crashAt('after-acknowledge', 'hang', crashedId);
    const ports = realPorts(loadConfig(process.env));
    emulator.setFaults({ throttleRate: 0, errorRate: 0, duplicateRate: 0 });
    stack
      .handler(ENV, {
        processor,
        jobs: crash.jobs(ports.jobs),
        ledger: crash.ledger(ports.ledger),
      })(scheduledEvent(), lambdaContext(6_000))
      .catch(() => undefined);
    await crash.reached;
    // Another dies between recording a job's report and sending it: the report waits in the
    // ledger for the next invocation.
    const recordedId = stack.enqueue({ BakeTimeSeconds: '0' });
    const recordCrash = crashAt('after-record', 'hang', recordedId);
    stack
      .handler(ENV, {
        processor,
        jobs: recordCrash.jobs(ports.jobs),
        ledger: recordCrash.ledger(ports.ledger),
      })(scheduledEvent(), lambdaContext(6_000))
      .catch(() => undefined);
    await recordCrash.reached;
    const whileRecorded = await ledgerItems(dynamo, tableName);
    emulator.setFaults({ throttleRate: 0.1, errorRate: 0.1, duplicateRate: 0.2 });

    const ids = [
      crashedId,
      recordedId,
      ...Array.from({ length: 16 }, (_, i) =>
        stack.enqueue({
          BakeTimeSeconds: '0',
          Environment: i % 4 === 0 ? 'refusing' : 'staging',
        }),
      ),
    ];
    const summaries: DrainSummary[] = [];
    let invocations = 2;
    for (let round = 1; round <= 8; round++) {
      if (ids.every((id) => (emulator.getJob(id)?.results.length ?? 0) > 0)) break;
      // Each round comes later: leases of the round before are over, dispatches timed out.
      const offset = round * 60_000;
      emulator.advanceTime(31_000);
      const runs = Array.from({ length: 3 }, () =>
        stack.handler(ENV, { processor, now: () => Date.now() + offset })(
          scheduledEvent(),
          lambdaContext(10_000),
        ),
      );
      invocations += runs.length;
      for (const settled of await Promise.allSettled(runs)) {
        if (settled.status === 'fulfilled') summaries.push(settled.value);
      }
    }

    tap.restore();
    const secrets = emulator.secrets();
    const text = tap.text();
    const hits = secretHits(text, secrets.values);
    const faults = Object.values(emulator.stats().faults).flatMap((byKind) =>
      Object.values(byKind),
    );
    recordFigures({
      scenario: `secrets: ${secrets.values.length} values, ${text.split('\n').length} lines at DEBUG`,
      jobs: ids.length,
      workers: invocations,
      faultsInjected: faults.reduce((n: number, v) => n + (v ?? 0), 0) + 2,
      duplicatesSkipped: summaries.reduce((sum, s) => sum + s.duplicates, 0),
      resultsPerJob: resultsPerJob(emulator, ids),
      processorRunsPerJob: processorRunsPerJob(processor.runs, ids),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    // The run had secrets to leak, and really tried to.
    expect(secrets.issued.some((issue) => issue.source === 'GetJobDetails')).toBe(true);
    expect(secrets.issued.some((issue) => issue.kind === 'secretConfiguration')).toBe(true);
    expect([...seen].filter((value) => secrets.values.includes(value)).length).toBeGreaterThan(30);
    expect(tap.records().some((record) => record.level === 'DEBUG')).toBe(true);
    expect(tap.records().some((record) => '_aws' in record)).toBe(true);
    expect(text).toContain('[REDACTED]');
    for (const id of ids) expect(emulator.getJob(id)?.results).toHaveLength(1);

    // Nothing leaked: log lines, EMF, results sent to CodePipeline, ledger items.
    expect(hits).toBe(0);
    const results = ids.flatMap((id) => emulator.getJob(id)?.results ?? []);
    expect(results.some((result) => JSON.stringify(result).includes('notifier refused'))).toBe(
      true,
    );
    expect(secretHits(JSON.stringify(results, null, 1), secrets.values)).toBe(0);
    const items = await ledgerItems(dynamo, tableName);
    expect(items.length).toBeGreaterThanOrEqual(ids.length);
    expect(secretHits(JSON.stringify(items, null, 1), secrets.values)).toBe(0);
    // A report recorded while its job was open held the outcome's secrets, scrubbed.
    const recorded = whileRecorded.find((item) => item.jobId?.S === recordedId)?.report;
    expect(JSON.stringify(recorded)).toContain('notified with [REDACTED]');
    expect(recorded?.M?.outputVariables?.M?.Token).toEqual({ S: '[REDACTED]' });
    expect(secretHits(JSON.stringify(whileRecorded, null, 1), secrets.values)).toBe(0);
    expect(emulator.getJob(recordedId)?.results[0]?.request).toMatchObject({
      outputVariables: { Token: '[REDACTED]' },
    });
  }, 60_000);
});
