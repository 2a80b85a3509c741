/**
 * `npm run bench`: what a user pays for and waits for, measured on this machine and written
 * to BENCHMARKS.md.
 *
 *   npm run bench               every measurement; a summary on stdout
 *   npm run -s bench -- --json  the same, as JSON on stdout (-s: without npm's banner)
 *   npm run bench -- --quick    one round of drains instead of three (noisier)
 *   npm run bench -- --artifact-mb 1024   the artifact benchmark on 1 GB (default 256 MB)
 *
 * 1. Cold start: the handler bundled as the CDK stack bundles it (lib/bundling.ts), its
 *    size, and fresh Node processes importing it against an empty handler bundled alike.
 * 2. Drain: jobs queued in the CodePipeline emulator (own process, 50 ms added per call),
 *    DynamoDB in dynalite (own process), one invocation of the worker (own process).
 * 3. API economy: calls per job, counted by an SDK middleware and by the emulator.
 * 4. Cost: the measurements priced (bench/cost.ts).
 */
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkSubstitutes, substituteFile } from '../lib/bundle-substitutes.js';
import { measureArtifacts } from './artifacts.js';
import { bundle, NO_OP_TRACER, stopBundler } from './bundle.js';
import { measureColdStarts, median, profileColdImport } from './cold-start.js';
import { estimateCosts } from './cost.js';
import { type DrainResult, runDrain } from './drain.js';
import { type DeployedShape, synthesizeDefaultStack } from './infra.js';
import { lambdaEnvironment } from './lambda-env.js';
import { REPO_ROOT, S3_PROCESSOR_ENTRY, SAMPLE_ENTRY, WORK_DIR } from './paths.js';
import { run } from './processes.js';
import { type BenchResult, renderMarkdown, summarize, type TargetCheck } from './report.js';
import { startDynaliteProcess } from './servers.js';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    'artifact-mb': { type: 'string', default: '256' },
  },
});

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const LATENCY_MS = 50;
const DRAIN_JOBS = 1_000;
const SEQUENTIAL_JOBS = 100;
const COLD_START_RUNS = 31;
const IMPORT_PROFILE_RUNS = 7;
const DRAIN_RUNS = flags.quick ? 1 : 3;
/**
 * CodePipeline calls on a job's critical path, AcknowledgeJob and the result: the drain's
 * reference is these calls made one slot at a time (the result no longer holds the slot).
 */
const CRITICAL_PATH_CALLS = 2;

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

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = os.loadavg();
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });

  progress('synthesizing the default stack (bundling skipped) for its settings');
  const deployed = synthesizeDefaultStack();

  progress('bundling as the stack does');
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

  progress(`cold starts: ${COLD_START_RUNS} fresh processes per bundle, interleaved`);
  // The deployed bundle again, started with Node's own source-map support, which reads the
  // whole map at import (the worker maps stack traces itself, lazily: lambda/source-maps.ts).
  const eagerMapsDir = path.join(WORK_DIR, 'handler-eager-source-maps');
  mkdirSync(eagerMapsDir, { recursive: true });
  const eagerMaps = path.join(eagerMapsDir, 'index.mjs');
  copyFileSync(worker.file, eagerMaps);
  copyFileSync(`${worker.file}.map`, `${eagerMaps}.map`);
  const coldEnv = (file: string) => ({
    ...lambdaEnvironment({
      functionEnvironment: deployed.environment,
      memoryMb: deployed.memoryMb,
      tableName: 'ledger',
      taskRoot: path.dirname(file),
    }),
    ...(file === eagerMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  });
  const [
    emptySeries,
    workerSeries,
    plainSeries,
    noTracerSeries,
    eagerMapsSeries,
    sdkSeries,
    s3Series,
    s3PlainSeries,
  ] = await measureColdStarts(
    [
      { label: 'empty handler', file: empty.file },
      { label: 'worker handler', file: worker.file },
      { label: 'worker without substitutes', file: plain.file },
      { label: 'worker with a no-op tracer', file: untracedHandler.file },
      { label: 'worker with --enable-source-maps', file: eagerMaps },
      { label: 'the two SDK clients alone', file: sdkClientsOnly.file },
      { label: 'S3 processor', file: s3Processor.file },
      { label: 'S3 processor without substitutes', file: s3ProcessorPlain.file },
    ],
    COLD_START_RUNS,
    coldEnv,
  );
  if (
    !emptySeries ||
    !workerSeries ||
    !plainSeries ||
    !noTracerSeries ||
    !eagerMapsSeries ||
    !sdkSeries ||
    !s3Series ||
    !s3PlainSeries
  ) {
    throw new Error('cold start series missing');
  }

  progress(`cold starts in this machine's shell environment (${COLD_START_RUNS} per bundle)`);
  const [shellEmpty, shellWorker, shellPlain] = await measureColdStarts(
    [
      { label: 'empty handler', file: empty.file },
      { label: 'worker handler', file: worker.file },
      { label: 'worker without substitutes', file: plain.file },
    ],
    COLD_START_RUNS,
    (file) => ({ ...(process.env as Record<string, string>), ...coldEnv(file) }),
  );
  if (!shellEmpty || !shellWorker || !shellPlain) throw new Error('cold start series missing');

  progress(`cold import profiles: ${IMPORT_PROFILE_RUNS} processes per bundle under V8's profiler`);
  const importProfile = {
    empty: await profileColdImport(empty.file, coldEnv(empty.file), IMPORT_PROFILE_RUNS),
    worker: await profileColdImport(worker.file, coldEnv(worker.file), IMPORT_PROFILE_RUNS),
  };

  // Each round runs every variant once, so that the machine's load weighs on all alike.
  const drains: DrainResult[] = [];
  const untracedRuns: DrainResult[] = [];
  const noTracerRuns: DrainResult[] = [];
  const withoutRecordRuns: DrainResult[] = [];
  const sequential: DrainResult[] = [];
  const sdkRuns: Awaited<ReturnType<typeof sdkCallCost>>[] = [];
  const common = { deployed, latencyMs: LATENCY_MS, workDir: WORK_DIR };
  for (let round = 1; round <= DRAIN_RUNS; round++) {
    const of = `${round}/${DRAIN_RUNS}`;
    progress(`round ${of}: ${DRAIN_JOBS} jobs, default settings (tracing on)`);
    drains.push(
      await runDrain({
        ...common,
        label: `default-${round}`,
        workerBundle: drainWorker.file,
        jobs: DRAIN_JOBS,
        tracing: true,
        idleInvocation: true,
      }),
    );
    progress(`round ${of}: ${DRAIN_JOBS} jobs, tracing off`);
    untracedRuns.push(
      await runDrain({
        ...common,
        label: `tracing-off-${round}`,
        workerBundle: drainWorker.file,
        jobs: DRAIN_JOBS,
        tracing: false,
      }),
    );
    progress(`round ${of}: ${DRAIN_JOBS} jobs, no-op tracer (reference, never deployed)`);
    noTracerRuns.push(
      await runDrain({
        ...common,
        label: `no-op-tracer-${round}`,
        workerBundle: drainWorkerNoTracer.file,
        jobs: DRAIN_JOBS,
        tracing: true,
      }),
    );
    progress(`round ${of}: ${DRAIN_JOBS} jobs, without the report's record (reference)`);
    withoutRecordRuns.push(
      await runDrain({
        ...common,
        label: `without-record-${round}`,
        workerBundle: drainWorker.file,
        jobs: DRAIN_JOBS,
        tracing: true,
        withoutRecord: true,
      }),
    );
    progress(`round ${of}: SDK reference, CPU per DynamoDB call with the worker's client settings`);
    sdkRuns.push(await sdkCallCost(deployed, sdkWorker.file));
    progress(`round ${of}: ${SEQUENTIAL_JOBS} jobs, concurrency 1`);
    sequential.push(
      await runDrain({
        ...common,
        label: `sequential-${round}`,
        workerBundle: drainWorker.file,
        jobs: SEQUENTIAL_JOBS,
        concurrency: 1,
        tracing: true,
      }),
    );
  }
  const artifacts = await measureArtifacts({ sizeMb: Number(flags['artifact-mb']), progress });
  const sdk = {
    calls: sdkRuns[0]?.calls ?? 0,
    cpuMsPerCall: median(sdkRuns.map((run) => run.cpuMsPerCall)),
    wallMsPerCall: median(sdkRuns.map((run) => run.wallMsPerCall)),
    runs: sdkRuns.map((run) => run.cpuMsPerCall),
  };
  const cpuPerJob = (runs: DrainResult[]) =>
    median(runs.map((d) => d.drain.cpuUserMs + d.drain.cpuSystemMs)) / DRAIN_JOBS;
  /** Mean time per call of each operation, as the worker saw it, over every run. */
  const latencyPerCall = (runs: DrainResult[]) => {
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
  };

  const concurrency = Number(deployed.environment.CONCURRENCY);
  const wallMs = median(drains.map((d) => d.drain.wallMs));
  const cpuMs = median(drains.map((d) => d.drain.cpuUserMs + d.drain.cpuSystemMs));
  const floorMs = (CRITICAL_PATH_CALLS * LATENCY_MS * DRAIN_JOBS) / concurrency;
  const sequentialWallMs = median(sequential.map((d) => d.drain.wallMs));
  const first = drains[0] as DrainResult;
  const idle = first.idle;
  if (!idle) throw new Error('the idle invocation is missing');
  const idleMs = median(drains.flatMap((d) => (d.idle ? [d.idle.wallMs] : [])));
  const commands = first.drain.commands;
  const cpJobs = (op: string) =>
    perJob(commands, DRAIN_JOBS, (key) => key === `codepipeline:${op}Command`);
  const api = {
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
  const dynamoWrites = api.dynamo.writesPerJob * DRAIN_JOBS;
  const cost = estimateCosts({
    deployed,
    idle: { durationMs: idleMs, logBytes: idle.logBytes, logLines: idle.logLines },
    coldStartMs: workerSeries.medianProcessMs,
    drain: {
      jobs: DRAIN_JOBS,
      durationMs: wallMs,
      cpuMs,
      logBytes: first.drain.logBytes,
      logLines: first.drain.logLines,
      dynamoWrites,
      dynamoReads: api.dynamo.queriesPerInvocation + api.dynamo.readsPerJob * DRAIN_JOBS,
    },
    ledgerItemBytes: first.ledgerItemBytes,
    idleMetrics: idle.metricNames,
  });

  const result: BenchResult = {
    generatedAt: new Date().toISOString(),
    durationSeconds: 0,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGb: os.totalmem() / GIB,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      loadBefore,
      loadAfter: [0, 0, 0],
    },
    deployed,
    substitutes: substitutesUsed(),
    bundle: {
      bytes: worker.bytes,
      sourceMapBytes: worker.sourceMapBytes,
      emptyBytes: empty.bytes,
      withoutSubstitutesBytes: plain.bytes,
      noTracerBytes: untracedHandler.bytes,
      sdkClientsBytes: sdkClientsOnly.bytes,
      s3ProcessorBytes: s3Processor.bytes,
      s3ProcessorWithoutSubstitutesBytes: s3ProcessorPlain.bytes,
      composition: worker.composition.slice(0, 14),
    },
    coldStart: {
      runs: COLD_START_RUNS,
      emptyMs: emptySeries.medianProcessMs,
      workerMs: workerSeries.medianProcessMs,
      withoutSubstitutesMs: plainSeries.medianProcessMs,
      ratio: workerSeries.medianProcessMs / emptySeries.medianProcessMs,
      withoutSubstitutesRatio: plainSeries.medianProcessMs / emptySeries.medianProcessMs,
      noTracerMs: noTracerSeries.medianProcessMs,
      noTracerRatio: noTracerSeries.medianProcessMs / emptySeries.medianProcessMs,
      eagerSourceMapsMs: eagerMapsSeries.medianProcessMs,
      eagerSourceMapsRatio: eagerMapsSeries.medianProcessMs / emptySeries.medianProcessMs,
      sdkClientsMs: sdkSeries.medianProcessMs,
      sdkClientsRatio: sdkSeries.medianProcessMs / emptySeries.medianProcessMs,
      s3ProcessorMs: s3Series.medianProcessMs,
      s3ProcessorRatio: s3Series.medianProcessMs / emptySeries.medianProcessMs,
      s3ProcessorWithoutSubstitutesMs: s3PlainSeries.medianProcessMs,
      s3ProcessorWithoutSubstitutesRatio:
        s3PlainSeries.medianProcessMs / emptySeries.medianProcessMs,
      emptyReadyMs: emptySeries.medianReadyMs,
      workerReadyMs: workerSeries.medianReadyMs,
      shell: {
        emptyMs: shellEmpty.medianProcessMs,
        workerMs: shellWorker.medianProcessMs,
        withoutSubstitutesMs: shellPlain.medianProcessMs,
        extraCaCerts: process.env.NODE_EXTRA_CA_CERTS !== undefined,
      },
      profile: importProfile,
    },
    sdk,
    drain: {
      jobs: DRAIN_JOBS,
      latencyMs: LATENCY_MS,
      concurrency,
      batchSize: Number(deployed.environment.BATCH_SIZE),
      runs: DRAIN_RUNS,
      wallMs,
      wallMsRuns: drains.map((d) => d.drain.wallMs),
      jobsPerSecond: DRAIN_JOBS / (wallMs / 1000),
      floorMs,
      floorRatio: wallMs / floorMs,
      cpuMsPerJob: cpuMs / DRAIN_JOBS,
      cpuMsPerJobRuns: drains.map((d) => (d.drain.cpuUserMs + d.drain.cpuSystemMs) / DRAIN_JOBS),
      cpuUserMsPerJob: median(drains.map((d) => d.drain.cpuUserMs)) / DRAIN_JOBS,
      cpuSystemMsPerJob: median(drains.map((d) => d.drain.cpuSystemMs)) / DRAIN_JOBS,
      untraced: {
        wallMs: median(untracedRuns.map((d) => d.drain.wallMs)),
        cpuMsPerJob: cpuPerJob(untracedRuns),
      },
      withoutRecord: {
        wallMs: median(withoutRecordRuns.map((d) => d.drain.wallMs)),
        cpuMsPerJob: cpuPerJob(withoutRecordRuns),
      },
      noTracer: {
        wallMs: median(noTracerRuns.map((d) => d.drain.wallMs)),
        cpuMsPerJob: cpuPerJob(noTracerRuns),
      },
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
        wallMs: idleMs,
        logBytes: idle.logBytes,
        logLines: idle.logLines,
        commands: idle.commands,
      },
    },
    api,
    cost,
    artifacts,
    targets: [] as TargetCheck[],
  };
  result.machine.loadAfter = os.loadavg();
  result.durationSeconds = (performance.now() - started) / 1000;
  result.targets = summarize(result);

  const markdown = renderMarkdown(result);
  writeFileSync(path.join(REPO_ROOT, 'BENCHMARKS.md'), markdown);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    for (const target of result.targets) {
      process.stdout.write(
        `${target.met ? 'met   ' : 'MISSED'}  ${target.name}: ${target.value} (target ${target.target})\n`,
      );
    }
    process.stdout.write(`BENCHMARKS.md written (${result.durationSeconds.toFixed(0)} s)\n`);
  }
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
