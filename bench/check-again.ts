/**
 * Check again against one-tick continuations: how long after the external work ends a job's
 * success is reported, and what the waiting costs in Lambda time, invocations, CodePipeline
 * calls and ledger writes. A simulation of the worker's own scheduling code: the real `Worker`
 * (lambda/worker/drain.ts, with its JobRunner and check-again) runs under a virtual clock
 * (bench/virtual-clock.ts) against an in-memory CodePipeline and ledger that answer after a
 * fixed virtual latency. No network, no Lambda, no real sleep: deterministic for a seed.
 *
 *   npx tsx bench/check-again.ts            the table on stdout
 *   npx tsx bench/check-again.ts --write    also replaces its section of BENCHMARKS.md
 *   npx tsx bench/check-again.ts --json     the figures as JSON
 *
 * The model: EventBridge invokes a drain every minute (the construct's schedule), at most
 * `reservedConcurrentExecutions` at once (a tick that finds them all running is counted as
 * throttled and dropped); each invocation gets the function's timeout as its time left and the
 * construct's DEADLINE_MARGIN. A job reported with a continuation token becomes a new queued
 * job at once, polled by the next invocation that polls. Each action execution starts external
 * work (seeded durations) on its first run and checks it on every run after.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INTEGER_SETTINGS } from '../lambda/contract.js';
import type { Job } from '../lambda/job/job.js';
import { continueLater, success } from '../lambda/job/outcome.js';
import type { JobLogger, JobProcessor } from '../lambda/job/processor.js';
import {
  type Claim,
  type ClaimRequest,
  type ClaimResult,
  type ExpiredClaim,
  JobRejectedError,
  type JobService,
  type JobStatus,
  type LedgerOutcome,
  type NonceLedger,
} from '../lambda/ports.js';
import { unwrapToken } from '../lambda/worker/continuation.js';
import type { DrainSummary } from '../lambda/worker/counters.js';
import { Worker, type WorkerSettings } from '../lambda/worker/drain.js';
import type { FailureReport, Report, SuccessReport } from '../lambda/worker/report.js';
import { SecretScrubber } from '../lambda/worker/secrets.js';
import { WORKER_DEFAULTS } from '../lib/worker-settings.js';
import { PRICES } from './cost.js';
import { REPO_ROOT } from './paths.js';
import { seededRandom, VirtualClock } from './virtual-clock.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** 2026-01-01T00:00:00Z: whole minutes, as EventBridge's schedule ticks. */
const T0 = Date.UTC(2026, 0, 1);

/** Virtual latency of every CodePipeline call (as the drain benchmark's emulator adds). */
export const CODEPIPELINE_LATENCY_MS = 50;
/** Virtual latency of every ledger call. */
export const LEDGER_LATENCY_MS = 10;
/** Virtual latency of the processor's own call to the external work (start or status). */
export const EXTERNAL_CALL_MS = 100;
/** A job dispatched and not acknowledged within this time is dispatched again. */
const REDISPATCH_MS = MINUTE;
const MEMORY_MB = WORKER_DEFAULTS.memorySize;
const SETTINGS: WorkerSettings = {
  batchSize: INTEGER_SETTINGS.batchSize.default,
  concurrency: INTEGER_SETTINGS.concurrency.default,
  deadlineMarginMs: INTEGER_SETTINGS.deadlineMargin.default,
  leaseGraceMs: INTEGER_SETTINGS.leaseGrace.default * SECOND,
};
const CONTINUATION_LIMITS = {
  maxContinuations: INTEGER_SETTINGS.maxContinuations.default,
  maxAgeMs: INTEGER_SETTINGS.maxContinuationAge.default * MINUTE,
};

/** What waits: `executions` action executions whose external work lasts 2 to 20 minutes. */
export interface Load {
  readonly name: string;
  readonly description: string;
  readonly executions: number;
  /** When execution `index` starts, ms after T0. */
  readonly startMs: (index: number, random: () => number) => number;
  readonly seed: number;
}

const MIN_WORK_MS = 2 * MINUTE;
const MAX_WORK_MS = 20 * MINUTE;

export const LOADS: readonly Load[] = [
  {
    name: 'busy',
    description: '500 executions starting at random over 6 hours, about 15 waiting at once',
    executions: 500,
    startMs: (_index, random) => Math.floor(random() * 6 * 60 * MINUTE),
    seed: 20,
  },
  {
    name: 'lone',
    description: '40 executions 25 minutes apart, each waiting alone',
    executions: 40,
    startMs: (index, random) => index * 25 * MINUTE + Math.floor(random() * MINUTE),
    seed: 21,
  },
];

/** How the processor asks to be checked, and the function's timeout. */
export interface Variant {
  readonly checkAfterSeconds: number | undefined;
  readonly timeoutSeconds: number;
}

export const VARIANTS: readonly Variant[] = [
  { checkAfterSeconds: undefined, timeoutSeconds: WORKER_DEFAULTS.timeoutSeconds },
  { checkAfterSeconds: 15, timeoutSeconds: 60 },
  { checkAfterSeconds: 60, timeoutSeconds: 60 },
  { checkAfterSeconds: 15, timeoutSeconds: 300 },
  { checkAfterSeconds: 60, timeoutSeconds: 300 },
  { checkAfterSeconds: 15, timeoutSeconds: 900 },
  { checkAfterSeconds: 60, timeoutSeconds: 900 },
];

export interface VariantResult extends Variant {
  readonly load: string;
  readonly executions: number;
  /** Work end to success report, seconds. */
  readonly latency: { readonly median: number; readonly p95: number; readonly max: number };
  /** From the execution's first job being queued to its processor's first run, seconds. */
  readonly startWait: { readonly median: number; readonly p95: number; readonly max: number };
  /** Hours of external work, summed over the executions. */
  readonly waitingHours: number;
  /** From the first start to the last report, hours. */
  readonly windowHours: number;
  readonly invocations: number;
  readonly throttledTicks: number;
  readonly billedGbSeconds: number;
  /** Lambda duration and requests, USD. */
  readonly usd: number;
  /** What the same window's ticks cost with nothing to do (each as an empty invocation), USD. */
  readonly idleUsd: number;
  readonly codePipelineCalls: number;
  readonly ledgerWrites: number;
  /** Processor runs: the start and every check. */
  readonly checks: number;
  readonly checksRunAgain: number;
  readonly checksContinued: number;
  readonly continued: number;
  /** Polled jobs left for a later dispatch (no free slot within 10 s, or the stop time). */
  readonly deferred: number;
  /** Invocations whose drain ended after their deadline (should be none). */
  readonly overran: number;
  readonly longestInvocationSeconds: number;
  readonly perWaitingHour: {
    readonly invocations: number;
    readonly gbSeconds: number;
    readonly usd: number;
    /** Above what the schedule costs idle over the same window. */
    readonly usdAboveIdle: number;
    readonly codePipelineCalls: number;
    /** Processor runs. */
    readonly checks: number;
  };
}

export interface CheckAgainBench {
  readonly latencies: {
    readonly codePipelineMs: number;
    readonly ledgerMs: number;
    readonly externalMs: number;
  };
  readonly settings: WorkerSettings & {
    readonly memoryMb: number;
    readonly reservedConcurrency: number;
    readonly scheduleMinutes: number;
  };
  readonly idleInvocationMs: number;
  readonly loads: readonly { readonly name: string; readonly description: string }[];
  readonly results: readonly VariantResult[];
  readonly realSeconds: number;
}

const silent: JobLogger = { debug() {}, info() {}, warn() {}, error() {} };
const noMetrics = { addMetric() {} };

/** CodePipeline's job API, in memory, each call after a fixed virtual latency. */
class SimulatedCodePipeline implements JobService {
  readonly #clock: VirtualClock;
  readonly #queued: string[] = [];
  readonly #jobs = new Map<
    string,
    {
      readonly execution: string;
      readonly token: string | undefined;
      nonce: string;
      state: 'queued' | 'dispatched' | 'in-progress' | 'done';
    }
  >();
  #ids = 0;
  calls = 0;
  /** Each execution's final report, by execution id: when it was accepted, and how. */
  readonly finished = new Map<string, { readonly at: number; readonly kind: Report['kind'] }>();

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  /** A new job of `execution`, queued now. */
  queue(execution: string, token?: string): void {
    const id = `job-${++this.#ids}`;
    this.#jobs.set(id, { execution, token, nonce: `n-${id}-1`, state: 'queued' });
    this.#queued.push(id);
  }

  async #call(): Promise<void> {
    this.calls++;
    await this.#clock.sleep(CODEPIPELINE_LATENCY_MS);
  }

  async poll(maxBatchSize: number): Promise<Job[]> {
    await this.#call();
    const taken = this.#queued.splice(0, maxBatchSize);
    return taken.map((id) => {
      const job = this.#jobs.get(id);
      if (!job) throw new Error(`unknown job ${id}`);
      job.state = 'dispatched';
      const nonce = job.nonce;
      // Dispatched again, with a new nonce, if nobody acknowledges it in time.
      void this.#clock.sleep(REDISPATCH_MS).then(() => {
        if (job.state !== 'dispatched' || job.nonce !== nonce) return;
        job.state = 'queued';
        job.nonce = `${nonce}+`;
        this.#queued.push(id);
      });
      return {
        id,
        nonce,
        accountId: '111111111111',
        actionTypeId: { owner: 'Custom', category: 'Test', provider: 'Sim', version: '1' },
        configuration: {},
        secrets: {},
        pipelineContext: {
          pipelineName: 'sim',
          stageName: 'Wait',
          actionName: 'External',
          actionExecutionId: job.execution,
        },
        inputArtifacts: [],
        outputArtifacts: [],
        ...unwrapToken(job.token),
      };
    });
  }

  async acknowledge(jobId: string, nonce: string): Promise<JobStatus> {
    await this.#call();
    const job = this.#jobs.get(jobId);
    if (!job || job.nonce !== nonce) throw new JobRejectedError(jobId, 'InvalidNonce');
    if (job.state === 'done') return 'Succeeded';
    job.state = 'in-progress';
    return 'InProgress';
  }

  async getJob(jobId: string): Promise<Job> {
    throw new Error(`GetJobDetails is not simulated (job ${jobId})`);
  }

  async succeed(jobId: string, report: SuccessReport): Promise<void> {
    await this.#call();
    const job = this.#end(jobId);
    if (report.continuationToken) this.queue(job.execution, report.continuationToken);
    else this.finished.set(job.execution, { at: this.#clock.now(), kind: 'success' });
  }

  async fail(jobId: string, _report: FailureReport): Promise<void> {
    await this.#call();
    const job = this.#end(jobId);
    this.finished.set(job.execution, { at: this.#clock.now(), kind: 'failure' });
  }

  #end(jobId: string) {
    const job = this.#jobs.get(jobId);
    if (job?.state !== 'in-progress') throw new JobRejectedError(jobId, 'InvalidJobState');
    job.state = 'done';
    return job;
  }
}

/** The nonce ledger, in memory, each call after a fixed virtual latency. */
class SimulatedLedger implements NonceLedger {
  readonly #clock: VirtualClock;
  readonly #claims = new Map<
    string,
    { nonces: Set<string>; token: string; attempt: number; done: boolean }
  >();
  #tokens = 0;
  writes = 0;
  queries = 0;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  async #write(): Promise<void> {
    this.writes++;
    await this.#clock.sleep(LEDGER_LATENCY_MS);
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    await this.#write();
    const item = this.#claims.get(request.jobId);
    if (item?.done) return { kind: 'finished' };
    if (item?.nonces.has(request.nonce)) return { kind: 'duplicate' };
    const token = `t${++this.#tokens}`;
    const attempt = (item?.attempt ?? 0) + 1;
    this.#claims.set(request.jobId, {
      nonces: new Set([...(item?.nonces ?? []), request.nonce]),
      token,
      attempt,
      done: false,
    });
    return {
      kind: 'claimed',
      claim: {
        jobId: request.jobId,
        nonce: request.nonce,
        token,
        attempt,
        tries: attempt,
        leaseExpiresAt: request.leaseExpiresAt,
      },
    };
  }

  async takeOver(): Promise<Claim | undefined> {
    await this.#write();
    return undefined;
  }

  async record(claim: Claim): Promise<boolean> {
    await this.#write();
    return this.#claims.get(claim.jobId)?.token === claim.token;
  }

  async complete(claim: Claim, _outcome: LedgerOutcome): Promise<boolean> {
    await this.#write();
    const item = this.#claims.get(claim.jobId);
    if (item?.token !== claim.token) return false;
    item.done = true;
    return true;
  }

  async release(claim: Claim): Promise<boolean> {
    await this.#write();
    return this.#claims.get(claim.jobId)?.token === claim.token;
  }

  async findExpired(): Promise<ExpiredClaim[]> {
    this.queries++;
    await this.#clock.sleep(LEDGER_LATENCY_MS);
    return [];
  }
}

/** Quantile by the nearest-rank method. */
function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
}

const billedGbSeconds = (ms: number) => (Math.ceil(ms) / 1000) * (MEMORY_MB / 1024);
const lambdaUsd = (gbSeconds: number, requests: number) =>
  gbSeconds * PRICES.lambdaArmGbSecond + (requests / 1e6) * PRICES.lambdaRequestsPerMillion;

function workerFor(
  clock: VirtualClock,
  jobs: JobService,
  ledger: NonceLedger,
  processor: JobProcessor,
  random: () => number,
): Worker {
  return new Worker({
    jobs,
    ledger,
    processor,
    logger: silent,
    metrics: noMetrics,
    scrubber: new SecretScrubber(),
    settings: SETTINGS,
    now: clock.now,
    sleep: clock.sleep,
    random,
    continuations: CONTINUATION_LIMITS,
  });
}

/** One invocation that finds nothing to do: its billed duration, ms. */
async function idleInvocationMs(): Promise<number> {
  const clock = new VirtualClock(T0);
  const pipeline = new SimulatedCodePipeline(clock);
  const ledger = new SimulatedLedger(clock);
  const processor: JobProcessor = { name: 'idle', process: async () => success() };
  let ended: number | undefined;
  void workerFor(clock, pipeline, ledger, processor, seededRandom(1))
    .drain({ deadline: T0 + 60 * SECOND })
    .then(() => {
      ended = clock.now();
    });
  await clock.run(() => ended !== undefined);
  return (ended ?? Number.NaN) - T0;
}

/** Runs one load under one variant, on a fresh virtual clock. */
export async function simulate(
  load: Load,
  variant: Variant,
  idleMs: number,
): Promise<VariantResult> {
  const clock = new VirtualClock(T0);
  const random = seededRandom(load.seed);
  const pipeline = new SimulatedCodePipeline(clock);
  const ledger = new SimulatedLedger(clock);
  const executions = Array.from({ length: load.executions }, (_, index) => ({
    id: `exec-${index}`,
    startAt: T0 + load.startMs(index, random),
    durationMs: MIN_WORK_MS + Math.floor(random() * (MAX_WORK_MS - MIN_WORK_MS)),
  }));
  const work = new Map(
    executions.map((e) => [e.id, { ...e, firstRunAt: Number.NaN, endsAt: Number.NaN }]),
  );
  const options =
    variant.checkAfterSeconds === undefined ? {} : { checkAfterSeconds: variant.checkAfterSeconds };
  let checks = 0;
  const processor: JobProcessor = {
    name: 'external-work',
    async process(job, context) {
      checks++;
      const execution = job.pipelineContext.actionExecutionId ?? '';
      const external = work.get(execution);
      if (!external) throw new Error(`unknown execution ${execution}`);
      await clock.sleep(EXTERNAL_CALL_MS);
      if (job.continuationToken === undefined) {
        external.firstRunAt = context.now();
        external.endsAt = context.now() + external.durationMs;
        return continueLater(execution, options);
      }
      return context.now() >= external.endsAt ? success() : continueLater(execution, options);
    },
  };

  for (const execution of executions) {
    void clock.sleepUntil(execution.startAt).then(() => pipeline.queue(execution.id));
  }
  const done = () => pipeline.finished.size === executions.length;
  const timeoutMs = variant.timeoutSeconds * SECOND;
  const reserved = WORKER_DEFAULTS.reservedConcurrentExecutions;
  const invocations: { start: number; end: number; summary: DrainSummary }[] = [];
  let running = 0;
  let throttled = 0;
  let overran = 0;
  void (async () => {
    for (let tick = T0; !done(); tick += WORKER_DEFAULTS.scheduleRateMinutes * MINUTE) {
      await clock.sleepUntil(tick);
      if (done()) return;
      if (running >= reserved) {
        throttled++;
        continue;
      }
      running++;
      const start = clock.now();
      const deadline = start + timeoutMs;
      void workerFor(clock, pipeline, ledger, processor, random)
        .drain({ deadline })
        .then((summary) => {
          running--;
          const end = clock.now();
          if (end > deadline) overran++;
          invocations.push({ start, end, summary });
        });
    }
  })();
  const finished = await clock.run(() => done() && running === 0);
  if (!finished) throw new Error('the simulation stopped before every execution was reported');

  const latencies: number[] = [];
  for (const execution of work.values()) {
    const report = pipeline.finished.get(execution.id);
    if (report?.kind !== 'success') throw new Error(`${execution.id} did not succeed`);
    latencies.push((report.at - execution.endsAt) / SECOND);
  }
  latencies.sort((a, b) => a - b);
  const startWaits = [...work.values()]
    .map((e) => (e.firstRunAt - e.startAt) / SECOND)
    .sort((a, b) => a - b);
  const firstStart = Math.min(...executions.map((e) => e.startAt));
  const lastReport = Math.max(...[...pipeline.finished.values()].map((f) => f.at));
  const windowHours = (lastReport - firstStart) / (60 * MINUTE);
  const waitingHours = executions.reduce((total, e) => total + e.durationMs, 0) / (60 * MINUTE);
  const gbSeconds = invocations.reduce((total, i) => total + billedGbSeconds(i.end - i.start), 0);
  const usd = lambdaUsd(gbSeconds, invocations.length);
  const ticksInWindow = windowHours * (60 / WORKER_DEFAULTS.scheduleRateMinutes);
  const idleUsd = ticksInWindow * lambdaUsd(billedGbSeconds(idleMs), 1);
  const sum = (key: keyof DrainSummary) =>
    invocations.reduce((total, i) => total + i.summary[key], 0);
  return {
    ...variant,
    load: load.name,
    executions: executions.length,
    latency: {
      median: quantile(latencies, 0.5),
      p95: quantile(latencies, 0.95),
      max: latencies[latencies.length - 1] ?? Number.NaN,
    },
    startWait: {
      median: quantile(startWaits, 0.5),
      p95: quantile(startWaits, 0.95),
      max: startWaits[startWaits.length - 1] ?? Number.NaN,
    },
    waitingHours,
    windowHours,
    invocations: invocations.length,
    throttledTicks: throttled,
    billedGbSeconds: gbSeconds,
    usd,
    idleUsd,
    codePipelineCalls: pipeline.calls,
    ledgerWrites: ledger.writes,
    checks,
    checksRunAgain: sum('checksRunAgain'),
    checksContinued: sum('checksContinued'),
    continued: sum('continued'),
    overran,
    deferred: sum('deferred'),
    longestInvocationSeconds: Math.max(...invocations.map((i) => i.end - i.start)) / SECOND,
    perWaitingHour: {
      invocations: invocations.length / waitingHours,
      gbSeconds: gbSeconds / waitingHours,
      usd: usd / waitingHours,
      usdAboveIdle: (usd - idleUsd) / waitingHours,
      codePipelineCalls: pipeline.calls / waitingHours,
      checks: checks / waitingHours,
    },
  };
}

/** Every load under every variant. */
export async function measureCheckAgain(): Promise<CheckAgainBench> {
  const started = performance.now();
  const idleMs = await idleInvocationMs();
  const results: VariantResult[] = [];
  for (const load of LOADS) {
    for (const variant of VARIANTS) results.push(await simulate(load, variant, idleMs));
  }
  return {
    latencies: {
      codePipelineMs: CODEPIPELINE_LATENCY_MS,
      ledgerMs: LEDGER_LATENCY_MS,
      externalMs: EXTERNAL_CALL_MS,
    },
    settings: {
      ...SETTINGS,
      memoryMb: MEMORY_MB,
      reservedConcurrency: WORKER_DEFAULTS.reservedConcurrentExecutions,
      scheduleMinutes: WORKER_DEFAULTS.scheduleRateMinutes,
    },
    idleInvocationMs: idleMs,
    loads: LOADS.map(({ name, description }) => ({ name, description })),
    results,
    realSeconds: (performance.now() - started) / 1000,
  };
}

const SECTION_TITLE = '## Check again';

const variantName = (v: Variant) =>
  v.checkAfterSeconds === undefined
    ? 'one-tick continuation'
    : `check after ${v.checkAfterSeconds} s`;
const s = (value: number) => `${value.toFixed(1)} s`;
const usd = (value: number) =>
  Math.abs(value) < 0.01 ? `$${value.toFixed(5)}` : `$${value.toFixed(4)}`;
const times = (value: number, base: number) => `${(value / base).toFixed(1)}x`;

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

function find(
  bench: CheckAgainBench,
  load: string,
  seconds: number | undefined,
  timeout: number,
): VariantResult {
  const found = bench.results.find(
    (r) => r.load === load && r.checkAfterSeconds === seconds && r.timeoutSeconds === timeout,
  );
  if (!found) throw new Error(`no result for ${load}, ${seconds} s, ${timeout} s`);
  return found;
}

/** Each load's variants against its one-tick continuation, computed from the figures. */
function verdict(bench: CheckAgainBench): string {
  return bench.loads
    .map((load) => {
      const base = find(bench, load.name, undefined, WORKER_DEFAULTS.timeoutSeconds);
      const parts = bench.results
        .filter((r) => r.load === load.name && r.checkAfterSeconds !== undefined)
        .map((r) => {
          const saved = base.latency.median - r.latency.median;
          return `${variantName(r)} with a ${r.timeoutSeconds} s timeout: median ${s(r.latency.median)} (${saved >= 0 ? `${saved.toFixed(1)} s sooner` : `${(-saved).toFixed(1)} s later`}), p95 ${s(r.latency.p95)}, ${usd(r.perWaitingHour.usdAboveIdle)} an hour above idle (${times(r.perWaitingHour.usdAboveIdle, base.perWaitingHour.usdAboveIdle)})`;
        });
      return `- **${load.name}** (${load.description}): the one-tick continuation reports a median ${s(base.latency.median)} and a p95 ${s(base.latency.p95)} after the work ends, for ${usd(base.perWaitingHour.usdAboveIdle)} of Lambda an hour of waiting above what the idle schedule costs. Against it: ${parts.join('; ')}.`;
    })
    .join('\n');
}

/** What the busy load shows of one-tick continuations polled again by the same invocation. */
function hotLoop(bench: CheckAgainBench): string {
  const busy = find(bench, 'busy', undefined, WORKER_DEFAULTS.timeoutSeconds);
  const lone = find(bench, 'lone', undefined, WORKER_DEFAULTS.timeoutSeconds);
  const check = find(bench, 'busy', 15, WORKER_DEFAULTS.timeoutSeconds);
  return `**One-tick continuations are not one tick when the worker is busy.** Alone, a job that
continues is checked ${lone.perWaitingHour.checks.toFixed(0)} times an hour of waiting (once a tick). Under the busy load it is
checked ${busy.perWaitingHour.checks.toFixed(0)} times an hour: an invocation polls until a poll comes back empty, and while more
jobs are in flight than its slots take, the continuations it reports are in the queue when it
polls again, so it runs them again at once, as fast as its calls allow, until its stop time
(the emulator, like this simulation, hands a continuation out as soon as it is queued). That
costs ${busy.perWaitingHour.codePipelineCalls.toFixed(0)} CodePipeline calls and ${(busy.ledgerWrites / busy.waitingHours).toFixed(0)} ledger writes an hour of waiting (a check after 15 s: ${check.perWaitingHour.codePipelineCalls.toFixed(0)} and ${(check.ledgerWrites / check.waitingHours).toFixed(0)}), and
${busy.deferred} polled jobs were left for a later dispatch for want of a slot (in the simulation, dispatched again
${REDISPATCH_MS / SECOND} s later: hence a one-tick max above 60 s). A processor that checks external work should
say when to check again.`;
}

/** What a user should choose, from the figures. */
function choice(bench: CheckAgainBench): string {
  const st = bench.settings;
  const hourUsd = lambdaUsd(billedGbSeconds(60 * MINUTE), 0);
  const lone = find(bench, 'lone', undefined, 60);
  const lone15 = find(bench, 'lone', 15, 60);
  const lone15long = find(bench, 'lone', 15, 300);
  const busy = find(bench, 'busy', undefined, 60);
  const busy15 = find(bench, 'busy', 15, 60);
  const busy15long = find(bench, 'busy', 15, 300);
  const throttled = bench.results.filter((r) => r.throttledTicks > 0);
  const worst = [...throttled].sort((a, b) => b.startWait.p95 - a.startWait.p95)[0];
  const throttling = worst
    ? `the reserved concurrency of ${st.reservedConcurrency} throttled ticks in ${throttled.map((r) => `${r.load} ${variantName(r)} at ${r.timeoutSeconds} s (${r.throttledTicks})`).join(', ')}. An invocation kept alive by its waiting checks polls no more once a poll came back empty, yet holds one of those ${st.reservedConcurrency}: new executions then wait for a tick that gets through (start wait p95 ${s(worst.startWait.p95)} in ${worst.load} ${variantName(worst)} at ${worst.timeoutSeconds} s, against ${s(busy.startWait.p95)} with the default timeout)`
    : `the reserved concurrency of ${st.reservedConcurrency} was never reached here`;
  return `**What to choose.** Check again trades Lambda duration for latency: while a job waits in
the invocation, the invocation runs, and bills, until its last wait ends or its stop time comes:
${usd(hourUsd)} an hour at ${st.memoryMb} MB, shared by every job waiting in it. A job waiting alone pays all of it:
with the default 60 s timeout, a check after 15 s brings its median from ${s(lone.latency.median)} to ${s(lone15.latency.median)} and
its p95 from ${s(lone.latency.p95)} to ${s(lone15.latency.p95)}, for ${usd(lone15.perWaitingHour.usdAboveIdle)} an hour of waiting above idle (the one-tick
continuation: ${usd(lone.perWaitingHour.usdAboveIdle)}). Under the busy load the same check costs ${usd(busy15.perWaitingHour.usdAboveIdle)} an hour of waiting, the
invocation being shared, and it also cuts the CodePipeline calls from ${busy.perWaitingHour.codePipelineCalls.toFixed(0)} to ${busy15.perWaitingHour.codePipelineCalls.toFixed(0)} an hour. A 300 s
timeout lets checks run back to back in one invocation: the p95 falls to ${s(lone15long.latency.p95)} (alone) and ${s(busy15long.latency.p95)}
(busy) for ${usd(lone15long.perWaitingHour.usdAboveIdle)} and ${usd(busy15long.perWaitingHour.usdAboveIdle)} an hour. A check after 60 s gains nothing on a one-minute schedule:
with the 60 s timeout it never fits (it is a one-tick continuation), and with a longer one it
keeps the invocation alive for the same latency. With a 900 s timeout, ${throttling}.
For most actions a check after about 15 s with the construct's default timeout is the choice:
at most ${usd(lone15.perWaitingHour.usdAboveIdle)} an hour of waiting, and the result within about half a minute of the work's end;
a 300 s timeout when a quarter of a minute matters more than a cent an hour.`;
}

/** Whether every drain ended before its invocation's deadline, and polled jobs left unrun. */
function overran(bench: CheckAgainBench): string {
  const late = bench.results.filter((r) => r.overran > 0);
  const deferred = bench.results.filter((r) => r.deferred > 0);
  const lateText =
    late.length === 0
      ? "Every drain ended before its invocation's deadline."
      : `Drains ended after their invocation's deadline in ${late.map((r) => `${r.load} ${variantName(r)} at ${r.timeoutSeconds} s (${r.overran})`).join(', ')}.`;
  const deferredText =
    deferred.length === 0
      ? 'No polled job was left for a later dispatch.'
      : `Polled jobs left for a later dispatch: ${deferred.map((r) => `${r.load} ${variantName(r)} at ${r.timeoutSeconds} s (${r.deferred})`).join(', ')}.`;
  return `${lateText} ${deferredText}`;
}

/** The BENCHMARKS.md section. */
export function renderCheckAgainSection(bench: CheckAgainBench): string {
  const rows = bench.results.map((r) => [
    r.load,
    variantName(r),
    `${r.timeoutSeconds} s`,
    s(r.latency.median),
    s(r.latency.p95),
    s(r.latency.max),
    s(r.startWait.p95),
    r.perWaitingHour.checks.toFixed(0),
    r.perWaitingHour.invocations.toFixed(1),
    r.perWaitingHour.gbSeconds.toFixed(1),
    usd(r.perWaitingHour.usd),
    usd(r.perWaitingHour.usdAboveIdle),
    r.perWaitingHour.codePipelineCalls.toFixed(0),
    (r.ledgerWrites / r.checks).toFixed(2),
    `${r.checksRunAgain} / ${r.checksContinued}`,
    r.throttledTicks === 0 ? '0' : `**${r.throttledTicks}**`,
  ]);
  const st = bench.settings;
  return `${SECTION_TITLE}

A processor that starts external work and checks it until it ends, answered three ways: a
one-tick continuation (\`continueLater(token)\`: each check is a new job, for the next poll),
and \`continueLater(token, { checkAfterSeconds })\` with 15 s and 60 s (the worker runs the
processor again in the same invocation, holding no slot while it waits, when the wait and one
more run fit before the stop time; otherwise the job continues as a continuation). "latency" is
the time from the external work's end to CodePipeline's acceptance of the job's success; the
other figures are per hour of external work waited for (summed over the executions).

**How it is measured.** These figures come from the worker's own scheduling code under a
simulated clock, not from Lambda: \`bench/check-again.ts\` (\`npx tsx bench/check-again.ts
--write\` runs it alone and rewrites this section) runs \`Worker\` (\`lambda/worker/drain.ts\`,
with its \`JobRunner\` and check-again) with \`now\` and \`sleep\` from a virtual clock
(\`bench/virtual-clock.ts\`: time jumps to the next due sleep only once nothing else can run),
against an in-memory CodePipeline (${bench.latencies.codePipelineMs} ms a call) and nonce ledger (${bench.latencies.ledgerMs} ms a call), with
a processor whose call to the external work takes ${bench.latencies.externalMs} ms. No network, no Lambda;
deterministic for its seeds (${bench.realSeconds.toFixed(0)} s of real time for every row). The work lasts 2 to 20 minutes
(seeded uniform draws) from the execution's first run. EventBridge invokes a drain every
${st.scheduleMinutes} minute (the construct's schedule), at most ${st.reservedConcurrency} at once (its reserved concurrency: a tick
that finds them all running is counted as throttled and dropped), each with the function's
timeout as its time left and the construct's defaults: concurrency ${st.concurrency}, batch size ${st.batchSize},
DEADLINE_MARGIN ${st.deadlineMarginMs / 1000} s (no job taken, and no check run, in the last ${st.deadlineMarginMs / 1000} s). A job reported with a
token becomes a new job at once. An invocation is billed from its start to the drain's end
(rounded up to the ms) at ${st.memoryMb} MB, at the Lambda prices of section 4 (duration and requests);
"above idle" subtracts what the same window's ticks cost finding nothing (${bench.idleInvocationMs} ms each here).
${overran(bench)}

**Not included**: cold starts and the handler's time around the drain; real API latency and its
spread; EventBridge's delivery jitter; any delay before CodePipeline hands out a continuation
job; the STARTED events that also invoke the function; Lambda's retries of throttled
invocations; DynamoDB's and CloudWatch's costs (the ledger writes are counted: a check run again
records its report, one write, where a continuation claims, records and completes a new job).

${table(
  [
    'load',
    'variant',
    'timeout',
    'latency median',
    'p95',
    'max',
    'start wait p95',
    'checks / h',
    'invocations / h',
    'GB-s / h',
    'Lambda $ / h',
    '$ / h above idle',
    'CodePipeline calls / h',
    'ledger writes / check',
    'checks run again / continued',
    'throttled ticks',
  ],
  rows,
)}

${verdict(bench)}

${hotLoop(bench)}

${choice(bench)}`;
}

function printTable(bench: CheckAgainBench): void {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(
    'load  variant                 timeout  median     p95     max  start95 checks/h  inv/h   GB-s/h        $/h  above idle   CP/h  writes/check  again/continued  throttled',
  );
  for (const r of bench.results) {
    out(
      [
        r.load.padEnd(5),
        variantName(r).padEnd(22),
        `${r.timeoutSeconds} s`.padStart(7),
        s(r.latency.median).padStart(8),
        s(r.latency.p95).padStart(7),
        s(r.latency.max).padStart(7),
        s(r.startWait.p95).padStart(7),
        r.perWaitingHour.checks.toFixed(0).padStart(8),
        r.perWaitingHour.invocations.toFixed(1).padStart(6),
        r.perWaitingHour.gbSeconds.toFixed(1).padStart(8),
        usd(r.perWaitingHour.usd).padStart(10),
        usd(r.perWaitingHour.usdAboveIdle).padStart(11),
        r.perWaitingHour.codePipelineCalls.toFixed(0).padStart(6),
        (r.ledgerWrites / r.checks).toFixed(2).padStart(12),
        `${r.checksRunAgain}/${r.checksContinued}`.padStart(16),
        String(r.throttledTicks).padStart(10),
      ].join(' '),
    );
  }
  out('');
  out(overran(bench));
  out(verdict(bench));
  out(`(${bench.realSeconds.toFixed(1)} s of real time)`);
}

/** Replaces (or appends) this section of BENCHMARKS.md. */
export function replaceSection(markdown: string, section: string): string {
  const start = markdown.indexOf(`\n${SECTION_TITLE}\n`);
  if (start < 0) return `${markdown.trimEnd()}\n\n${section}\n`;
  const head = markdown.slice(0, start + 1);
  const next = markdown.indexOf('\n## ', start + 1);
  return next < 0 ? `${head}${section}\n` : `${head}${section}\n\n${markdown.slice(next + 1)}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      write: { type: 'boolean', default: false },
    },
  });
  const bench = await measureCheckAgain();
  if (values.json) process.stdout.write(`${JSON.stringify(bench, null, 2)}\n`);
  else printTable(bench);
  if (values.write) {
    const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
    writeFileSync(file, replaceSection(readFileSync(file, 'utf8'), renderCheckAgainSection(bench)));
    process.stderr.write('BENCHMARKS.md: check-again section written\n');
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(
        `bench failed: ${error instanceof Error ? error.stack : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
