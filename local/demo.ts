/**
 * The whole flow on one machine: the CodePipeline emulator and dynalite on loopback, the
 * demo action type registered through the real AWS SDK, a realistic mix of jobs, and the
 * real Lambda handler invoked as the schedule would invoke it until every job is finished.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodePipelineClient, PollForJobsCommand } from '@aws-sdk/client-codepipeline';
import { startDynalite } from './dynamodb.js';
import { type RunningEmulator, startEmulator } from './emulator/index.js';
import { jobChain } from './job-chain.js';
import { captureLogs } from './log-capture.js';
import {
  DEMO_ACTION_TYPE,
  importHandler,
  localContext,
  registerDemoActionType,
  scheduledEvent,
  setWorkerEnvironment,
} from './worker-env.js';

export type JobKind = 'success' | 'configuration-error' | 'long' | 'abandoned-dispatch';

export interface DemoOptions {
  /** How many jobs to enqueue. @default 10 */
  readonly jobs?: number;
  /** Seconds the long job bakes (it continues until then). @default 12 */
  readonly longBakeSeconds?: number;
  /** Concurrent invocations per tick (a scheduled one and the event fast path). @default 2 */
  readonly pollers?: number;
  /** Pause between ticks. @default 500 */
  readonly tickMs?: number;
  /** The simulated Lambda timeout of each invocation. @default 60_000 */
  readonly invocationTimeoutMs?: number;
  /** Gives up after this long. @default 120_000 */
  readonly maxRunMs?: number;
  /** Share of dispatches handed to two pollers. @default 0.3 */
  readonly duplicateRate?: number;
  /** Called after every tick. */
  readonly onProgress?: (progress: DemoProgress) => void;
}

export interface DemoProgress {
  readonly tick: number;
  readonly finished: number;
  readonly total: number;
  readonly elapsedMs: number;
}

export interface JobReport {
  readonly jobId: string;
  readonly kind: JobKind;
  /** Final status of the job (of the last job of its continuation chain). */
  readonly outcome: string;
  readonly failureType?: string;
  /** Jobs in its chain: 1 + the continuations. */
  readonly jobs: number;
  readonly acknowledgements: number;
  readonly nonces: number;
  readonly results: number;
  /** Times the processor started, over the chain's jobs (from the worker's DEBUG lines). */
  readonly processorRuns: number;
  readonly seconds: number;
}

export interface DemoTotals {
  readonly jobs: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly continued: number;
  readonly unfinished: number;
  readonly duplicatesSkipped: number;
  readonly duplicateDispatches: number;
  readonly redispatches: number;
  /** Times the processor started, over every job of every chain. */
  readonly processorRuns: number;
  /** Jobs (of any chain) whose processor started more than once: must be 0. */
  readonly processedTwice: number;
  /** Jobs (of any chain) that received more than one result: must be 0. */
  readonly reportedTwice: number;
  readonly invocations: number;
  readonly failedInvocations: number;
  readonly secretsInLogs: number;
  readonly seconds: number;
}

export interface DemoResult {
  readonly jobs: JobReport[];
  readonly totals: DemoTotals;
  readonly logFile: string;
  /**
   * True when every job finished, none was processed or reported twice and no secret reached
   * a log.
   */
  readonly ok: boolean;
}

const FINAL = new Set(['Succeeded', 'Failed', 'TimedOut']);

/** The job mix: one of each special kind first (as many as fit), then successes. */
export function jobMix(count: number): JobKind[] {
  const special: JobKind[] = ['configuration-error', 'long', 'abandoned-dispatch'];
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? 'success' : (special[i - 1] ?? 'success'),
  );
}

function configurationFor(kind: JobKind, index: number, longBakeSeconds: number) {
  const base = { Environment: `env-${index}`, NotifyToken: `ntk-${crypto.randomUUID()}` };
  switch (kind) {
    case 'configuration-error':
      return { ...base, BakeTimeSeconds: 'ten' };
    case 'long':
      return { ...base, BakeTimeSeconds: String(longBakeSeconds) };
    default:
      return { ...base, BakeTimeSeconds: String(index % 3 === 0 ? 1 : 0) };
  }
}

/** How many times the processor started for each job id, from the worker's log lines. */
function processorStarts(logText: string): Map<string, number> {
  const starts = new Map<string, number>();
  for (const line of logText.split('\n')) {
    if (!line.includes('"job processor started"')) continue;
    const { jobId } = JSON.parse(line) as { jobId?: string };
    if (jobId) starts.set(jobId, (starts.get(jobId) ?? 0) + 1);
  }
  return starts;
}

function reportJob(
  emulator: RunningEmulator,
  jobId: string,
  kind: JobKind,
  starts: ReadonlyMap<string, number>,
): JobReport {
  const views = jobChain(emulator, jobId);
  const last = views.at(-1);
  const failure = last?.results.find((r) => r.operation === 'PutJobFailureResult');
  const request = failure?.request as { failureDetails?: { type?: string } } | undefined;
  const start = Date.parse(views[0]?.createdAt ?? '');
  const end = last?.completedAt ? Date.parse(last.completedAt) : Date.now();
  return {
    jobId,
    kind,
    outcome: last?.status ?? 'Unknown',
    failureType: request?.failureDetails?.type,
    jobs: views.length,
    acknowledgements: views.reduce((n, v) => n + v.acknowledgements.length, 0),
    nonces: views.reduce((n, v) => n + v.nonces.length, 0),
    results: views.reduce((n, v) => n + v.results.length, 0),
    processorRuns: views.reduce((n, v) => n + (starts.get(v.jobId) ?? 0), 0),
    seconds: (end - start) / 1000,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs the demo and reports what happened to every job.
 *
 * @example
 * const result = await runDemo({ jobs: 10 });
 * process.exitCode = result.ok ? 0 : 1;
 */
export async function runDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const count = options.jobs ?? 10;
  const started = Date.now();
  const emulator = await startEmulator({ dispatchTimeoutMs: 3_000, faults: { seed: 7 } });
  const dynamo = await startDynalite();
  const codePipeline = new CodePipelineClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: emulator.credentials,
  });
  const logs = captureLogs(join(tmpdir(), `codepipeline-job-worker-${process.pid}.log`));
  try {
    await registerDemoActionType(codePipeline);
    const kinds = jobMix(count);
    const longBake = options.longBakeSeconds ?? 12;
    // The abandoned dispatch goes first: a poller that crashed before acknowledging takes it.
    const order = kinds.map((kind, index) => ({ kind, index }));
    order.sort(
      (a, b) => Number(b.kind === 'abandoned-dispatch') - Number(a.kind === 'abandoned-dispatch'),
    );
    const enqueued = order.map(({ kind, index }) => ({
      kind,
      jobId: emulator.enqueueJob({
        actionTypeId: { ...DEMO_ACTION_TYPE },
        configuration: configurationFor(kind, index, longBake),
        pipelineContext: { pipelineName: 'demo-pipeline', action: { name: `Bake-${index}` } },
      }),
    }));
    if (kinds.includes('abandoned-dispatch')) {
      await codePipeline.send(
        new PollForJobsCommand({ actionTypeId: { ...DEMO_ACTION_TYPE }, maxBatchSize: 1 }),
      );
    }

    // From now on some dispatches are handed to two pollers at once.
    emulator.setFaults({ duplicateRate: options.duplicateRate ?? 0.3 });
    const tableName = await dynamo.createLedgerTable();
    // Processor starts are counted from the worker's log lines: a first start is a DEBUG line.
    setWorkerEnvironment({ codePipeline: emulator.url, dynamoDb: dynamo.endpoint }, tableName, {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    const handler = await importHandler();

    let invocations = 0;
    let failedInvocations = 0;
    let duplicatesSkipped = 0;
    const unfinished = () =>
      enqueued.filter(({ jobId }) => !FINAL.has(jobChain(emulator, jobId).at(-1)?.status ?? ''));
    const maxRunMs = options.maxRunMs ?? 120_000;
    for (let tick = 1; unfinished().length > 0 && Date.now() - started < maxRunMs; tick++) {
      const summaries = await logs.around(() =>
        Promise.allSettled(
          Array.from({ length: options.pollers ?? 2 }, () => {
            invocations++;
            return handler(scheduledEvent(), localContext(options.invocationTimeoutMs ?? 60_000));
          }),
        ),
      );
      for (const summary of summaries) {
        if (summary.status === 'rejected') failedInvocations++;
        else duplicatesSkipped += (summary.value as { duplicates?: number }).duplicates ?? 0;
      }
      options.onProgress?.({
        tick,
        finished: enqueued.length - unfinished().length,
        total: enqueued.length,
        elapsedMs: Date.now() - started,
      });
      if (unfinished().length > 0) await sleep(options.tickMs ?? 500);
    }

    const starts = processorStarts(logs.text());
    const jobs = enqueued.map(({ jobId, kind }) => reportJob(emulator, jobId, kind, starts));
    const allViews = enqueued.flatMap(({ jobId }) => jobChain(emulator, jobId));
    const totals: DemoTotals = {
      jobs: jobs.length,
      succeeded: jobs.filter((j) => j.outcome === 'Succeeded').length,
      failed: jobs.filter((j) => j.outcome === 'Failed' || j.outcome === 'TimedOut').length,
      continued: jobs.reduce((n, j) => n + j.jobs - 1, 0),
      unfinished: jobs.filter((j) => !FINAL.has(j.outcome)).length,
      duplicatesSkipped,
      duplicateDispatches: allViews.reduce(
        (n, v) => n + v.nonces.filter((nonce) => nonce.deliveries > 1).length,
        0,
      ),
      redispatches: allViews.reduce((n, v) => n + Math.max(0, v.nonces.length - 1), 0),
      processorRuns: jobs.reduce((n, j) => n + j.processorRuns, 0),
      processedTwice: allViews.filter((v) => (starts.get(v.jobId) ?? 0) > 1).length,
      reportedTwice: allViews.filter((v) => v.results.length > 1).length,
      invocations,
      failedInvocations,
      secretsInLogs: logs.countLinesWith(emulator.secrets().values),
      seconds: (Date.now() - started) / 1000,
    };
    return {
      jobs,
      totals,
      logFile: logs.path,
      ok:
        totals.unfinished === 0 &&
        totals.processedTwice === 0 &&
        totals.reportedTwice === 0 &&
        totals.secretsInLogs === 0,
    };
  } finally {
    codePipeline.destroy();
    await emulator.close();
    await dynamo.close();
  }
}
