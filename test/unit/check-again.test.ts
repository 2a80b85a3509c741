/**
 * Checking a job again within the invocation (`checkAfterSeconds`): the wait holds no slot and
 * makes no CodePipeline call, each run's report is recorded before anything else, the waits
 * that do not fit (or outlast the stop time) become continuations, a worker that dies while a
 * job waits leaves the recorded report to the next holder, and a stopped execution is cancelled.
 * The worker runs on a fake clock, with a sleep that moves it: no test waits for seconds.
 */
import { describe, expect, it } from 'vitest';
import { decodeReport } from '../../lambda/adapters/recorded-report.js';
import type { CancelReason } from '../../lambda/job/cancellation.js';
import type { Job } from '../../lambda/job/job.js';
import { CHECK_AFTER_SECONDS } from '../../lambda/job/limits.js';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import type { NonceLedger } from '../../lambda/ports.js';
import type { Cancellations } from '../../lambda/worker/cancellations.js';
import { MIN_CHECK_RUN_MS } from '../../lambda/worker/check-again.js';
import { unwrapToken } from '../../lambda/worker/continuation.js';
import { Worker, type WorkerSettings } from '../../lambda/worker/drain.js';
import { checkOutcome, InvalidOutcomeError } from '../../lambda/worker/outcome-check.js';
import type { Report } from '../../lambda/worker/report.js';
import { fakeClock, processingContext, T0 } from '../../local/testing/index.js';
import type { FakeCodePipeline } from '../helpers/fake-codepipeline.js';
import { never } from '../helpers/reliability.js';
import { RecordingMetrics } from '../helpers/telemetry.js';
import {
  DEFAULT_SETTINGS,
  type LogRecord,
  recordingLogger,
  uniqueJob,
  workerOnDynalite,
} from '../helpers/worker-harness.js';

const SECOND = 1_000;
/** The invocation of every test: it stops taking jobs at T0 + 58 s (a 2 s margin). */
const DEADLINE = T0 + 60 * SECOND;
const STOP_TAKING_AT = DEADLINE - DEFAULT_SETTINGS.deadlineMarginMs;
const LIMITS = { maxContinuations: 100, maxAgeMs: 60 * 60 * SECOND };

const check = (token: string, seconds = 15): JobOutcome => ({
  kind: 'continue',
  continuationToken: token,
  checkAfterSeconds: seconds,
});

/** One run of the processor: the job as it saw it, and the time. */
interface Seen {
  readonly jobId: string;
  readonly token: string | undefined;
  readonly continuation: Job['continuation'];
  readonly at: number;
}

/** A processor that answers each job's runs from its script, in order (then success). */
function scripted(
  script: (job: Job, run: number) => JobOutcome | Promise<JobOutcome>,
): JobProcessor & { readonly seen: Seen[] } {
  const seen: Seen[] = [];
  const runs = new Map<string, number>();
  return {
    name: 'scripted',
    seen,
    async process(job, context) {
      const run = (runs.get(job.id) ?? 0) + 1;
      runs.set(job.id, run);
      seen.push({
        jobId: job.id,
        token: job.continuationToken,
        continuation: job.continuation,
        at: context.now(),
      });
      return script(job, run);
    },
  };
}

/** Cancellations faked: a stop is what the test says; every call is kept. */
class FakeCancellations implements Cancellations {
  stop: CancelReason | undefined;
  stopError: Error | undefined;
  cancelError: Error | undefined;
  readonly asked: string[] = [];
  readonly canceled: { jobId: string; token: string; reason: CancelReason }[] = [];

  watch(): () => void {
    return () => {};
  }

  async stopped(job: Job): Promise<CancelReason | undefined> {
    this.asked.push(job.continuationToken ?? '');
    if (this.stopError) throw this.stopError;
    return this.stop;
  }

  async reported(): Promise<void> {}

  async cancel(job: Job, processorToken: string, reason: CancelReason): Promise<void> {
    this.canceled.push({ jobId: job.id, token: processorToken, reason });
    if (this.cancelError) throw this.cancelError;
  }
}

/** The ledger's methods, bound, to spread into a wrapper. */
function bound(ledger: NonceLedger): NonceLedger {
  return {
    claim: (request) => ledger.claim(request),
    takeOver: (jobId, now, leaseExpiresAt) => ledger.takeOver(jobId, now, leaseExpiresAt),
    record: (claim, report, now, options) => ledger.record(claim, report, now, options),
    complete: (claim, outcome, now) => ledger.complete(claim, outcome, now),
    release: (claim, now) => ledger.release(claim, now),
    findExpired: (now, limit) => ledger.findExpired(now, limit),
  };
}

/** The CodePipeline calls made for one job so far (acknowledge, details, results). */
function callsFor(codePipeline: FakeCodePipeline, jobId: string): number {
  return codePipeline.mock
    .calls()
    .filter((call) => (call.args[0] as { input?: { jobId?: string } }).input?.jobId === jobId)
    .length;
}

/** The processor's own token of a continue report's result, without the worker's envelope. */
function reportedToken(codePipeline: FakeCodePipeline, jobId: string): string | undefined {
  const [result] = codePipeline.resultsFor(jobId);
  if (result?.kind !== 'success') return undefined;
  return unwrapToken(result.input.continuationToken).continuationToken;
}

describe('checking a job again within the invocation', () => {
  const dynalite = workerOnDynalite();

  /** A worker on a fresh ledger, on a fake clock whose sleep moves it (or as `sleep` says). */
  async function setup(
    processor: JobProcessor,
    options: {
      readonly settings?: Partial<WorkerSettings>;
      readonly sleep?: (ms: number, clock: ReturnType<typeof fakeClock>) => Promise<void>;
      readonly cancellations?: Cancellations;
      readonly continuations?: typeof LIMITS;
      readonly wrapLedger?: (ledger: NonceLedger) => NonceLedger;
    } = {},
  ) {
    const harness = await dynalite.setup();
    const clock = fakeClock(T0);
    const sleeps: number[] = [];
    const logs: LogRecord[] = [];
    const metrics = new RecordingMetrics();
    const worker = (sleep = options.sleep) =>
      new Worker({
        jobs: harness.jobs,
        ledger: options.wrapLedger ? options.wrapLedger(harness.ledger) : harness.ledger,
        processor,
        logger: recordingLogger(logs),
        metrics,
        scrubber: harness.scrubber,
        settings: { ...DEFAULT_SETTINGS, ...options.settings },
        now: clock.now,
        sleep: async (ms) => {
          sleeps.push(ms);
          if (sleep) await sleep(ms, clock);
          else clock.advance(ms);
        },
        continuations: options.continuations ?? LIMITS,
        cancellations: options.cancellations,
      });
    return { ...harness, clock, sleeps, logs, metrics, worker };
  }

  it('runs a 15 s check again in the invocation, with no slot held and no CodePipeline call between', async () => {
    const events: string[] = [];
    let bStarted: () => void = () => {};
    const bRan = new Promise<void>((resolve) => {
      bStarted = resolve;
    });
    const a = uniqueJob();
    const b = uniqueJob();
    const aId = a.id as string;
    let callsAtFirstEnd = -1;
    let callsAtSecondStart = -1;
    const processor = scripted((job, run) => {
      if (job.id === b.id) {
        events.push('B');
        bStarted();
        return { kind: 'success' };
      }
      events.push(`A${run}`);
      if (run === 1) {
        callsAtFirstEnd = callsFor(harness.codePipeline, aId);
        return check('s1');
      }
      callsAtSecondStart = callsFor(harness.codePipeline, aId);
      return { kind: 'success', summary: 'built' };
    });
    const harness = await setup(processor, {
      settings: { concurrency: 1, batchSize: 2 },
      // The wait ends only once B has started: with A's slot held, B could not.
      sleep: async (ms, clock) => {
        if (ms === 15 * SECOND)
          await Promise.race([bRan, new Promise((r) => setTimeout(r, 2_000))]);
        clock.advance(ms);
      },
    });
    harness.codePipeline.enqueue(a, b);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(events).toEqual(['A1', 'B', 'A2']);
    expect(callsAtFirstEnd).toBe(1); // the acknowledge
    expect(callsAtSecondStart).toBe(callsAtFirstEnd);
    const [first, second] = processor.seen.filter((seen) => seen.jobId === aId);
    expect(second?.at).toBe((first?.at ?? 0) + 15 * SECOND);
    expect(second).toMatchObject({ token: 's1', continuation: { count: 1, startedAt: T0 } });
    expect(harness.codePipeline.resultsFor(aId)).toEqual([
      expect.objectContaining({ kind: 'success' }),
    ]);
    expect(reportedToken(harness.codePipeline, aId)).toBeUndefined();
    expect(await harness.ledgerState(aId)).toBe('succeeded');
    expect(summary).toMatchObject({
      succeeded: 2,
      continued: 0,
      processorRuns: 3,
      checksRunAgain: 1,
      checksContinued: 0,
    });
    expect(harness.metrics.total('ChecksRunAgain')).toBe(1);
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'job checked again',
        attributes: expect.objectContaining({ jobId: aId, check: 1, continuation: 1 }),
      }),
    );
  });

  it('checks until done, each run recorded before the next, then reports the success once', async () => {
    const recordedAtStart: (string | undefined)[] = [];
    const processor = scripted(async (job, run) => {
      const recorded: Report | undefined = decodeReport((await harness.ledgerItem(job.id)).report);
      recordedAtStart.push(
        recorded?.kind === 'success'
          ? unwrapToken(recorded.continuationToken).continuationToken
          : undefined,
      );
      return run <= 3 ? check(`s${run}`) : { kind: 'success', summary: 'done' };
    });
    // Each wait takes a moment of real time too: the drain has nothing else to do meanwhile.
    const harness = await setup(processor, {
      sleep: async (ms, clock) => {
        if (ms === 15 * SECOND) await new Promise((resolve) => setTimeout(resolve, 10));
        clock.advance(ms);
      },
    });
    const job = uniqueJob();
    const jobId = job.id as string;
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen.map(({ token, continuation }) => [token, continuation?.count])).toEqual([
      [undefined, undefined],
      ['s1', 1],
      ['s2', 2],
      ['s3', 3],
    ]);
    // The last run's report replaced the one before it, before the job ran again.
    expect(recordedAtStart).toEqual([undefined, 's1', 's2', 's3']);
    expect(harness.codePipeline.resultsFor(jobId)).toHaveLength(1);
    expect(harness.codePipeline.resultsFor(jobId)[0]?.input).toMatchObject({
      executionDetails: { summary: 'done' },
    });
    expect(harness.sleeps.filter((ms) => ms === 15 * SECOND)).toHaveLength(3);
    expect(summary).toMatchObject({ succeeded: 1, checksRunAgain: 3, processorRuns: 4 });
    expect(
      harness.logs
        .filter((line) => line.message === 'job checked again')
        .map((line) => line.attributes?.check),
    ).toEqual([1, 2, 3]);
  });

  /**
   * Jobs A, B, C on one slot: A asks to be checked again after 5 s; B takes the slot and holds
   * it until A's wait is over (C was polled meanwhile), then `busyMs` more.
   */
  async function oneSlot(busyMs: number) {
    const events: string[] = [];
    const [a, b, c] = [uniqueJob(), uniqueJob(), uniqueJob()];
    let aDue: () => void = () => {};
    const aWaited = new Promise<void>((resolve) => {
      aDue = resolve;
    });
    const processor = scripted(async (job, run) => {
      const name = job.id === a.id ? `A${run}` : job.id === b.id ? 'B' : 'C';
      events.push(name);
      if (name === 'A1') return check('s1', 5);
      if (name === 'B') {
        await aWaited;
        await new Promise((resolve) => setTimeout(resolve, 20));
        harness.clock.advance(busyMs);
      }
      return { kind: 'success' };
    });
    const harness = await setup(processor, {
      settings: { concurrency: 1, batchSize: 10 },
      sleep: async (ms, clock) => {
        if (ms === 5 * SECOND) {
          // C is polled (and waits for the slot) before A's wait is over.
          for (let i = 0; i < 100 && harness.codePipeline.polls.length < 2; i++) {
            await new Promise((resolve) => setTimeout(resolve, 10));
          }
          await new Promise((resolve) => setTimeout(resolve, 20));
          setTimeout(aDue, 0);
        }
        clock.advance(ms);
      },
    });
    harness.codePipeline.enqueue(a, b, c);
    const summary = await harness.worker().drain({ deadline: DEADLINE });
    expect(harness.codePipeline.polls.length).toBeGreaterThanOrEqual(2);
    return { events, summary, harness, a, c };
  }

  it('puts a job whose wait is over ahead of the jobs polled before it', async () => {
    const { events, summary } = await oneSlot(SECOND);

    expect(events).toEqual(['A1', 'B', 'A2', 'C']);
    expect(summary).toMatchObject({ succeeded: 3, checksRunAgain: 1, deferred: 0 });
  });

  it('keeps a job whose wait is over waiting for a slot longer than a polled job may', async () => {
    // B holds the slot 12 s after A's wait: a polled job is left after 10 s, A is not.
    const { events, summary, harness, a, c } = await oneSlot(12 * SECOND);

    expect(events).toEqual(['A1', 'B', 'A2']);
    expect(summary).toMatchObject({ checksRunAgain: 1, checksContinued: 0, deferred: 1 });
    expect(harness.codePipeline.resultsFor(a.id as string)).toHaveLength(1);
    expect(reportedToken(harness.codePipeline, a.id as string)).toBeUndefined();
    expect(harness.codePipeline.resultsFor(c.id as string)).toEqual([]);
  });

  it('sends the continuation at once when the report cannot be recorded', async () => {
    const processor = scripted((_job, run) => (run === 1 ? check('s1') : { kind: 'success' }));
    const harness = await setup(processor, {
      wrapLedger: (ledger) => ({
        ...bound(ledger),
        record: async () => {
          throw new Error('ledger unavailable');
        },
      }),
    });
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(1);
    expect(reportedToken(harness.codePipeline, job.id as string)).toBe('s1');
    expect(summary).toMatchObject({ continued: 1, checksContinued: 1, checksRunAgain: 0 });
    expect(harness.sleeps).not.toContain(15 * SECOND);
  });

  it('sends a check that does not fit in the invocation as a continuation at once', async () => {
    // From T0 + 42 s, 16 s of wait and 1 s to run end past the stop time (T0 + 58 s).
    const processor = scripted((_job, run) => (run === 1 ? check('s1', 16) : { kind: 'success' }));
    const harness = await setup(processor, {
      sleep: async (ms, clock) => clock.advance(ms),
    });
    harness.clock.advance(42 * SECOND);
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(1);
    expect(harness.sleeps).not.toContain(16 * SECOND);
    expect(reportedToken(harness.codePipeline, job.id as string)).toBe('s1');
    expect(summary).toMatchObject({ continued: 1, checksContinued: 1, checksRunAgain: 0 });
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        message: 'check again does not fit in the invocation; the job continues',
      }),
    );
  });

  it(`keeps a check whose wait and ${MIN_CHECK_RUN_MS} ms to run end at the stop time`, async () => {
    const processor = scripted((_job, run) => (run === 1 ? check('s1', 15) : { kind: 'success' }));
    const harness = await setup(processor);
    harness.clock.advance(STOP_TAKING_AT - T0 - 15 * SECOND - MIN_CHECK_RUN_MS);
    harness.codePipeline.enqueue(uniqueJob());

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(2);
    expect(summary).toMatchObject({ succeeded: 1, checksRunAgain: 1, checksContinued: 0 });
  });

  it('gives the run after the wait at least the time the last run took', async () => {
    const processor = scripted(async (_job, run) => {
      if (run > 1) return { kind: 'success' };
      harness.clock.advance(3 * SECOND);
      return check('s1', 13);
    });
    const harness = await setup(processor);
    // The run ends at T0 + 43 s and the wait at T0 + 56 s: 1 s to run would end before the
    // stop time (T0 + 58 s), the 3 s the first run took do not.
    harness.clock.advance(40 * SECOND);
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(1);
    expect(reportedToken(harness.codePipeline, job.id as string)).toBe('s1');
    expect(summary).toMatchObject({ continued: 1, checksContinued: 1 });
  });

  it('sends the recorded continuation when the stop time comes while the job waits', async () => {
    const processor = scripted((_job, run) => (run === 1 ? check('s1') : { kind: 'success' }));
    // The wait's timer fires late, past the stop time (a frozen or overloaded process).
    const harness = await setup(processor, {
      sleep: async (ms, clock) => clock.advance(ms === 15 * SECOND ? 59 * SECOND : ms),
    });
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(1);
    expect(reportedToken(harness.codePipeline, job.id as string)).toBe('s1');
    expect(await harness.ledgerState(job.id as string)).toBe('continued');
    expect(summary).toMatchObject({ continued: 1, checksContinued: 1, checksRunAgain: 0 });
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        message: 'job not checked again; it continues',
        attributes: expect.objectContaining({ reason: 'the invocation is near its deadline' }),
      }),
    );
  });

  it('leaves the latest recorded continuation to the next holder when the worker dies while the job waits', async () => {
    const processor = scripted((_job, run) => check(`s${run}`));
    let died: () => void = () => {};
    const dead = new Promise<void>((resolve) => {
      died = resolve;
    });
    const harness = await setup(processor);
    // The second wait never ends: the worker is gone (its drain never returns).
    let waits = 0;
    const dying = harness.worker(async (ms, clock) => {
      if (ms === 15 * SECOND && ++waits === 2) {
        died();
        return never();
      }
      clock.advance(ms);
    });
    const job = uniqueJob();
    const jobId = job.id as string;
    harness.codePipeline.enqueue(job);
    void dying.drain({ deadline: DEADLINE });
    await dead;

    harness.clock.advance(DEADLINE + DEFAULT_SETTINGS.leaseGraceMs + SECOND - harness.clock.now());
    const summary = await harness.worker().drain({ deadline: harness.clock.now() + 60 * SECOND });

    // Two runs (s1, then s2) before the worker died; none after.
    expect(processor.seen.map((seen) => seen.token)).toEqual([undefined, 's1']);
    expect(harness.codePipeline.resultsFor(jobId)).toHaveLength(1);
    expect(reportedToken(harness.codePipeline, jobId)).toBe('s2');
    const [result] = harness.codePipeline.resultsFor(jobId);
    expect(
      unwrapToken(result?.kind === 'success' ? result.input.continuationToken : '').continuation,
    ).toMatchObject({ count: 2, startedAt: T0 });
    expect(summary).toMatchObject({ recovered: 1, continued: 1, processorRuns: 0 });
    expect(await harness.ledgerState(jobId)).toBe('continued');
  });

  it('cancels an execution stopped while its job waited, once, and reports nothing', async () => {
    const cancellations = new FakeCancellations();
    const processor = scripted((_job, run) => {
      if (run === 1) cancellations.stop = 'abandoned';
      return check(`s${run}`);
    });
    const harness = await setup(processor, { cancellations });
    const job = uniqueJob();
    const jobId = job.id as string;
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(1);
    expect(cancellations.asked).toEqual(['s1']);
    expect(cancellations.canceled).toEqual([{ jobId, token: 's1', reason: 'abandoned' }]);
    expect(harness.codePipeline.resultsFor(jobId)).toEqual([]);
    expect(await harness.ledgerState(jobId)).toBe('abandoned');
    expect((await harness.ledgerItem(jobId)).report).toBeUndefined();
    expect(summary).toMatchObject({ abandoned: 1, checksRunAgain: 0, continued: 0 });
  });

  it('ends the claim of a stopped execution even when its cancel fails', async () => {
    const cancellations = new FakeCancellations();
    cancellations.stop = 'canceled';
    cancellations.cancelError = new Error('cancel failed');
    const processor = scripted((_job, run) => check(`s${run}`));
    const harness = await setup(processor, { cancellations });
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(1);
    expect(harness.codePipeline.resultsFor(job.id as string)).toEqual([]);
    expect(await harness.ledgerState(job.id as string)).toBe('abandoned');
    expect(summary).toMatchObject({ abandoned: 1 });
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'could not cancel the stopped action execution',
      }),
    );
  });

  it('asks before every run again whether the execution was stopped, and runs while it was not', async () => {
    const cancellations = new FakeCancellations();
    const processor = scripted((_job, run) => (run <= 2 ? check(`s${run}`) : { kind: 'success' }));
    const harness = await setup(processor, { cancellations });
    harness.codePipeline.enqueue(uniqueJob());

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(cancellations.asked).toEqual(['s1', 's2']);
    expect(cancellations.canceled).toEqual([]);
    expect(summary).toMatchObject({ succeeded: 1, checksRunAgain: 2 });
  });

  it('runs again when it cannot read whether the execution was stopped', async () => {
    const cancellations = new FakeCancellations();
    cancellations.stopError = new Error('ledger unavailable');
    const processor = scripted((_job, run) => (run === 1 ? check('s1') : { kind: 'success' }));
    const harness = await setup(processor, { cancellations });
    harness.codePipeline.enqueue(uniqueJob());

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(2);
    expect(summary).toMatchObject({ succeeded: 1, checksRunAgain: 1 });
    expect(harness.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'could not read whether the action execution was stopped; checked again',
      }),
    );
  });

  it('counts every check as a continuation: MAX_CONTINUATIONS fails the job', async () => {
    const processor = scripted((_job, run) => check(`s${run}`));
    const harness = await setup(processor, {
      continuations: { maxContinuations: 2, maxAgeMs: LIMITS.maxAgeMs },
    });
    const job = uniqueJob();
    const jobId = job.id as string;
    harness.codePipeline.enqueue(job);

    const summary = await harness.worker().drain({ deadline: DEADLINE });

    expect(processor.seen).toHaveLength(3);
    const results = harness.codePipeline.resultsFor(jobId);
    expect(results).toHaveLength(1);
    expect(results[0]?.kind === 'failure' && results[0].input.failureDetails?.message).toBe(
      'The job processor asked to continue, but it would be continuation 3, and MAX_CONTINUATIONS is 2',
    );
    expect(summary).toMatchObject({ failed: 1, checksRunAgain: 2 });
  });

  it('counts checks against MAX_CONTINUATION_MINUTES from the first run', async () => {
    const processor = scripted((_job, run) => check(`s${run}`, 20));
    const harness = await setup(processor, {
      continuations: { maxContinuations: 100, maxAgeMs: 30 * SECOND },
    });
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    await harness.worker().drain({ deadline: DEADLINE });

    // Runs at 0 s and 20 s continue; the one at 40 s is past the 30 s the execution may last.
    expect(processor.seen.map((seen) => seen.at - T0)).toEqual([0, 20 * SECOND, 40 * SECOND]);
    const [result] = harness.codePipeline.resultsFor(job.id as string);
    expect(result?.kind).toBe('failure');
  });

  it.each([
    [0, 'the number 0'],
    [901, 'the number 901'],
    [Number.NaN, 'the number NaN'],
    ['15', 'the string "15"'],
  ])(
    'fails the job whose checkAfterSeconds is %s, with the check message',
    async (seconds, shown) => {
      const message = `The job processor returned an invalid result: checkAfterSeconds must be a number of seconds from 1 to 900, not ${shown}`;
      const outcome = { kind: 'continue', continuationToken: 's1', checkAfterSeconds: seconds };
      const processor = scripted(() => outcome as JobOutcome);
      const harness = await setup(processor);
      const job = uniqueJob();
      harness.codePipeline.enqueue(job);

      const summary = await harness.worker().drain({ deadline: DEADLINE });

      const [result] = harness.codePipeline.resultsFor(job.id as string);
      expect(result?.kind === 'failure' && result.input.failureDetails?.message).toBe(message);
      expect(summary).toMatchObject({ failed: 1, checksRunAgain: 0, checksContinued: 0 });
      await expect(processingContext().checked(outcome)).rejects.toThrow(message);
    },
  );
});

describe('checkOutcome: checkAfterSeconds', () => {
  it.each([CHECK_AFTER_SECONDS.min, 1.5, 15, CHECK_AFTER_SECONDS.max])('accepts %s', (seconds) => {
    const outcome = { kind: 'continue', continuationToken: 't', checkAfterSeconds: seconds };

    expect(checkOutcome(outcome)).toBe(outcome);
  });

  it.each([
    [0.999, 'the number 0.999'],
    [900.5, 'the number 900.5'],
    [-15, 'the number -15'],
    [Number.POSITIVE_INFINITY, 'the number Infinity'],
    [null, 'null'],
  ])('refuses %s, saying what it got', (seconds, shown) => {
    expect(() =>
      checkOutcome({ kind: 'continue', continuationToken: 't', checkAfterSeconds: seconds }),
    ).toThrow(
      new InvalidOutcomeError(
        `checkAfterSeconds must be a number of seconds from 1 to 900, not ${shown}`,
      ),
    );
  });

  it('is a field of a continue outcome only', () => {
    expect(() => checkOutcome({ kind: 'success', checkAfterSeconds: 15 })).toThrow(
      /a success outcome has no field "checkAfterSeconds"/,
    );
  });

  it('is checked by processingContext().checked() with the same code', async () => {
    const outcome = { kind: 'continue', continuationToken: 't', checkAfterSeconds: 15 };

    await expect(processingContext().checked(outcome)).resolves.toEqual(outcome);
  });
});
