import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CANCEL_ERRORS_METRIC } from '../../lambda/contract.js';
import type { Cancellation, CancelReason } from '../../lambda/job/cancellation.js';
import type { Job } from '../../lambda/job/job.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { emptySummary } from '../../lambda/worker/counters.js';
import { ExecutionStops } from '../../lambda/worker/execution-stops.js';
import type { JobRun } from '../../lambda/worker/job-run.js';
import type { Report } from '../../lambda/worker/report.js';
import { SecretScrubber } from '../../lambda/worker/secrets.js';
import { ACTION_EXECUTION_ID, parsedJob, SECRETS } from '../helpers/jobs.js';
import { MemoryExecutionLedger } from '../helpers/memory-execution-ledger.js';
import { RecordingMetrics } from '../helpers/telemetry.js';
import { type LogRecord, recordingLogger } from '../helpers/worker-harness.js';

const INTERVAL = 10_000;
const ENVELOPE = 'cpjw1:1:1800000000000:0:build-7';

function setup(options: { cancel?: JobProcessor['cancel'] | null } = {}) {
  const ledger = new MemoryExecutionLedger();
  const metrics = new RecordingMetrics();
  const scrubber = new SecretScrubber();
  const logs: LogRecord[] = [];
  const log = recordingLogger(logs);
  const cancels: Cancellation[] = [];
  const processor: JobProcessor = {
    name: 'builds',
    async process() {
      return { kind: 'success', summary: 'done' };
    },
    ...(options.cancel === null
      ? {}
      : {
          cancel:
            options.cancel ??
            (async (cancellation) => {
              cancels.push(cancellation);
            }),
        }),
  };
  const stops = new ExecutionStops({
    ledger,
    processor,
    scrubber,
    metrics,
    now: Date.now,
    sdk: { maxAttempts: 3, requestTimeoutMs: 5_000 },
    checkIntervalMs: INTERVAL,
  });
  const run: JobRun = {
    jobDeadline: Date.now() + 60_000,
    reportDeadline: Date.now() + 60_000,
    reportSignal: new AbortController().signal,
    recordDeadline: Date.now() + 60_000,
    recordSignal: new AbortController().signal,
    leaseExpiresAt: Date.now() + 60_000,
    stopTakingAt: Date.now() + 60_000,
    taking: () => true,
    summary: emptySummary(),
    log,
  };
  return { ledger, metrics, scrubber, logs, log, cancels, stops, run };
}

/** A job that continues an earlier one: its token is the processor's `build-7`. */
const continuationJob = (): Job => ({
  ...parsedJob({ continuationToken: ENVELOPE }),
  continuationToken: 'build-7',
  continuation: { count: 1, startedAt: 1_800_000_000_000 },
});

const continueReport = (token = 'cpjw1:2:1800000000000:0:build-8'): Report => ({
  kind: 'success',
  continuationToken: token,
});
const failure: Report = { kind: 'failure', failureType: 'JobFailed', message: 'broke' };

describe('ExecutionStops.watch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('calls onStopped once, within one check interval of the stop being noted', async () => {
    const { stops, ledger, run, log } = setup();
    const seen: CancelReason[] = [];
    const end = stops.watch(parsedJob(), run, log, (reason) => seen.push(reason));

    await vi.advanceTimersByTimeAsync(INTERVAL * 2);
    expect(seen).toEqual([]);
    await ledger.canceled(ACTION_EXECUTION_ID, 'abandoned', Date.now());
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(seen).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(seen).toEqual(['abandoned']);

    const reads = ledger.calls.filter((call) => call.startsWith('read')).length;
    await vi.advanceTimersByTimeAsync(INTERVAL * 5);
    expect(seen).toEqual(['abandoned']);
    expect(ledger.calls.filter((call) => call.startsWith('read'))).toHaveLength(reads);
    end();
  });

  it('reads no more once ended', async () => {
    const { stops, ledger, run, log } = setup();
    const end = stops.watch(parsedJob(), run, log, () => {});
    await vi.advanceTimersByTimeAsync(INTERVAL);
    end();
    await ledger.canceled(ACTION_EXECUTION_ID, 'canceled', Date.now());

    await vi.advanceTimersByTimeAsync(INTERVAL * 3);

    expect(ledger.calls.filter((call) => call.startsWith('read'))).toHaveLength(1);
  });

  it('ignores a stop of an execution whose final report the worker sent itself', async () => {
    const { stops, ledger, run, log } = setup();
    await ledger.finished({ actionExecutionId: ACTION_EXECUTION_ID, jobId: 'j' }, Date.now());
    await ledger.canceled(ACTION_EXECUTION_ID, 'failed', Date.now());
    const seen: CancelReason[] = [];
    const end = stops.watch(parsedJob(), run, log, (reason) => seen.push(reason));

    await vi.advanceTimersByTimeAsync(INTERVAL * 3);

    expect(seen).toEqual([]);
    end();
  });

  it('keeps watching when a read fails, and counts it', async () => {
    const { stops, ledger, run, log, logs } = setup();
    ledger.failWith = new Error('throttled');
    const seen: CancelReason[] = [];
    const end = stops.watch(parsedJob(), run, log, (reason) => seen.push(reason));
    await vi.advanceTimersByTimeAsync(INTERVAL);
    ledger.failWith = undefined;
    await ledger.canceled(ACTION_EXECUTION_ID, 'canceled', Date.now());

    await vi.advanceTimersByTimeAsync(INTERVAL);

    expect(seen).toEqual(['canceled']);
    expect(run.summary.ledgerErrors).toBe(1);
    expect(logs.map((l) => l.message)).toContain(
      'could not read whether the action execution was stopped',
    );
    end();
  });
});

describe('ExecutionStops.reported', () => {
  it('records an accepted continue report with its token as sent', async () => {
    const { stops, ledger, run, log, cancels } = setup();

    await stops.reported(continuationJob(), continueReport(), 'accepted', run, log);

    expect(ledger.records.get(ACTION_EXECUTION_ID)?.continuationToken).toBe(
      'cpjw1:2:1800000000000:0:build-8',
    );
    expect(cancels).toEqual([]);
  });

  it('cancels with the processor token when the stop was noted before the continue report', async () => {
    const { stops, ledger, run, log, cancels } = setup();
    await ledger.canceled(ACTION_EXECUTION_ID, 'canceled', Date.now());

    await stops.reported(continuationJob(), continueReport(), 'accepted', run, log);

    expect(cancels).toEqual([
      expect.objectContaining({
        reason: 'canceled',
        continuationToken: 'build-8',
        actionExecutionId: ACTION_EXECUTION_ID,
        pipelineName: 'checkout-service',
        stageName: 'Production',
        actionName: 'BakeTime',
      }),
    ]);
  });

  it('records a continue report before it is sent, so that a stop right after it gets the newest token', async () => {
    const { stops, run, log, cancels } = setup();
    await stops.reported(continuationJob(), continueReport(), 'sending', run, log);

    await stops.stopEvent(
      { state: 'ABANDONED', actionExecutionId: ACTION_EXECUTION_ID },
      Date.now() + 5_000,
      log,
    );

    expect(cancels).toEqual([expect.objectContaining({ continuationToken: 'build-8' })]);
  });

  it('cancels with the processor token when a continue report is refused', async () => {
    const { stops, run, log, cancels } = setup();

    await stops.reported(continuationJob(), continueReport(), 'refused', run, log);

    expect(cancels).toEqual([
      expect.objectContaining({ reason: 'refused', continuationToken: 'build-8' }),
    ]);
  });

  it('gives the stop noted for the execution as the reason of a refused continue report', async () => {
    const { stops, ledger, run, log, cancels } = setup();
    await ledger.canceled(ACTION_EXECUTION_ID, 'abandoned', Date.now());

    await stops.reported(continuationJob(), continueReport(), 'refused', run, log);

    expect(cancels).toEqual([
      expect.objectContaining({ reason: 'abandoned', continuationToken: 'build-8' }),
    ]);
  });

  it('does not cancel for a refused final report', async () => {
    const { stops, run, log, cancels } = setup();

    await stops.reported(continuationJob(), failure, 'refused', run, log);

    expect(cancels).toEqual([]);
  });

  it('marks an execution that continued finished before its final report is sent', async () => {
    const { stops, ledger, run, log } = setup();

    await stops.reported(continuationJob(), failure, 'sending', run, log);

    expect(ledger.records.get(ACTION_EXECUTION_ID)?.finished).toBe(true);
  });

  it('writes nothing for the reports of a processor without a cancel hook', async () => {
    const { stops, ledger, run, log } = setup({ cancel: null });

    for (const end of ['sending', 'accepted', 'refused'] as const) {
      await stops.reported(continuationJob(), continueReport(), end, run, log);
      await stops.reported(continuationJob(), failure, end, run, log);
    }

    expect(ledger.calls).toEqual([]);
  });

  it('writes nothing for the final report of a job that did not continue', async () => {
    const { stops, ledger, run, log } = setup();

    await stops.reported(parsedJob(), failure, 'sending', run, log);
    await stops.reported(parsedJob(), failure, 'accepted', run, log);

    expect(ledger.calls).toEqual([]);
  });

  it('logs and counts a ledger that cannot be written, and does not throw', async () => {
    const { stops, ledger, run, log, logs } = setup();
    ledger.failWith = new Error('unreachable');

    await stops.reported(continuationJob(), continueReport(), 'accepted', run, log);

    expect(run.summary.ledgerErrors).toBe(1);
    expect(logs.map((l) => l.message)).toContain(
      'could not note the report in the execution ledger',
    );
  });
});

describe('ExecutionStops.cancel', () => {
  it('calls cancel once per execution, whatever the number of callers', async () => {
    const { stops, run, log, cancels } = setup();

    await stops.cancel(continuationJob(), 'build-7', 'refused', run, log);
    await stops.cancel(continuationJob(), 'build-7', 'abandoned', run, log);

    expect(cancels).toHaveLength(1);
    expect(cancels[0]).toMatchObject({ reason: 'refused', continuationToken: 'build-7' });
  });

  it('logs a cancel that throws with secret values scrubbed, counts it, and does not rethrow', async () => {
    const { stops, run, log, logs, metrics } = setup({
      cancel: async () => {
        throw new Error(
          `StopBuild refused the key ${SECRETS.apiToken} and ${SECRETS.sessionToken}`,
        );
      },
    });

    await stops.cancel(continuationJob(), 'build-7', 'abandoned', run, log);

    const line = logs.find((l) => l.message.startsWith('the processor cancel hook threw'));
    const text = JSON.stringify(line);
    expect(text).toContain('StopBuild refused the key');
    expect(text).toContain('[REDACTED]');
    expect(text).not.toContain(SECRETS.apiToken);
    expect(text).not.toContain(SECRETS.sessionToken);
    expect(metrics.total(CANCEL_ERRORS_METRIC)).toBe(1);
  });

  it('gives up on a cancel that outlives its deadline, and counts it', async () => {
    const signals: AbortSignal[] = [];
    const { stops, run, log, logs, metrics } = setup({
      cancel: (_cancellation, context) => {
        signals.push(context.signal);
        return new Promise(() => {});
      },
    });

    await stops.cancel(
      continuationJob(),
      'build-7',
      'canceled',
      { ...run, reportDeadline: Date.now() + 30 },
      log,
    );

    expect(signals[0]?.aborted).toBe(true);
    expect(metrics.total(CANCEL_ERRORS_METRIC)).toBe(1);
    expect(logs.map((l) => l.message)).toContain(
      'the processor cancel hook did not return before its deadline',
    );
  });

  it('only logs when the processor has no cancel hook', async () => {
    const { stops, ledger, run, log, logs } = setup({ cancel: null });

    await stops.cancel(continuationJob(), 'build-7', 'abandoned', run, log);

    expect(ledger.calls).toEqual([]);
    expect(logs.map((l) => l.message)).toContain(
      'action execution stopped; the processor has no cancel hook',
    );
  });
});

describe('ExecutionStops.stopEvent', () => {
  const stop = (state: 'ABANDONED' | 'CANCELED' | 'FAILED') =>
    ({
      state,
      actionExecutionId: ACTION_EXECUTION_ID,
      executionId: 'pe-1',
      pipeline: 'checkout-service',
      stage: 'Production',
      action: 'BakeTime',
    }) as const;

  it('cancels a waiting execution with the processor token, not the envelope', async () => {
    const { stops, run, log, cancels } = setup();
    await stops.reported(continuationJob(), continueReport(ENVELOPE), 'accepted', run, log);

    const result = await stops.stopEvent(stop('ABANDONED'), Date.now() + 5_000, log);

    expect(result).toBe('canceled');
    expect(cancels).toEqual([
      expect.objectContaining({ reason: 'abandoned', continuationToken: 'build-7' }),
    ]);
  });

  it('notes a stop of an execution that never continued, and calls nothing', async () => {
    const { stops, ledger, log, cancels } = setup();

    const result = await stops.stopEvent(stop('CANCELED'), Date.now() + 5_000, log);

    expect(result).toBe('noted');
    expect(cancels).toEqual([]);
    expect(ledger.records.get(ACTION_EXECUTION_ID)?.canceled?.reason).toBe('canceled');
  });

  it('does not cancel on the FAILED event of a failure the worker reported itself', async () => {
    const { stops, run, log, cancels } = setup();
    await stops.reported(continuationJob(), continueReport(), 'accepted', run, log);
    await stops.reported(continuationJob(), failure, 'sending', run, log);

    const result = await stops.stopEvent(stop('FAILED'), Date.now() + 5_000, log);

    expect(result).toBe('finished');
    expect(cancels).toEqual([]);
  });

  it('cancels on a FAILED event of an execution the worker did not fail (its timeout)', async () => {
    const { stops, run, log, cancels } = setup();
    await stops.reported(continuationJob(), continueReport(), 'accepted', run, log);

    await stops.stopEvent(stop('FAILED'), Date.now() + 5_000, log);

    expect(cancels).toEqual([expect.objectContaining({ reason: 'failed' })]);
  });

  it('throws when the stop cannot be noted, so that the event is delivered again', async () => {
    const { stops, ledger, log } = setup();
    ledger.failWith = new Error('unreachable');

    await expect(stops.stopEvent(stop('ABANDONED'), Date.now() + 5_000, log)).rejects.toThrow(
      'unreachable',
    );
  });
});
