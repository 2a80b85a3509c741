/**
 * `npm run bench`: what a user pays for and waits for, measured on this machine and written
 * to BENCHMARKS.md.
 *
 *   npm run bench               every measurement; a summary on stdout
 *   npm run -s bench -- --json  the same, as JSON on stdout (-s: without npm's banner)
 *   npm run bench -- --quick    one round of drains instead of three (noisier)
 *   npm run bench -- --changes "what changed in the code"   said at the top of BENCHMARKS.md,
 *                               above the summary figures that moved since the last run
 *
 * 1. Cold start: the handler bundled as the CDK stack bundles it (lib/bundling.ts), its
 *    size, and fresh Node processes importing it against an empty handler bundled alike.
 * 2. Drain: jobs queued in the CodePipeline emulator (own process, 50 ms added per call),
 *    DynamoDB in dynalite (own process), one invocation of the worker (own process).
 * 3. API economy: calls per job, counted by an SDK middleware and by the emulator.
 * 4. Cost: the measurements priced (bench/cost.ts).
 * 5. Check again: the worker's scheduling of checks and continuations under a simulated clock
 *    (bench/check-again.ts, runnable alone).
 */
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { INTEGER_SETTINGS } from '../lambda/contract.js';
import { checkSubstitutes, substituteFile } from '../lib/bundle-substitutes.js';
import { measureArtifacts } from './artifacts.js';
import { type Bundle, bundle, NO_OP_TRACER, stopBundler } from './bundle.js';
import { renderChanges } from './changes.js';
import { measureCheckAgain } from './check-again.js';
import {
  type ColdStartSeries,
  measureColdStarts,
  median,
  profileColdImport,
} from './cold-start.js';
import { estimateCosts } from './cost.js';
import { type DrainResult, runDrain } from './drain.js';
import { type DeployedShape, synthesizeDefaultStack } from './infra.js';
import { measureInstallFootprint } from './install-footprint.js';
import { lambdaEnvironment } from './lambda-env.js';
import { REPO_ROOT, S3_PROCESSOR_ENTRY, SAMPLE_ENTRY, WORK_DIR } from './paths.js';
import { run } from './processes.js';
import {
  type BenchResult,
  drainFloor,
  renderMarkdown,
  summarize,
  type TargetCheck,
} from './report.js';
import { startDynaliteProcess } from './servers.js';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    changes: { type: 'string' },
  },
});

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const LATENCY_MS = 50;
const DRAIN_JOBS = 1_000;
const SEQUENTIAL_JOBS = 100;
const COLD_START_RUNS = 31;
const IMPORT_PROFILE_RUNS = 7;
const DRAIN_RUNS = flags.quick ? 1 : 3;
/** The unbounded reference of the report bound: the largest bound the setting accepts. */
const UNBOUNDED_REPORTS = INTEGER_SETTINGS.reportConcurrency.max;

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function sdkCallCost(deployed: DeployedShape, workerBundle: string) {
  const dynamo = await startDynaliteProcess();
  try {
    const reportFile = path.join(WORK_DIR, 'sdk-calls.json');
    const finished = await run(process.execPath, [workerBundle], {
      cwd: path.dirname(workerBundle),
      env: lambdaEnvironment({
        functionEnvironment: deployed.environment,
        memoryMb: deployed.memoryMb,
        tableName: dynamo.tableName,
        taskRoot: path.dirname(workerBundle),
        dynamoDbEndpoint: dynamo.endpoint,
        overrides: { BENCH_REPORT_FILE: reportFile, BENCH_SDK_CALLS: '2000' },
      }),
      timeoutMs: 120_000,
    });
    if (finished.code !== 0) throw new Error(`sdk-calls failed: ${finished.stderr.slice(-2_000)}`);
    return JSON.parse(readFileSync(reportFile, 'utf8')) as {
      calls: number;
      cpuMsPerCall: number;
      wallMsPerCall: number;
    };
  } finally {
    await dynamo.close();
  }
}

const perJob = (counts: Record<string, number>, jobs: number, match: (key: string) => boolean) =>
  Object.entries(counts)
    .filter(([key]) => match(key))
    .reduce((total, [, count]) => total + count, 0) / jobs;

const DYNAMO_WRITES = /:(UpdateItem|PutItem|DeleteItem|BatchWriteItem|TransactWriteItems)Command$/;
const DYNAMO_READS = /:(GetItem|Query|Scan|BatchGetItem|TransactGetItems)Command$/;

/** The bundles every measurement uses, built as the stack builds them. */
async function bundleAll() {
  const worker = await bundle(SAMPLE_ENTRY, path.join(WORK_DIR, 'handler'));
  const empty = await bundle('bench/fixtures/empty-handler.ts', path.join(WORK_DIR, 'empty'));
  const plain = await bundle(SAMPLE_ENTRY, path.join(WORK_DIR, 'handler-without-substitutes'), {
    withoutSubstitutes: true,
  });
  const s3Processor = await bundle(S3_PROCESSOR_ENTRY, path.join(WORK_DIR, 's3-processor'));
  const s3ProcessorPlain = await bundle(
    S3_PROCESSOR_ENTRY,
    path.join(WORK_DIR, 's3-processor-without-substitutes'),
    { withoutSubstitutes: true },
  );
  const untracedHandler = await bundle(SAMPLE_ENTRY, path.join(WORK_DIR, 'handler-no-tracer'), {
    alias: NO_OP_TRACER,
  });
  const sdkClientsOnly = await bundle(
    'bench/fixtures/sdk-clients-handler.ts',
    path.join(WORK_DIR, 'sdk-clients-only'),
  );
  const drainWorker = await bundle('bench/drain-invoke.ts', path.join(WORK_DIR, 'drain-worker'));
  const drainWorkerNoTracer = await bundle(
    'bench/drain-invoke.ts',
    path.join(WORK_DIR, 'drain-worker-no-tracer'),
    { alias: NO_OP_TRACER },
  );
  const sdkWorker = await bundle('bench/sdk-calls.ts', path.join(WORK_DIR, 'sdk-calls'));
  await stopBundler();
  return {
    worker,
    empty,
    plain,
    s3Processor,
    s3ProcessorPlain,
    untracedHandler,
    sdkClientsOnly,
    drainWorker,
    drainWorkerNoTracer,
    sdkWorker,
  };
}

type Bundles = Awaited<ReturnType<typeof bundleAll>>;

/**
 * The deployed bundle again, started with Node's own source-map support, which reads the
 * whole map at import (the worker maps stack traces itself, lazily: lambda/source-maps.ts).
 */
function eagerSourceMapsCopy(worker: Bundle): string {
  const eagerMapsDir = path.join(WORK_DIR, 'handler-eager-source-maps');
  mkdirSync(eagerMapsDir, { recursive: true });
  const eagerMaps = path.join(eagerMapsDir, 'index.mjs');
  copyFileSync(worker.file, eagerMaps);
  copyFileSync(`${worker.file}.map`, `${eagerMaps}.map`);
  return eagerMaps;
}

/** Cold starts in the function's environment, in the shell's, and the import profiles. */
async function measureColdStartSeries(deployed: DeployedShape, bundles: Bundles) {
  const { worker, empty, plain } = bundles;
  progress(`cold starts: ${COLD_START_RUNS} fresh processes per bundle, interleaved`);
  const eagerMaps = eagerSourceMapsCopy(worker);
  const coldEnv = (file: string) => ({
    ...lambdaEnvironment({
      functionEnvironment: deployed.environment,
      memoryMb: deployed.memoryMb,
      tableName: 'ledger',
      taskRoot: path.dirname(file),
    }),
    ...(file === eagerMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  });
  const series = await measureColdStarts(
    [
      { label: 'empty handler', file: empty.file },
      { label: 'worker handler', file: worker.file },
      { label: 'worker without substitutes', file: plain.file },
      { label: 'worker with a no-op tracer', file: bundles.untracedHandler.file },
      { label: 'worker with --enable-source-maps', file: eagerMaps },
      { label: 'the two SDK clients alone', file: bundles.sdkClientsOnly.file },
      { label: 'S3 processor', file: bundles.s3Processor.file },
      { label: 'S3 processor without substitutes', file: bundles.s3ProcessorPlain.file },
    ],
    COLD_START_RUNS,
    coldEnv,
  );

  progress(`cold starts in this machine's shell environment (${COLD_START_RUNS} per bundle)`);
  const shell = await measureColdStarts(
    [
      { label: 'empty handler', file: empty.file },
      { label: 'worker handler', file: worker.file },
      { label: 'worker without substitutes', file: plain.file },
    ],
    COLD_START_RUNS,
    (file) => ({ ...(process.env as Record<string, string>), ...coldEnv(file) }),
  );

  progress(`cold import profiles: ${IMPORT_PROFILE_RUNS} processes per bundle under V8's profiler`);
  const profile = {
    empty: await profileColdImport(empty.file, coldEnv(empty.file), IMPORT_PROFILE_RUNS),
    worker: await profileColdImport(worker.file, coldEnv(worker.file), IMPORT_PROFILE_RUNS),
  };
  return { ...namedSeries(series), shell: namedShellSeries(shell), profile };
}

function namedSeries(series: readonly (ColdStartSeries | undefined)[]) {
  const [empty, worker, plain, noTracer, eagerMaps, sdk, s3, s3Plain] = series;
  if (!empty || !worker || !plain || !noTracer || !eagerMaps || !sdk || !s3 || !s3Plain) {
    throw new Error('cold start series missing');
  }
  return { empty, worker, plain, noTracer, eagerMaps, sdk, s3, s3Plain };
}

function namedShellSeries(series: readonly (ColdStartSeries | undefined)[]) {
  const [empty, worker, plain] = series;
  if (!empty || !worker || !plain) throw new Error('cold start series missing');
  return { empty, worker, plain };
}

type ColdStarts = Awaited<ReturnType<typeof measureColdStartSeries>>;

/**
 * The drains and the SDK reference, round after round. Each round runs every variant once,
 * so that the machine's load weighs on all alike.
 */
async function runDrainRounds(deployed: DeployedShape, bundles: Bundles) {
  const rounds = {
    drains: [] as DrainResult[],
    untracedRuns: [] as DrainResult[],
    noTracerRuns: [] as DrainResult[],
    withoutRecordRuns: [] as DrainResult[],
    sequential: [] as DrainResult[],
    cpuBoundRuns: [] as DrainResult[],
    unboundedReportRuns: [] as DrainResult[],
    sdkRuns: [] as Awaited<ReturnType<typeof sdkCallCost>>[],
  };
  const common = { deployed, latencyMs: LATENCY_MS, workDir: WORK_DIR };
  const drainWorker = bundles.drainWorker.file;
  for (let round = 1; round <= DRAIN_RUNS; round++) {
    const of = `${round}/${DRAIN_RUNS}`;
    const drain = (label: string, options: Partial<Parameters<typeof runDrain>[0]>) =>
      runDrain({
        ...common,
        label: `${label}-${round}`,
        workerBundle: drainWorker,
        jobs: DRAIN_JOBS,
        tracing: true,
        ...options,
      });
    progress(`round ${of}: ${DRAIN_JOBS} jobs, default settings (tracing on)`);
    rounds.drains.push(await drain('default', { idleInvocation: true }));
    progress(`round ${of}: ${DRAIN_JOBS} jobs, tracing off`);
    rounds.untracedRuns.push(await drain('tracing-off', { tracing: false }));
    progress(`round ${of}: ${DRAIN_JOBS} jobs, no-op tracer (reference, never deployed)`);
    rounds.noTracerRuns.push(
      await drain('no-op-tracer', { workerBundle: bundles.drainWorkerNoTracer.file }),
    );
    progress(`round ${of}: ${DRAIN_JOBS} jobs, without the report's record (reference)`);
    rounds.withoutRecordRuns.push(await drain('without-record', { withoutRecord: true }));
    progress(`round ${of}: SDK reference, CPU per DynamoDB call with the worker's client settings`);
    rounds.sdkRuns.push(await sdkCallCost(deployed, bundles.sdkWorker.file));
    progress(`round ${of}: ${SEQUENTIAL_JOBS} jobs, concurrency 1`);
    rounds.sequential.push(await drain('sequential', { jobs: SEQUENTIAL_JOBS, concurrency: 1 }));
    progress(`round ${of}: ${DRAIN_JOBS} jobs, no latency added (the CPU floor)`);
    rounds.cpuBoundRuns.push(await drain('no-latency', { latencyMs: 0 }));
    progress(
      `round ${of}: ${DRAIN_JOBS} jobs, reports bounded at ${UNBOUNDED_REPORTS} (reference)`,
    );
    rounds.unboundedReportRuns.push(
      await drain('unbounded-reports', {
        env: { [INTEGER_SETTINGS.reportConcurrency.variable]: String(UNBOUNDED_REPORTS) },
      }),
    );
  }
  return rounds;
}

type DrainRounds = Awaited<ReturnType<typeof runDrainRounds>>;

const cpuPerJob = (runs: DrainResult[]) =>
  median(runs.map((d) => d.drain.cpuUserMs + d.drain.cpuSystemMs)) / DRAIN_JOBS;

/** Mean time per call of each operation, as the worker saw it, over every run. */
function latencyPerCall(runs: DrainResult[]): Record<string, number> {
  const totals: Record<string, { ms: number; calls: number }> = {};
  for (const { drain } of runs) {
    for (const [key, ms] of Object.entries(drain.latencyMs)) {
      const total = totals[key] ?? { ms: 0, calls: 0 };
      total.ms += ms;
      total.calls += drain.commands[key] ?? 0;
      totals[key] = total;
    }
  }
  return Object.fromEntries(
    Object.entries(totals).map(([key, { ms, calls }]) => [key, ms / Math.max(1, calls)]),
  );
}

/** Calls per job, counted by the SDK middleware and the emulator in the first drain. */
function apiEconomy(first: DrainResult): BenchResult['api'] {
  const commands = first.drain.commands;
  const cpJobs = (op: string) =>
    perJob(commands, DRAIN_JOBS, (key) => key === `codepipeline:${op}Command`);
  return {
    codePipeline: {
      acknowledgePerJob: cpJobs('AcknowledgeJob'),
      resultPerJob: cpJobs('PutJobSuccessResult') + cpJobs('PutJobFailureResult'),
      pollsPerJob: cpJobs('PollForJobs'),
      otherPerJob: perJob(
        commands,
        DRAIN_JOBS,
        (key) =>
          key.startsWith('codepipeline:') &&
          !/(AcknowledgeJob|PutJobSuccessResult|PutJobFailureResult|PollForJobs)Command$/.test(key),
      ),
    },
    dynamo: {
      writesPerJob: perJob(commands, DRAIN_JOBS, (key) => DYNAMO_WRITES.test(key)),
      readsPerJob: perJob(
        commands,
        DRAIN_JOBS,
        (key) => DYNAMO_READS.test(key) && key !== 'dynamodb:QueryCommand',
      ),
      queriesPerInvocation: commands['dynamodb:QueryCommand'] ?? 0,
    },
    sdkCommands: commands,
    sdkAttempts: first.drain.attempts,
    emulatorCalls: first.emulatorCalls,
  };
}

/** The SDK reference's medians. */
function sdkFigures(sdkRuns: DrainRounds['sdkRuns']): BenchResult['sdk'] {
  return {
    calls: sdkRuns[0]?.calls ?? 0,
    cpuMsPerCall: median(sdkRuns.map((run) => run.cpuMsPerCall)),
    wallMsPerCall: median(sdkRuns.map((run) => run.wallMsPerCall)),
    runs: sdkRuns.map((run) => run.cpuMsPerCall),
  };
}

/** The drains' figures: medians over the rounds, the first drain's counts and idle tick. */
function drainFigures(deployed: DeployedShape, rounds: DrainRounds): BenchResult['drain'] {
  const { drains, sequential } = rounds;
  const concurrency = Number(deployed.environment.CONCURRENCY);
  const wallMs = median(drains.map((d) => d.drain.wallMs));
  const cpuMs = median(drains.map((d) => d.drain.cpuUserMs + d.drain.cpuSystemMs));
  const sequentialWallMs = median(sequential.map((d) => d.drain.wallMs));
  const first = drains[0] as DrainResult;
  const idle = idleOf(first);
  const reference = (runs: DrainResult[]) => ({
    wallMs: median(runs.map((d) => d.drain.wallMs)),
    cpuMsPerJob: cpuPerJob(runs),
  });
  const floor = drainFloor({
    jobs: DRAIN_JOBS,
    concurrency,
    latencyMs: LATENCY_MS,
    commands: first.drain.commands,
    latencyMsPerCall: latencyPerCall(sequential),
    cpuMsPerJob: cpuPerJob(rounds.cpuBoundRuns),
  });
  const wallRuns = (runs: DrainResult[]) => runs.map((d) => d.drain.wallMs);
  // The drains' jobs all succeed (runDrain checks it): their reports are PutJobSuccessResult.
  const peakReports = (runs: DrainResult[]) =>
    Math.max(
      ...runs.map((d) => d.drain.peakInFlight['codepipeline:PutJobSuccessResultCommand'] ?? 0),
    );
  const unboundedWallMs = median(wallRuns(rounds.unboundedReportRuns));
  return {
    jobs: DRAIN_JOBS,
    latencyMs: LATENCY_MS,
    concurrency,
    batchSize: Number(deployed.environment.BATCH_SIZE),
    runs: DRAIN_RUNS,
    wallMs,
    wallMsRuns: drains.map((d) => d.drain.wallMs),
    jobsPerSecond: DRAIN_JOBS / (wallMs / 1000),
    floor,
    floorRatio: wallMs / floor.ms,
    latencyFloorRatio: wallMs / floor.latencyMs,
    cpuFloorRatio: wallMs / floor.cpuMs,
    cpuBound: {
      wallMs: median(wallRuns(rounds.cpuBoundRuns)),
      wallMsRuns: wallRuns(rounds.cpuBoundRuns),
      cpuMsPerJobRuns: rounds.cpuBoundRuns.map(
        (d) => (d.drain.cpuUserMs + d.drain.cpuSystemMs) / DRAIN_JOBS,
      ),
    },
    reports: {
      concurrency: Number(deployed.environment[INTEGER_SETTINGS.reportConcurrency.variable]),
      unboundedConcurrency: UNBOUNDED_REPORTS,
      unboundedWallMs,
      unboundedWallMsRuns: wallRuns(rounds.unboundedReportRuns),
      ratio: wallMs / unboundedWallMs,
      peakInFlight: peakReports(drains),
      unboundedPeakInFlight: peakReports(rounds.unboundedReportRuns),
    },
    cpuMsPerJob: cpuMs / DRAIN_JOBS,
    cpuMsPerJobRuns: drains.map((d) => (d.drain.cpuUserMs + d.drain.cpuSystemMs) / DRAIN_JOBS),
    cpuUserMsPerJob: median(drains.map((d) => d.drain.cpuUserMs)) / DRAIN_JOBS,
    cpuSystemMsPerJob: median(drains.map((d) => d.drain.cpuSystemMs)) / DRAIN_JOBS,
    untraced: reference(rounds.untracedRuns),
    withoutRecord: reference(rounds.withoutRecordRuns),
    noTracer: reference(rounds.noTracerRuns),
    latencyMsPerCall: latencyPerCall(drains),
    xraySegments: first.xraySegments,
    xrayBytes: first.xrayBytes,
    maxRssMb: Math.max(...drains.map((d) => d.maxRssMb)),
    logBytesPerJob: first.drain.logBytes / DRAIN_JOBS,
    sequential: {
      jobs: SEQUENTIAL_JOBS,
      wallMs: sequentialWallMs,
      wallMsRuns: sequential.map((d) => d.drain.wallMs),
      msPerJob: sequentialWallMs / SEQUENTIAL_JOBS,
      cpuMsPerJob:
        median(sequential.map((d) => d.drain.cpuUserMs + d.drain.cpuSystemMs)) / SEQUENTIAL_JOBS,
      latencyMsPerCall: latencyPerCall(sequential),
    },
    speedUp: sequentialWallMs / SEQUENTIAL_JOBS / (wallMs / DRAIN_JOBS),
    idle: {
      wallMs: median(drains.flatMap((d) => (d.idle ? [d.idle.wallMs] : []))),
      logBytes: idle.logBytes,
      logLines: idle.logLines,
      commands: idle.commands,
    },
  };
}

function idleOf(first: DrainResult): NonNullable<DrainResult['idle']> {
  if (!first.idle) throw new Error('the idle invocation is missing');
  return first.idle;
}

/** The measurements priced (bench/cost.ts). */
function costFigures(
  deployed: DeployedShape,
  rounds: DrainRounds,
  drain: BenchResult['drain'],
  api: BenchResult['api'],
  workerColdStartMs: number,
) {
  const first = rounds.drains[0] as DrainResult;
  const idle = idleOf(first);
  return estimateCosts({
    deployed,
    idle: { durationMs: drain.idle.wallMs, logBytes: idle.logBytes, logLines: idle.logLines },
    coldStartMs: workerColdStartMs,
    drain: {
      jobs: DRAIN_JOBS,
      durationMs: drain.wallMs,
      cpuMs: median(rounds.drains.map((d) => d.drain.cpuUserMs + d.drain.cpuSystemMs)),
      logBytes: first.drain.logBytes,
      logLines: first.drain.logLines,
      dynamoWrites: api.dynamo.writesPerJob * DRAIN_JOBS,
      dynamoReads: api.dynamo.queriesPerInvocation + api.dynamo.readsPerJob * DRAIN_JOBS,
    },
    ledgerItemBytes: first.ledgerItemBytes,
    idleMetrics: idle.metricNames,
  });
}

function bundleFigures(bundles: Bundles): BenchResult['bundle'] {
  return {
    bytes: bundles.worker.bytes,
    sourceMapBytes: bundles.worker.sourceMapBytes,
    emptyBytes: bundles.empty.bytes,
    withoutSubstitutesBytes: bundles.plain.bytes,
    noTracerBytes: bundles.untracedHandler.bytes,
    sdkClientsBytes: bundles.sdkClientsOnly.bytes,
    s3ProcessorBytes: bundles.s3Processor.bytes,
    s3ProcessorWithoutSubstitutesBytes: bundles.s3ProcessorPlain.bytes,
    composition: bundles.worker.composition.slice(0, 14),
  };
}

function coldStartFigures(cold: ColdStarts): BenchResult['coldStart'] {
  const emptyMs = cold.empty.medianProcessMs;
  const vsEmpty = (series: ColdStartSeries) => series.medianProcessMs / emptyMs;
  return {
    runs: COLD_START_RUNS,
    emptyMs,
    workerMs: cold.worker.medianProcessMs,
    withoutSubstitutesMs: cold.plain.medianProcessMs,
    ratio: vsEmpty(cold.worker),
    withoutSubstitutesRatio: vsEmpty(cold.plain),
    noTracerMs: cold.noTracer.medianProcessMs,
    noTracerRatio: vsEmpty(cold.noTracer),
    eagerSourceMapsMs: cold.eagerMaps.medianProcessMs,
    eagerSourceMapsRatio: vsEmpty(cold.eagerMaps),
    sdkClientsMs: cold.sdk.medianProcessMs,
    sdkClientsRatio: vsEmpty(cold.sdk),
    s3ProcessorMs: cold.s3.medianProcessMs,
    s3ProcessorRatio: vsEmpty(cold.s3),
    s3ProcessorWithoutSubstitutesMs: cold.s3Plain.medianProcessMs,
    s3ProcessorWithoutSubstitutesRatio: vsEmpty(cold.s3Plain),
    emptyReadyMs: cold.empty.medianReadyMs,
    workerReadyMs: cold.worker.medianReadyMs,
    shell: {
      emptyMs: cold.shell.empty.medianProcessMs,
      workerMs: cold.shell.worker.medianProcessMs,
      withoutSubstitutesMs: cold.shell.plain.medianProcessMs,
      extraCaCerts: process.env.NODE_EXTRA_CA_CERTS !== undefined,
    },
    profile: cold.profile,
  };
}

function machineFigures(loadBefore: number[]): BenchResult['machine'] {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: os.totalmem() / GIB,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadBefore,
    loadAfter: [0, 0, 0],
  };
}

/**
 * Sections of BENCHMARKS.md that scripts of their own write (`bench/init-to-synth.ts --write`):
 * kept as they are when the rest is rendered again.
 */
const KEPT_SECTIONS = ['## From init to cdk synth'];

function keptSections(current: string): string {
  return KEPT_SECTIONS.map((heading) => {
    const start = current.indexOf(`\n${heading}\n`);
    if (start < 0) return '';
    const next = current.indexOf('\n## ', start + heading.length + 1);
    return `\n${current.slice(start + 1, next < 0 ? undefined : next + 1).trimEnd()}\n`;
  }).join('');
}

/** BENCHMARKS.md, and the summary (or the JSON) on stdout. */
function writeResult(result: BenchResult): void {
  const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
  const previous = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  result.changes = renderChanges(
    flags.changes,
    previous,
    result.targets.map((target) => ({ name: target.name, value: target.value, met: target.met })),
  );
  writeFileSync(file, `${renderMarkdown(result).trimEnd()}\n${keptSections(previous ?? '')}`);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  for (const target of result.targets) {
    process.stdout.write(
      `${target.met ? 'met   ' : 'MISSED'}  ${target.name}: ${target.value} (target ${target.target})\n`,
    );
  }
  process.stdout.write(`BENCHMARKS.md written (${result.durationSeconds.toFixed(0)} s)\n`);
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = os.loadavg();
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });

  progress('synthesizing the default stack (bundling skipped) for its settings');
  const deployed = synthesizeDefaultStack();
  progress('bundling as the stack does');
  const bundles = await bundleAll();
  const cold = await measureColdStartSeries(deployed, bundles);
  const rounds = await runDrainRounds(deployed, bundles);
  const artifacts = await measureArtifacts({ progress });
  progress("installing the packed package into two fresh apps (a consumer's install)");
  const install = measureInstallFootprint();
  progress(
    'check again against one-tick continuations, simulated (the worker under a virtual clock)',
  );
  const checkAgain = await measureCheckAgain();

  const drain = drainFigures(deployed, rounds);
  const api = apiEconomy(rounds.drains[0] as DrainResult);
  const result: BenchResult = {
    generatedAt: new Date().toISOString(),
    durationSeconds: 0,
    machine: machineFigures(loadBefore),
    deployed,
    substitutes: substitutesUsed(),
    bundle: bundleFigures(bundles),
    coldStart: coldStartFigures(cold),
    sdk: sdkFigures(rounds.sdkRuns),
    drain,
    api,
    cost: costFigures(deployed, rounds, drain, api, cold.worker.medianProcessMs),
    artifacts,
    install,
    checkAgain,
    targets: [] as TargetCheck[],
  };
  result.machine.loadAfter = os.loadavg();
  result.durationSeconds = (performance.now() - started) / 1000;
  result.targets = summarize(result);
  writeResult(result);
}

const GIB = 2 ** 30;

/** The import paths the measured bundles substitute, with the module of each. */
function substitutesUsed(): Record<string, string> {
  return Object.fromEntries(
    checkSubstitutes(REPO_ROOT)
      .filter((verdict) => verdict.used)
      .flatMap(({ substitute }) =>
        substitute.replaces.map((name) => [
          name,
          path.relative(REPO_ROOT, substituteFile(substitute.module)),
        ]),
      ),
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
