/**
 * The benchmark's result, its targets, and BENCHMARKS.md rendered from them: every figure in
 * the file comes from the run that wrote it.
 */
import type { StatsView } from '../local/emulator/index.js';
import {
  type ArtifactBench,
  type ArtifactTransfer,
  growth,
  renderArtifactsSection,
  rssFlatness,
  type TransferFigures,
  transferFigures,
} from './artifacts.js';
import { type CheckAgainBench, renderCheckAgainSection } from './check-again.js';
import type { ImportProfile } from './cold-start.js';
import {
  COLD_STARTS_PER_MONTH,
  type CostLine,
  type CostReport,
  MB_PER_VCPU,
  PRICE_NOTES,
} from './cost.js';
import type { DeployedShape } from './infra.js';
import { type InstallFootprint, WATCHED_PACKAGES } from './install-footprint.js';

export interface TargetCheck {
  readonly name: string;
  readonly target: string;
  readonly value: string;
  readonly met: boolean;
  /** How far from the target, when missed. */
  readonly miss?: string;
  /** Why, from the measurements, when missed. */
  readonly why?: string;
}

export interface BenchResult {
  generatedAt: string;
  durationSeconds: number;
  /** What changed since the BENCHMARKS.md this run replaces (bench/changes.ts). */
  changes?: string;
  machine: {
    cpu: string;
    cores: number;
    memoryGb: number;
    os: string;
    node: string;
    loadBefore: number[];
    loadAfter: number[];
  };
  deployed: DeployedShape;
  substitutes: Record<string, string>;
  bundle: {
    bytes: number;
    sourceMapBytes: number;
    emptyBytes: number;
    withoutSubstitutesBytes: number;
    noTracerBytes: number;
    /** A handler that builds the two SDK clients and nothing else (a reference). */
    sdkClientsBytes: number;
    /** A processor that reads from S3, wired like the sample (`bench/paths.ts`). */
    s3ProcessorBytes: number;
    s3ProcessorWithoutSubstitutesBytes: number;
    composition: ReadonlyArray<{ name: string; bytes: number }>;
  };
  coldStart: {
    runs: number;
    emptyMs: number;
    workerMs: number;
    withoutSubstitutesMs: number;
    ratio: number;
    withoutSubstitutesRatio: number;
    noTracerMs: number;
    noTracerRatio: number;
    /** The deployed bundle started with NODE_OPTIONS=--enable-source-maps. */
    eagerSourceMapsMs: number;
    eagerSourceMapsRatio: number;
    sdkClientsMs: number;
    sdkClientsRatio: number;
    s3ProcessorMs: number;
    s3ProcessorRatio: number;
    s3ProcessorWithoutSubstitutesMs: number;
    s3ProcessorWithoutSubstitutesRatio: number;
    emptyReadyMs: number;
    workerReadyMs: number;
    /** The same bundles, in the environment the benchmark was started from. */
    shell: {
      emptyMs: number;
      workerMs: number;
      withoutSubstitutesMs: number;
      extraCaCerts: boolean;
    };
    /** CPU profiles of the import. */
    profile: { empty: ImportProfile; worker: ImportProfile };
  };
  sdk: { calls: number; cpuMsPerCall: number; wallMsPerCall: number; runs: number[] };
  drain: {
    jobs: number;
    latencyMs: number;
    concurrency: number;
    batchSize: number;
    runs: number;
    wallMs: number;
    wallMsRuns: number[];
    jobsPerSecond: number;
    /** The floor: the larger of the latency floor and the CPU floor (see {@link drainFloor}). */
    floor: DrainFloor;
    /** The wall time over the floor, and over each of its parts. */
    floorRatio: number;
    latencyFloorRatio: number;
    cpuFloorRatio: number;
    /** The drains without latency that give the CPU floor (the emulator adds nothing). */
    cpuBound: { wallMs: number; wallMsRuns: number[]; cpuMsPerJobRuns: number[] };
    /** The report bound: the default drains against the same drains with the largest bound. */
    reports: {
      concurrency: number;
      unboundedConcurrency: number;
      unboundedWallMs: number;
      unboundedWallMsRuns: number[];
      /** The default drains' wall time over the unbounded ones'. */
      ratio: number;
      /** The most reports under way at once in any of the drains, bounded and unbounded. */
      peakInFlight: number;
      unboundedPeakInFlight: number;
    };
    cpuMsPerJob: number;
    cpuMsPerJobRuns: number[];
    cpuUserMsPerJob: number;
    cpuSystemMsPerJob: number;
    untraced: { wallMs: number; cpuMsPerJob: number };
    noTracer: { wallMs: number; cpuMsPerJob: number };
    /** The same drains without the write that records a report before it is sent. */
    withoutRecord: { wallMs: number; cpuMsPerJob: number };
    latencyMsPerCall: Record<string, number>;
    xraySegments: number;
    xrayBytes: number;
    maxRssMb: number;
    logBytesPerJob: number;
    sequential: {
      jobs: number;
      wallMs: number;
      wallMsRuns: number[];
      msPerJob: number;
      cpuMsPerJob: number;
      latencyMsPerCall: Record<string, number>;
    };
    speedUp: number;
    idle: { wallMs: number; logBytes: number; logLines: number; commands: Record<string, number> };
  };
  api: {
    codePipeline: {
      acknowledgePerJob: number;
      resultPerJob: number;
      pollsPerJob: number;
      otherPerJob: number;
    };
    dynamo: { writesPerJob: number; readsPerJob: number; queriesPerInvocation: number };
    sdkCommands: Record<string, number>;
    sdkAttempts: Record<string, number>;
    emulatorCalls: StatsView['calls'];
  };
  cost: CostReport;
  artifacts: ArtifactBench;
  install: InstallFootprint;
  checkAgain: CheckAgainBench;
  targets: TargetCheck[];
}

export const TARGETS = {
  bundleBytes: 350_000,
  coldStartRatio: 1.5,
  floorRatio: 1.25,
  speedUp: 10,
  cpuMsPerJob: 5,
  codePipelineCallsPerJob: 2,
  /**
   * The claim (before AcknowledgeJob), the record of the report (after the processor returned,
   * before the report is sent) and the completion (after the report was accepted): the least
   * that lets only one worker act on a job and never runs a processor again once it returned.
   */
  dynamoWritesPerJob: 3,
  dynamoReadsPerJob: 0,
  idleUsdPerMonth: 0.1,
  idleWithMonitoringUsdPerMonth: 3,
  /** The artifact API's speed over its floor's (the best-known tools), on every tree. */
  artifactFloorRatio: 0.8,
  /** An artifact API transfer's largest peak RSS over its smallest, across the trees. */
  artifactRssFlatness: 1.1,
} as const;

const kb = (bytes: number) => `${(bytes / 1000).toFixed(1)} KB`;
const ms = (value: number, digits = 0) => `${value.toFixed(digits)} ms`;
const usd = (value: number) =>
  value === 0 ? '$0' : value < 0.01 ? `$${value.toFixed(5)}` : `$${value.toFixed(3)}`;
const pct = (value: number) => `${(value * 100).toFixed(0)}%`;

function over(value: number, limit: number, format: (v: number) => string): string {
  return `${format(value - limit)} over (${pct(value / limit - 1)})`;
}

function latencies(perCall: Record<string, number>): string {
  return Object.entries(perCall)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key.replace('Command', '')} ${ms(value, 1)}`)
    .join(', ');
}

/** Mean latency of the CodePipeline calls on a job's critical path. */
/**
 * Mean latency of the CodePipeline call a job's slot waits for: its AcknowledgeJob, recorded by
 * the SDK middleware under its command's name (`codepipeline:AcknowledgeJobCommand`).
 *
 * @throws Error when the drain recorded no AcknowledgeJob: the explanation built on it would
 * read a figure that was never measured
 */
export function slotCallLatency(perCall: Record<string, number>): number {
  const value = perCall['codepipeline:AcknowledgeJobCommand'];
  if (value === undefined || !(value > 0)) {
    throw new Error(
      `the drain recorded no AcknowledgeJob latency (calls recorded: ${Object.keys(perCall).join(', ') || 'none'})`,
    );
  }
  return value;
}

/** What the drain's floor is computed from, all measured in the same benchmark run. */
export interface DrainFloorInputs {
  readonly jobs: number;
  readonly concurrency: number;
  /** What the emulator adds to every CodePipeline call (ms). */
  readonly latencyMs: number;
  /** Commands the drain sent, by `service:Command` (the SDK middleware's count). */
  readonly commands: Readonly<Record<string, number>>;
  /** Mean time per call when jobs run one at a time (no queueing), by `service:Command`. */
  readonly latencyMsPerCall: Readonly<Record<string, number>>;
  /** The worker process's CPU per job in a drain that never waits on latency (ms). */
  readonly cpuMsPerJob: number;
}

/** One kind of call in a job's tail: how many a job makes, and what one takes alone. */
export interface TailCall {
  readonly call: string;
  readonly perJob: number;
  readonly latencyMs: number;
}

/** The drain's floor and its parts (ms). */
export interface DrainFloor {
  /** ⌈N/C⌉ acknowledgements, one after another in each slot. */
  readonly acknowledgementsMs: number;
  /** The first poll, before any job can be acknowledged. */
  readonly firstPollMs: number;
  /** The calls of the last job after its acknowledgement. */
  readonly tail: readonly TailCall[];
  readonly tailMs: number;
  /** Acknowledgements, first poll and one job's tail. */
  readonly latencyMs: number;
  /** N times the CPU one job needs. */
  readonly cpuMs: number;
  readonly cpuMsPerJob: number;
  /** The larger of the two. */
  readonly ms: number;
  readonly bound: 'latency' | 'CPU';
}

/** The calls a job makes after its acknowledgement: the record, the report, the completion. */
const TAIL_CALLS = [
  { call: 'dynamodb:UpdateItemCommand', what: 'the record and the completion', before: 1 },
  { call: 'codepipeline:PutJobSuccessResultCommand', what: 'the report', before: 0 },
  { call: 'codepipeline:PutJobFailureResultCommand', what: 'the report', before: 0 },
] as const;

/** A figure the floor needs, or an error naming it: a floor built on a zero is no floor. */
function measured(value: number | undefined, what: string): number {
  if (value === undefined || !Number.isFinite(value) || !(value > 0)) {
    throw new Error(`the drain floor needs ${what}, which reads ${value ?? 'missing'}`);
  }
  return value;
}

/**
 * The least time N jobs can take at concurrency C: the larger of the latency floor and the
 * CPU floor. Latency: each slot acknowledges its ⌈N/C⌉ jobs one after another (L each), after
 * the first poll (L), and the last job's tail follows its acknowledgement: the calls it makes
 * after it, counted per job from what the drain sent (the claim, an UpdateItem too, comes
 * before), each at the latency it had when jobs ran one at a time. CPU: N times the CPU a job
 * needs, measured in a drain the worker never waits in.
 *
 * @throws Error when a figure the floor needs reads zero or is missing
 */
export function drainFloor(inputs: DrainFloorInputs): DrainFloor {
  const jobs = measured(inputs.jobs, 'the number of jobs');
  const concurrency = measured(inputs.concurrency, 'the concurrency');
  const latency = measured(inputs.latencyMs, "the emulator's latency");
  const tail = TAIL_CALLS.flatMap(({ call, what, before }) => {
    const sent = inputs.commands[call];
    if (sent === undefined && before === 0) return [];
    const perJob = measured(sent, `the count of ${call} (${what})`) / jobs - before;
    measured(perJob, `${call} calls after the acknowledgement (${what})`);
    return [
      { call, perJob, latencyMs: measured(inputs.latencyMsPerCall[call], `${call}'s latency`) },
    ];
  });
  if (!tail.some(({ call }) => call.startsWith('codepipeline:PutJob'))) {
    throw new Error('the drain floor needs the report, which reads missing');
  }
  const acknowledgementsMs = Math.ceil(jobs / concurrency) * latency;
  const tailMs = tail.reduce((total, { perJob, latencyMs }) => total + perJob * latencyMs, 0);
  const latencyFloor = acknowledgementsMs + latency + tailMs;
  const cpuMsPerJob = measured(inputs.cpuMsPerJob, 'the CPU a job needs');
  const cpuMs = jobs * cpuMsPerJob;
  return {
    acknowledgementsMs,
    firstPollMs: latency,
    tail,
    tailMs,
    latencyMs: latencyFloor,
    cpuMs,
    cpuMsPerJob,
    ms: Math.max(latencyFloor, cpuMs),
    bound: cpuMs > latencyFloor ? 'CPU' : 'latency',
  };
}

/** What the CPU profiles of the import say, in one sentence. */
function profileSentence({ empty, worker }: { empty: ImportProfile; worker: ImportProfile }) {
  const extra = worker.totalMs - empty.totalMs;
  const share = (value: number) => pct(value / extra);
  return `Under V8's profiler (${worker.runs} processes each, profiler overhead included) the worker's import uses ${ms(extra, 1)} more CPU than the empty one's: V8 compiling the bundle ${ms(worker.compileBundleMs - empty.compileBundleMs, 1)} (${share(worker.compileBundleMs - empty.compileBundleMs)}), the bundle's code running (module bodies, clients, utilities) ${ms(worker.bundleCodeMs - empty.bundleCodeMs, 1)} (${share(worker.bundleCodeMs - empty.bundleCodeMs)}), Node's built-in modules ${ms(worker.builtinsMs - empty.builtinsMs, 1)} (${share(worker.builtinsMs - empty.builtinsMs)}), garbage collection ${ms(worker.garbageCollectionMs - empty.garbageCollectionMs, 1)}; the rest is module loading. Compiling scales with the code: only a much smaller bundle would reach the target.`;
}

/** What the bundle carries as published because a processor may use it, in one sentence. */
function asPublishedSentence(composition: BenchResult['bundle']['composition']) {
  const semver = composition.find((part) => part.name === 'semver');
  return `Packages the sample does not need as published are still bundled as they are (semver${semver ? `, ${kb(semver.bytes)}` : ''}, which the X-Ray SDK loads; the SDK's event streams, endpoint discovery and JavaScript SHA-256), because a processor may use them: substituting them broke the bundles of processors that do.`;
}

/** The floor the required SDK clients set, in one sentence. */
function sdkFloorSentence(c: BenchResult['coldStart']) {
  return `The two AWS SDK v3 clients the worker must use, built as it builds them in a handler that does nothing else, already take ${c.sdkClientsRatio.toFixed(2)}x on their own.`;
}

/** The SDK calls a job makes: its CodePipeline calls, its share of the poll, its DynamoDB calls. */
function sdkCallsPerJob(r: BenchResult): number {
  const cp = r.api.codePipeline;
  const cpPerJob = cp.acknowledgePerJob + cp.resultPerJob + cp.otherPerJob;
  return cpPerJob + cp.pollsPerJob + r.api.dynamo.writesPerJob + r.api.dynamo.readsPerJob;
}

/** The minified bundle against its size target. */
function bundleCheck(r: BenchResult): TargetCheck {
  const bundleMet = r.bundle.bytes <= TARGETS.bundleBytes;
  return {
    name: 'Bundle size (minified)',
    target: `<= ${kb(TARGETS.bundleBytes)}`,
    value: `${kb(r.bundle.bytes)} (${r.bundle.bytes.toLocaleString('en-US')} bytes)`,
    met: bundleMet,
    ...(bundleMet
      ? {}
      : {
          miss: over(r.bundle.bytes, TARGETS.bundleBytes, kb),
          why: `The largest parts are ${r.bundle.composition
            .slice(0, 4)
            .map((part) => `${part.name} (${kb(part.bytes)})`)
            .join(
              ', ',
            )}. The tracer the project requires brings the X-Ray SDK: with a no-op tracer the same bundle is ${kb(r.bundle.noTracerBytes)}. The X-Ray SDK's index also loads its patchers for AWS SDK clients (\`captureAWS\`, \`captureAWSv3Client\`) and the parameter whitelist they read (10.6 KB of JSON), which the worker never calls; they are reached through relative \`require\`s, which NodejsFunction's esbuild flags cannot substitute (\`--alias\` applies to package names only). ${asPublishedSentence(r.bundle.composition)}`,
        }),
  };
}

/** The cold import against an empty handler's. */
function coldStartCheck(r: BenchResult): TargetCheck {
  const coldMet = r.coldStart.ratio <= TARGETS.coldStartRatio;
  return {
    name: 'Cold import vs an empty handler',
    target: `<= ${TARGETS.coldStartRatio}x`,
    value: `${r.coldStart.ratio.toFixed(2)}x (${ms(r.coldStart.workerMs)} vs ${ms(r.coldStart.emptyMs)})`,
    met: coldMet,
    ...(coldMet
      ? {}
      : {
          miss: over(r.coldStart.ratio, TARGETS.coldStartRatio, (v) => `${v.toFixed(2)}x`),
          why: `Importing the worker costs ${ms(r.coldStart.workerMs - r.coldStart.emptyMs)} more than an empty handler: parsing ${kb(r.bundle.bytes)} of code, loading Node's http, https and crypto modules, and building the SDK clients, the X-Ray SDK and Powertools at module scope. Its ${kb(r.bundle.sourceMapBytes)} source map is no longer part of it: read at import by \`--enable-source-maps\`, it made the import ${ms(r.coldStart.eagerSourceMapsMs)} (${r.coldStart.eagerSourceMapsRatio.toFixed(2)}x); the worker now reads it only to print a stack trace. The tracer alone accounts for ${ms(r.coldStart.workerMs - r.coldStart.noTracerMs)} of it: with a no-op tracer the import takes ${ms(r.coldStart.noTracerMs)} (${r.coldStart.noTracerRatio.toFixed(2)}x). ${sdkFloorSentence(r.coldStart)} ${profileSentence(r.coldStart.profile)}`,
        }),
  };
}

/** The floor's two parts in one sentence. */
function floorSentence(d: BenchResult['drain']): string {
  const f = d.floor;
  const tail = f.tail
    .map((t) => `${t.perJob.toFixed(2)} × ${t.call.replace('Command', '')} (${ms(t.latencyMs, 1)})`)
    .join(' + ');
  return `The latency floor is ${ms(f.latencyMs)}: ⌈${d.jobs}/${d.concurrency}⌉ acknowledgements of ${d.latencyMs} ms (${ms(f.acknowledgementsMs)}), the first poll (${ms(f.firstPollMs)}) and the last job's tail, ${tail} = ${ms(f.tailMs, 1)}; the CPU floor is ${d.jobs} × ${ms(f.cpuMsPerJob, 2)} = ${ms(f.cpuMs)}, the worker's CPU per job in the drains without latency`;
}

/** The drain against its floor. */
function floorCheck(r: BenchResult): TargetCheck {
  const d = r.drain;
  const floorMet = d.floorRatio <= TARGETS.floorRatio;
  return {
    name: `Drain of ${d.jobs} jobs vs its floor (the larger of latency and CPU)`,
    target: `<= ${TARGETS.floorRatio}x`,
    value: `${d.floorRatio.toFixed(3)}x (${ms(d.wallMs)} vs the ${d.floor.bound} floor, ${ms(d.floor.ms)}); ${d.latencyFloorRatio.toFixed(2)}x the latency floor, ${d.cpuFloorRatio.toFixed(2)}x the CPU floor`,
    met: floorMet,
    ...(floorMet
      ? {}
      : {
          miss: over(d.floorRatio, TARGETS.floorRatio, (v) => `${v.toFixed(3)}x`),
          why: `${floorSentence(d)}. The drains without latency, which the CPU floor comes from, themselves take ${ms(d.cpuBound.wallMs)} (${(d.cpuBound.wallMs / d.floor.cpuMs).toFixed(2)}x their CPU): the worker, the emulator and dynalite share ${r.machine.cores} cores with whatever else runs (load average ${r.machine.loadBefore[0]?.toFixed(2)} before, ${r.machine.loadAfter[0]?.toFixed(2)} after), so the worker's one JavaScript thread does not get a core of its own for the whole drain.`,
        }),
  };
}

/** The drain's time per job against concurrency 1. */
function speedUpCheck(r: BenchResult): TargetCheck {
  const speedMet = r.drain.speedUp >= TARGETS.speedUp;
  const slotMs = (r.drain.wallMs / r.drain.jobs) * r.drain.concurrency;
  const aloneCallMs = slotCallLatency(r.drain.sequential.latencyMsPerCall);
  const sharedCallMs = slotCallLatency(r.drain.latencyMsPerCall);
  return {
    name: `Speed-up per job vs concurrency 1`,
    target: `>= ${TARGETS.speedUp}x`,
    value: `${r.drain.speedUp.toFixed(2)}x (${ms(r.drain.sequential.msPerJob, 1)} vs ${ms(r.drain.wallMs / r.drain.jobs, 1)} a job)`,
    met: speedMet,
    ...(speedMet
      ? {}
      : {
          miss: `${(TARGETS.speedUp - r.drain.speedUp).toFixed(2)}x short (${pct(1 - r.drain.speedUp / TARGETS.speedUp)})`,
          why: `With the default concurrency of ${r.drain.concurrency}, ${r.drain.concurrency}x is the ceiling: it is reached only if running ${r.drain.concurrency} jobs at once costs each no time at all. Here a job takes ${ms(r.drain.sequential.msPerJob, 1)} alone and ${ms(slotMs, 1)} of a slot among ${r.drain.concurrency}. The CodePipeline answer its slot waits for, its acknowledgement (its result is recorded and sent outside the slot; the emulator adds ${r.drain.latencyMs} ms to each call), takes ${ms(aloneCallMs, 1)} alone and ${ms(sharedCallMs, 1)} among ${r.drain.concurrency}; the rest of a slot, ${ms(r.drain.sequential.msPerJob - aloneCallMs, 1)} alone and ${ms(slotMs - sharedCallMs, 1)} among ${r.drain.concurrency}, is the worker's own time, which among ${r.drain.concurrency} includes waiting for the one JavaScript thread that the ${r.drain.concurrency} jobs share (${ms(r.drain.cpuMsPerJob, 2)} of CPU each), on ${r.machine.cores} cores that the emulator and dynalite use too. The default concurrency stays at ${r.drain.concurrency}, because the function's ${r.deployed.memoryMb} MB get about ${(r.deployed.memoryMb / MB_PER_VCPU).toFixed(2)} of a vCPU (Lambda gives one vCPU at ${MB_PER_VCPU.toLocaleString('en-US')} MB): at ${ms(r.drain.cpuMsPerJob, 2)} of CPU a job, about ${((r.deployed.memoryMb / MB_PER_VCPU) * (slotMs / r.drain.cpuMsPerJob)).toFixed(0)} jobs in flight already use all of it, so a higher default would raise this ratio on a benchmark machine, not the throughput of the deployed function. On this machine too the drain is bound by ${r.drain.floor.bound === 'CPU' ? `CPU: its CPU floor (${ms(r.drain.floor.cpuMs)}) is above its latency floor (${ms(r.drain.floor.latencyMs)}) already, and more slots lower only the latency floor` : `latency: its latency floor (${ms(r.drain.floor.latencyMs)}) is above its CPU floor (${ms(r.drain.floor.cpuMs)}), which more slots would lower`}.`,
        }),
  };
}

/** The worker's CPU per job. */
function cpuCheck(r: BenchResult): TargetCheck {
  const callsPerJob = sdkCallsPerJob(r);
  const sdkShare = callsPerJob * r.sdk.cpuMsPerCall;
  const cpuMet = r.drain.cpuMsPerJob <= TARGETS.cpuMsPerJob;
  return {
    name: 'Worker CPU per job (user + system)',
    target: `<= ${ms(TARGETS.cpuMsPerJob)}`,
    value: `${ms(r.drain.cpuMsPerJob, 2)} (tracing on, as deployed); ${ms(r.drain.untraced.cpuMsPerJob, 2)} with tracing off`,
    met: cpuMet,
    ...(cpuMet
      ? {}
      : {
          miss: over(r.drain.cpuMsPerJob, TARGETS.cpuMsPerJob, (v) => ms(v, 2)),
          why: `A job makes ${callsPerJob.toFixed(2)} SDK calls, and the SDK alone costs ${ms(r.sdk.cpuMsPerCall, 2)} of CPU per call on this machine (measured in the same rounds, ten calls at a time): about ${ms(sdkShare, 1)} a job before the worker does anything of its own. The tracer's share shows in the reference drains: ${ms(r.drain.noTracer.cpuMsPerJob, 2)} a job with a tracer that does nothing, ${ms(r.drain.untraced.cpuMsPerJob, 2)} with the real one switched off. The write that records each report before it is sent (what keeps a processor from running twice) is one of those calls: without it, in the same rounds, a job costs ${ms(r.drain.withoutRecord.cpuMsPerJob, 2)} and the drain takes ${ms(r.drain.withoutRecord.wallMs)}.`,
        }),
  };
}

/** CodePipeline calls per job. */
function codePipelineCheck(r: BenchResult): TargetCheck {
  const cp = r.api.codePipeline;
  const cpPerJob = cp.acknowledgePerJob + cp.resultPerJob + cp.otherPerJob;
  const cpMet = cpPerJob <= TARGETS.codePipelineCallsPerJob;
  return {
    name: 'CodePipeline calls per job (plus the shared poll)',
    target: `<= ${TARGETS.codePipelineCallsPerJob} + poll`,
    value: `${cpPerJob.toFixed(2)} + ${cp.pollsPerJob.toFixed(3)} polls`,
    met: cpMet,
    ...(cpMet ? {} : { miss: `${(cpPerJob - TARGETS.codePipelineCallsPerJob).toFixed(2)} over` }),
  };
}

/** DynamoDB calls per job. */
function dynamoCheck(r: BenchResult): TargetCheck {
  const ddbMet =
    r.api.dynamo.writesPerJob <= TARGETS.dynamoWritesPerJob &&
    r.api.dynamo.readsPerJob <= TARGETS.dynamoReadsPerJob;
  return {
    name: 'DynamoDB calls per job',
    target: `<= ${TARGETS.dynamoWritesPerJob} writes, ${TARGETS.dynamoReadsPerJob} reads`,
    value: `${r.api.dynamo.writesPerJob.toFixed(2)} writes (claim, report record, completion), ${r.api.dynamo.readsPerJob.toFixed(2)} reads (+ ${r.api.dynamo.queriesPerInvocation} query per invocation)`,
    met: ddbMet,
  };
}

/** An idle month's cost. */
function idleCostCheck(r: BenchResult): TargetCheck {
  const idleMet = r.cost.idleTotal < TARGETS.idleUsdPerMonth;
  return {
    name: `Idle cost a month (${r.deployed.scheduleExpression})`,
    target: `< ${usd(TARGETS.idleUsdPerMonth)}`,
    value: usd(r.cost.idleTotal),
    met: idleMet,
    ...(idleMet
      ? {}
      : {
          miss: over(r.cost.idleTotal, TARGETS.idleUsdPerMonth, usd),
          why: `The largest item is ${[...r.cost.idle].sort((a, b) => b.usd - a.usd)[0]?.item}.`,
        }),
  };
}

/** An idle month with its monitoring. */
function monitoredCostCheck(r: BenchResult): TargetCheck {
  const monitoredMet = r.cost.idleWithMonitoringTotal <= TARGETS.idleWithMonitoringUsdPerMonth;
  return {
    name: 'Idle month with its monitoring (fixed costs included)',
    target: `<= ${usd(TARGETS.idleWithMonitoringUsdPerMonth)}`,
    value: usd(r.cost.idleWithMonitoringTotal),
    met: monitoredMet,
    ...(monitoredMet
      ? {}
      : {
          miss: over(r.cost.idleWithMonitoringTotal, TARGETS.idleWithMonitoringUsdPerMonth, usd),
          why: `The largest fixed item is ${[...r.cost.fixed].sort((a, b) => b.usd - a.usd)[0]?.item}.`,
        }),
  };
}

const ARTIFACT_CHECKS: Readonly<
  Record<ArtifactTransfer, { api: string; floor: string; tool: string }>
> = {
  extract: { api: '`extract()`', floor: 'download + `unzip`', tool: 'unzip' },
  uploadDirectory: { api: '`uploadDirectory()`', floor: '`zip -6` + `Upload`', tool: 'zip' },
};

const seconds = (value: number) => `${(value / 1000).toFixed(2)} s`;
const signed = (value: number | undefined, format: (v: number) => string) =>
  value === undefined ? 'not measured' : `${value < 0 ? '−' : '+'}${format(Math.abs(value))}`;

/** How an API transfer and its floor grow with entries and with bytes, in one sentence. */
function growthSentence(bench: ArtifactBench, transfer: ArtifactTransfer): string {
  const wall = (f: { wallMs: number }) => f.wallMs;
  const api = growth(bench, transfer, 'api', wall);
  const floor = growth(bench, transfer, 'floor', wall);
  return `Across the trees, each 1,000 more entries at equal size add ${signed(api.perThousandEntries, seconds)} to the API and ${signed(floor.perThousandEntries, seconds)} to the floor; each MiB more at equal entries, ${signed(api.perMib, (v) => ms(v, 1))} and ${signed(floor.perMib, (v) => ms(v, 1))}.`;
}

/** An artifact API transfer against its floor on every tree: the slowest tree decides. */
function artifactSpeedCheck(bench: ArtifactBench, transfer: ArtifactTransfer): TargetCheck {
  const rows = transferFigures(bench).filter((f) => f.transfer === transfer);
  const worst = rows.reduce<TransferFigures | undefined>(
    (found, f) => (found === undefined || f.ratio < found.ratio ? f : found),
    undefined,
  );
  if (!worst) throw new Error(`the artifact benchmark measured no tree for ${transfer}`);
  const { api: name, floor: floorName, tool } = ARTIFACT_CHECKS[transfer];
  const target = TARGETS.artifactFloorRatio;
  const met = worst.ratio >= target;
  const { api, floor } = worst;
  return {
    name: `${name} vs ${floorName}`,
    target: `>= ${target}x on every tree`,
    value: `${worst.ratio.toFixed(2)}x at worst (${rows.map((f) => `${f.tree}: ${f.ratio.toFixed(2)}x`).join('; ')})`,
    met,
    ...(met
      ? {}
      : {
          miss: `${(target - worst.ratio).toFixed(2)}x short on ${worst.tree} (${pct(1 - worst.ratio / target)})`,
          why: `On ${worst.tree} the API takes ${seconds(api.wallMs)} with ${seconds(api.cpuMs)} of CPU, where the floor takes ${seconds(floor.wallMs)} with ${seconds(floor.cpuMs)} (${tool} ${seconds(floor.toolCpuMs ?? 0)} of it): the API ${api.cpuMs > floor.cpuMs ? `spends ${seconds(api.cpuMs - floor.cpuMs)} more CPU` : 'spends no more CPU'}, and its wall time exceeds its CPU time by ${seconds(Math.max(0, api.wallMs - api.cpuMs))} (the floor's by ${seconds(Math.max(0, floor.wallMs - floor.cpuMs))}): time spent waiting, on the disk, on S3, on a thread it did not keep busy, or for a core of this shared machine. ${growthSentence(bench, transfer)} Load average ${bench.load[0].toFixed(2)} before the artifact runs, ${bench.load[1].toFixed(2)} after.`,
        }),
  };
}

/** An artifact API transfer's peak RSS across the trees. */
function artifactRssCheck(bench: ArtifactBench, transfer: ArtifactTransfer): TargetCheck {
  const flat = rssFlatness(transferFigures(bench), transfer);
  const target = TARGETS.artifactRssFlatness;
  const met = flat.ratio <= target;
  const rss = growth(bench, transfer, 'api', (f) => f.peakRssMb);
  const mb = (v: number) => `${v.toFixed(1)} MB`;
  return {
    name: `${ARTIFACT_CHECKS[transfer].api} peak RSS across the trees`,
    target: `max / min <= ${target.toFixed(2)}`,
    value: `${flat.ratio.toFixed(2)} (${flat.minMb.toFixed(0)} MB on ${flat.minTree} to ${flat.maxMb.toFixed(0)} MB on ${flat.maxTree})`,
    met,
    ...(met
      ? {}
      : {
          miss: over(flat.ratio, target, (v) => v.toFixed(2)),
          why: `The API's peak RSS changes by ${signed(rss.perThousandEntries, mb)} per 1,000 more entries at equal size and by ${signed(rss.perMib === undefined ? undefined : rss.perMib * 100, mb)} per 100 MiB more at equal entries: ${rssDriver(bench, rss)}.`,
        }),
  };
}

/** Which of entries and bytes moves the peak RSS more over the range of the trees. */
function rssDriver(bench: ArtifactBench, rss: ReturnType<typeof growth>): string {
  const range = (values: number[]) => Math.max(...values) - Math.min(...values);
  const byEntries =
    (rss.perThousandEntries ?? 0) *
    (range(bench.trees.map((t) => t.stats.files + t.stats.directories)) / 1000);
  const byBytes = (rss.perMib ?? 0) * (range(bench.trees.map((t) => t.stats.bytes)) / 2 ** 20);
  const what = Math.abs(byEntries) >= Math.abs(byBytes) ? 'entry count' : 'artifact size';
  return `over these trees the ${what} moves it most (${Math.abs(byEntries).toFixed(0)} MB by entries, ${Math.abs(byBytes).toFixed(0)} MB by bytes), where a bounded buffer would not move at all`;
}

/**
 * The artifact targets: each API transfer at 0.8x of its floor or better on every tree, and
 * its peak RSS flat across the trees.
 *
 * @throws Error when a figure of the artifact benchmark is missing or zero
 */
export function artifactChecks(bench: ArtifactBench): TargetCheck[] {
  return [
    artifactSpeedCheck(bench, 'extract'),
    artifactSpeedCheck(bench, 'uploadDirectory'),
    artifactRssCheck(bench, 'extract'),
    artifactRssCheck(bench, 'uploadDirectory'),
  ];
}

/** Checks every target against the result, explaining each miss from the measurements. */
export function summarize(r: BenchResult): TargetCheck[] {
  return [
    bundleCheck(r),
    coldStartCheck(r),
    floorCheck(r),
    speedUpCheck(r),
    cpuCheck(r),
    codePipelineCheck(r),
    dynamoCheck(r),
    idleCostCheck(r),
    monitoredCostCheck(r),
    ...artifactChecks(r.artifacts),
  ];
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

const costRows = (lines: readonly CostLine[]) =>
  lines.map((line) => [line.item, line.quantity, usd(line.usd)]);

function perJobCounts(counts: Record<string, number>, jobs: number): string[][] {
  return Object.entries(counts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, count]) => [key.replace('Command', ''), String(count), (count / jobs).toFixed(3)]);
}

/** The title, and how the file was made. */
function header(r: BenchResult): string {
  return `# Benchmarks

Generated by \`npm run bench\` (bench/run.ts) on ${r.generatedAt.slice(0, 10)} in ${r.durationSeconds.toFixed(0)} s.
Do not edit: run it again. \`npm run -s bench -- --json\` prints the same figures as JSON.${r.changes ? `\n\n${r.changes}` : ''}`;
}

/** The targets: met, or missed and why. */
function summarySection(r: BenchResult): string {
  const missed = r.targets.filter((t) => !t.met);
  return `## Summary

${table(
  ['figure', 'measured', 'target', ''],
  r.targets.map((t) => [t.name, t.value, t.target, t.met ? 'met' : `**missed**: ${t.miss ?? ''}`]),
)}

${
  missed.length === 0
    ? 'Every target is met.'
    : `### Why the missed targets are missed

${missed.map((t) => `- **${t.name}**, ${t.miss}. ${t.why ?? ''}`).join('\n')}`
}`;
}

/** The machine and its load while the benchmark ran. */
function machineSection(r: BenchResult): string {
  return `## Machine

${r.machine.cores} × ${r.machine.cpu}, ${r.machine.memoryGb.toFixed(1)} GB, ${r.machine.os}, Node.js ${r.machine.node}
(the function runs Node.js 24 on arm64). A shared machine: load average
${r.machine.loadBefore.map((v) => v.toFixed(2)).join(' / ')} when the run started and
${r.machine.loadAfter.map((v) => v.toFixed(2)).join(' / ')} when it ended (1 / 5 / 15 minutes).
Ratios are steadier than absolute times here; every time below is a median.`;
}

/** How each figure is measured. */
function methodSection(r: BenchResult): string {
  const d = r.drain;
  const c = r.coldStart;
  return `## Method

- **What runs** is what the stack deploys: the CDK app's default stack is synthesized (bundling
  skipped) to read the function's memory (${r.deployed.memoryMb} MB), timeout (${r.deployed.timeoutSeconds} s), architecture
  (${r.deployed.architectures.join(', ')}), tracing (${r.deployed.tracing}), schedule (\`${r.deployed.scheduleExpression}\`), alarms
  and environment variables. Bundles are built by esbuild with the options
  \`workerBundling\` (\`lib/bundling.ts\`) gives the construct for \`NodejsFunction\`. Each
  process gets the function's variables plus those the Lambda runtime sets
  (\`AWS_EXECUTION_ENV\`, \`LAMBDA_TASK_ROOT\`, \`_X_AMZN_TRACE_ID\` per invocation, ...): the
  tracer is on, and the X-Ray SDK runs in its Lambda mode, sending segments over UDP to a socket
  of the benchmark that stands in for the X-Ray daemon.
- **Cold start**: ${c.runs} fresh \`node\` processes per bundle import it (after one uncounted round),
  interleaved with the other bundles, alternating the order; timed from spawn to exit.
- **Import profile**: ${c.profile.worker.runs} more processes per bundle import it under V8's CPU profiler
  (\`--cpu-prof\`, a sample every 100 µs); CPU time is split by what the sampled frame was doing:
  compiling the bundle (\`compileSourceTextModule\`), compiling Node's built-in modules
  (\`compileFor*Loader\`), running the bundle's own functions, collecting garbage.
- **Drain**: the CodePipeline emulator (\`local/emulator/cli.ts\`, ${d.latencyMs} ms added to every API
  call) and dynalite each run in a process of their own; ${d.jobs} jobs (the sample bake-time
  gate with no bake time) are queued; a third process imports the worker, bundled as deployed
  (\`bench/drain-invoke.ts\`: the sample entry's wiring plus an SDK middleware per client
  that counts calls), and invokes it once with a scheduled event and a ${r.deployed.timeoutSeconds} s context.
  Its CPU time (\`process.cpuUsage()\`, user + system, all threads) is taken from just
  before the invocation to just after. Default settings: concurrency ${d.concurrency}, batch size ${d.batchSize}.
  A second invocation of the same process then finds the queue empty: the idle tick. Two more
  drains show the tracer's share: one with \`POWERTOOLS_TRACE_ENABLED=false\`, one bundled with
  a tracer that does nothing (\`bench/fixtures/\`, a reference that is never deployed); a fourth
  leaves out the write that records each report before it is sent (a reference, never
  deployed: what the process-once guarantee costs); a fifth drains ${d.sequential.jobs} jobs with
  \`CONCURRENCY=1\`; a sixth adds no latency to any call (the CPU floor's); a seventh sends reports
  with the largest bound (the unbounded reference). ${d.runs} round${d.runs === 1 ? '' : 's'} of these seven, interleaved;
  medians reported.
- **Floor**: the larger of two. The latency floor is what ${d.concurrency} slots cannot beat with
  ${d.latencyMs} ms per CodePipeline call: each slot acknowledges its ⌈${d.jobs}/${d.concurrency}⌉ jobs one after another
  (a job's slot ends when its processor returns; its report is recorded, sent and completed
  outside it), after the first poll, and the last job's tail follows its acknowledgement: the
  calls a job makes after it (counted per job from the drain's own commands, less the claim,
  which comes before), each at the latency it had when jobs ran one at a time (no queueing).
  The CPU floor is ${d.jobs} times the CPU one job needs: the worker process's CPU time per job
  (user + system, \`process.cpuUsage()\`) in drains where the emulator adds no latency, so that
  the worker never waits on a call and its CPU is the work itself; ${d.runs} of them, interleaved
  with the others, median taken. It counts every thread of the process (the garbage collector's
  helpers, libuv's pool) as if they ran on the one JavaScript thread, which slightly overstates
  the serial part. ${floorSentence(d)}.
- **Reports**: at most ${d.reports.concurrency} are sent at once (\`REPORT_CONCURRENCY\`, the default).
  The same drains with the largest bound the setting accepts (${d.reports.unboundedConcurrency}, more than this
  drain ever has in flight) are the unbounded reference, in the same rounds.
- **SDK reference**: a process bundled the same way sends ${r.sdk.calls} small conditional \`UpdateItem\`
  calls, ten at a time, to dynalite with the worker's client settings and no tracer.`;
}

/** Each bundle's size and cold import, against the empty handler's. */
function coldStartTable(r: BenchResult): string {
  const c = r.coldStart;
  return table(
    ['bundle', 'minified', 'source map', 'cold import (median)', 'ratio'],
    [
      ['empty handler', kb(r.bundle.emptyBytes), '', ms(c.emptyMs, 1), '1.00x'],
      [
        'worker (deployed)',
        kb(r.bundle.bytes),
        kb(r.bundle.sourceMapBytes),
        ms(c.workerMs, 1),
        `${c.ratio.toFixed(2)}x`,
      ],
      [
        'worker (deployed), started with `--enable-source-maps`',
        kb(r.bundle.bytes),
        kb(r.bundle.sourceMapBytes),
        ms(c.eagerSourceMapsMs, 1),
        `${c.eagerSourceMapsRatio.toFixed(2)}x`,
      ],
      [
        'worker without the substitutes',
        kb(r.bundle.withoutSubstitutesBytes),
        '',
        ms(c.withoutSubstitutesMs, 1),
        `${c.withoutSubstitutesRatio.toFixed(2)}x`,
      ],
      [
        'a processor that reads from S3, bundled as deployed',
        kb(r.bundle.s3ProcessorBytes),
        '',
        ms(c.s3ProcessorMs, 1),
        `${c.s3ProcessorRatio.toFixed(2)}x`,
      ],
      [
        'the same processor without the substitutes',
        kb(r.bundle.s3ProcessorWithoutSubstitutesBytes),
        '',
        ms(c.s3ProcessorWithoutSubstitutesMs, 1),
        `${c.s3ProcessorWithoutSubstitutesRatio.toFixed(2)}x`,
      ],
      [
        'the two AWS SDK clients alone, built as the worker builds them (reference)',
        kb(r.bundle.sdkClientsBytes),
        '',
        ms(c.sdkClientsMs, 1),
        `${c.sdkClientsRatio.toFixed(2)}x`,
      ],
      [
        'worker with a no-op tracer (reference)',
        kb(r.bundle.noTracerBytes),
        '',
        ms(c.noTracerMs, 1),
        `${c.noTracerRatio.toFixed(2)}x`,
      ],
    ],
  );
}

/** Where the import's CPU time goes, empty handler and worker side by side. */
function importProfileTable(profile: BenchResult['coldStart']['profile']): string {
  return table(
    ['', 'empty handler', 'worker (deployed)'],
    (
      [
        ['compiling the bundle', 'compileBundleMs'],
        ["Node's built-in modules", 'builtinsMs'],
        ["the bundle's code running", 'bundleCodeMs'],
        ['garbage collection', 'garbageCollectionMs'],
        ['all (idle excluded)', 'totalMs'],
      ] as const
    ).map(([label, key]) => [label, ms(profile.empty[key], 1), ms(profile.worker[key], 1)]),
  );
}

/** Section 1: bundle sizes, cold imports and their profile. */
function coldStartSection(r: BenchResult): string {
  const c = r.coldStart;
  const substitutes = Object.entries(r.substitutes)
    .map(([name, file]) => `\`${name}\` → \`${file.replace(/^\.\//, '')}\``)
    .join(', ');
  return `## 1. Cold start

${coldStartTable(r)}

CPU time of the import under V8's profiler (mean of ${c.profile.worker.runs} processes; the profiler adds its own overhead):

${importProfileTable(r.coldStart.profile)}

The handler's module is evaluated ${ms(c.workerReadyMs, 1)} after the process starts (the empty one: ${ms(c.emptyReadyMs, 1)}).
The processes get the function's environment only. Started with this machine's shell
environment as well${c.shell.extraCaCerts ? ' (which sets `NODE_EXTRA_CA_CERTS`: every Node process then reads a CA bundle as it starts)' : ''},
the same bundles take ${ms(c.shell.emptyMs, 1)} (empty), ${ms(c.shell.workerMs, 1)} (worker: ${(c.shell.workerMs / c.shell.emptyMs).toFixed(2)}x) and
${ms(c.shell.withoutSubstitutesMs, 1)} (without the substitutes: ${(c.shell.withoutSubstitutesMs / c.shell.emptyMs).toFixed(2)}x): a fixed cost added to both sides
flatters the ratio, which is why the summary uses the function's environment.
The deployed bundle substitutes ${substitutes}: modules that are correct for any processor,
used only where they export every name of every installed copy of what they replace (see
\`lib/bundling.ts\`). Every other package is bundled as published, whatever a processor
imports. The rows without the substitutes show what they save: for the sample,
${kb(r.bundle.withoutSubstitutesBytes - r.bundle.bytes)} and ${ms(c.withoutSubstitutesMs - c.workerMs, 1)} of cold import; for the S3 processor
(\`bench/fixtures/s3-processor-handler.ts\`), ${kb(r.bundle.s3ProcessorWithoutSubstitutesBytes - r.bundle.s3ProcessorBytes)} and ${ms(c.s3ProcessorWithoutSubstitutesMs - c.s3ProcessorMs, 1)}. What the
deployed bundle is made of:

${table(
  ['package', 'bytes'],
  r.bundle.composition.map((part) => [part.name, part.bytes.toLocaleString('en-US')]),
)}`;
}

/** Section 2: the drains. */
function drainSection(r: BenchResult): string {
  const d = r.drain;
  return `## 2. Drain throughput

${table(
  ['', 'value'],
  [
    ['jobs', String(d.jobs)],
    [
      'wall time (median)',
      `${ms(d.wallMs)} (runs: ${d.wallMsRuns.map((v) => v.toFixed(0)).join(', ')})`,
    ],
    ['jobs per second', d.jobsPerSecond.toFixed(1)],
    [
      'latency floor',
      `${ms(d.floor.latencyMs)} (acknowledgements ${ms(d.floor.acknowledgementsMs)}, first poll ${ms(d.floor.firstPollMs)}, one job's tail ${ms(d.floor.tailMs, 1)})`,
    ],
    [
      'CPU floor',
      `${ms(d.floor.cpuMs)} (${d.jobs} × ${ms(d.floor.cpuMsPerJob, 2)}; per job in the drains without latency: ${d.cpuBound.cpuMsPerJobRuns.map((v) => v.toFixed(2)).join(', ')}; their wall time ${ms(d.cpuBound.wallMs)})`,
    ],
    ['floor (the larger)', `${ms(d.floor.ms)} (${d.floor.bound})`],
    [
      'ratio to the floor',
      `${d.floorRatio.toFixed(3)}x (${d.latencyFloorRatio.toFixed(3)}x the latency floor, ${d.cpuFloorRatio.toFixed(3)}x the CPU floor)`,
    ],
    [
      `reports bounded at ${d.reports.concurrency} vs ${d.reports.unboundedConcurrency} (unbounded reference)`,
      `${d.reports.ratio.toFixed(3)}x (${ms(d.wallMs)} vs ${ms(d.reports.unboundedWallMs)}; runs: ${d.reports.unboundedWallMsRuns.map((v) => v.toFixed(0)).join(', ')})`,
    ],
    [
      'most reports under way at once, bounded / unbounded',
      `${d.reports.peakInFlight} / ${d.reports.unboundedPeakInFlight} (the bound waits only when the unbounded drains go past ${d.reports.concurrency})`,
    ],
    [
      'worker CPU per job, tracing on (median)',
      `${ms(d.cpuMsPerJob, 2)} (user ${ms(d.cpuUserMsPerJob, 2)}, system ${ms(d.cpuSystemMsPerJob, 2)}; runs: ${d.cpuMsPerJobRuns.map((v) => v.toFixed(2)).join(', ')})`,
    ],
    ['worker CPU per job, tracing off', ms(d.untraced.cpuMsPerJob, 2)],
    [
      'worker CPU per job without the report record (reference)',
      ms(d.withoutRecord.cpuMsPerJob, 2),
    ],
    ['drain without the report record (reference)', ms(d.withoutRecord.wallMs)],
    ['worker CPU per job, no-op tracer (reference)', ms(d.noTracer.cpuMsPerJob, 2)],
    [
      'worker CPU per job in SDK calls (CPU per job / SDK CPU per call, steadier on a busy machine)',
      `${(d.cpuMsPerJob / r.sdk.cpuMsPerCall).toFixed(2)} (the job's own SDK calls: ${(
        r.api.codePipeline.acknowledgePerJob +
          r.api.codePipeline.resultPerJob +
          r.api.codePipeline.pollsPerJob +
          r.api.codePipeline.otherPerJob +
          r.api.dynamo.writesPerJob +
          r.api.dynamo.readsPerJob
      ).toFixed(2)})`,
    ],
    [
      'SDK alone, CPU per call (median)',
      `${ms(r.sdk.cpuMsPerCall, 3)} (runs: ${r.sdk.runs.map((v) => v.toFixed(3)).join(', ')})`,
    ],
    [
      'X-Ray segments sent',
      `${d.xraySegments} (${d.xrayBytes.toLocaleString('en-US')} bytes) for the invocation`,
    ],
    ['peak RSS of the worker process', `${d.maxRssMb.toFixed(0)} MB`],
    ['log bytes per job', d.logBytesPerJob.toFixed(0)],
    [
      `${d.sequential.jobs} jobs at concurrency 1`,
      `${ms(d.sequential.wallMs)} (${ms(d.sequential.msPerJob, 1)} a job; runs: ${d.sequential.wallMsRuns.map((v) => v.toFixed(0)).join(', ')}), CPU ${ms(d.sequential.cpuMsPerJob, 2)} a job`,
    ],
    ['speed-up per job', `${d.speedUp.toFixed(2)}x`],
    ['mean latency per call, seen by the worker', latencies(d.latencyMsPerCall)],
    [
      `the same, at concurrency 1 (${d.sequential.jobs} jobs)`,
      latencies(d.sequential.latencyMsPerCall),
    ],
    [
      'idle invocation (empty queue, warm)',
      `${ms(d.idle.wallMs, 1)}, ${d.idle.logBytes} log bytes in ${d.idle.logLines} lines`,
    ],
  ],
)}`;
}

/** Section 3: calls per job. */
function apiSection(r: BenchResult): string {
  const d = r.drain;
  return `## 3. API economy (happy path, per job)

${table(
  ['call', 'per job'],
  [
    ['CodePipeline AcknowledgeJob', r.api.codePipeline.acknowledgePerJob.toFixed(3)],
    [
      'CodePipeline PutJobSuccessResult / PutJobFailureResult',
      r.api.codePipeline.resultPerJob.toFixed(3),
    ],
    ['CodePipeline PollForJobs (shared by a batch)', r.api.codePipeline.pollsPerJob.toFixed(3)],
    [
      'DynamoDB writes (UpdateItem: claim, report record, completion)',
      r.api.dynamo.writesPerJob.toFixed(3),
    ],
    [
      'DynamoDB reads',
      `${r.api.dynamo.readsPerJob.toFixed(3)} (plus ${r.api.dynamo.queriesPerInvocation} query of the pending-claims index per invocation)`,
    ],
  ],
)}

Counted by the SDK middleware (commands, and HTTP attempts, which include retries) and by the
emulator (calls received):

${table(['SDK command', 'commands', 'per job'], perJobCounts(r.api.sdkCommands, d.jobs))}

${table(['HTTP attempts', 'attempts', 'per job'], perJobCounts(r.api.sdkAttempts, d.jobs))}

${table(
  ['emulator: calls received', 'calls', 'per job'],
  perJobCounts(r.api.emulatorCalls, d.jobs),
)}

The idle invocation makes ${Object.entries(d.idle.commands)
    .map(([key, count]) => `${count} ${key.replace('Command', '')}`)
    .join(' and ')}.`;
}

/** Section 4: the measurements priced. */
function costSection(r: BenchResult): string {
  const d = r.drain;
  return `## 4. Cost

Prices (us-east-1, list):

${PRICE_NOTES.map((note) => `- ${note}`).join('\n')}

### An idle month (${r.cost.idleInvocationsPerMonth.toLocaleString('en-US')} scheduled invocations that find nothing)

${table(['item', 'quantity', 'USD a month'], [...costRows(r.cost.idle), ['**total**', '', `**${usd(r.cost.idleTotal)}**`]])}

Not in the total: ${r.cost.idleXRay.item}, ${r.cost.idleXRay.quantity} ${usd(r.cost.idleXRay.usd)}.
The warm duration is the measured idle invocation (${ms(d.idle.wallMs, 1)}, with the emulator's ${d.latencyMs} ms on the
poll); cold starts are assumed once an hour (${COLD_STARTS_PER_MONTH} a month) at the measured cold import.

### Fixed monitoring, whatever the load

${table(['item', 'count', 'USD a month'], [...costRows(r.cost.fixed), ['**total**', '', `**${usd(r.cost.fixedTotal)}**`]])}

Counters are published only when they are not zero, so an idle worker pays for the metrics above
alone; each other counter costs $0.30/730 for every hour in which something happened.

### An idle month with its monitoring

${table(
  ['part', 'USD a month'],
  [
    ['idle month', usd(r.cost.idleTotal)],
    ['fixed monitoring', usd(r.cost.fixedTotal)],
    ['**total**', `**${usd(r.cost.idleWithMonitoringTotal)}**`],
  ],
)}

### A million jobs

${table(['item', 'quantity', 'USD per million jobs'], [...costRows(r.cost.perMillionJobs), ['**total**', '', `**${usd(r.cost.perMillionJobsTotal)}**`]])}

A ${r.deployed.memoryMb} MB function gets ${r.cost.vcpuShare.toFixed(2)} of a vCPU, so its duration per job is bounded by its CPU
per job as well as by the API latency: ${ms(r.cost.projectedMsPerJob, 1)} a job is used above. The CPU figure is this
machine's core, not Graviton's; treat the duration as an estimate within a factor of two.`;
}

/** BENCHMARKS.md. */
export function renderMarkdown(r: BenchResult): string {
  return [
    header(r),
    summarySection(r),
    machineSection(r),
    methodSection(r),
    coldStartSection(r),
    drainSection(r),
    apiSection(r),
    costSection(r),
    renderArtifactsSection(r.artifacts),
    installSection(r.install),
    renderCheckAgainSection(r.checkAgain),
  ].join('\n\n');
}

/**
 * What the same script measured before the construct's and the local tools' packages became
 * optional peer dependencies (the package at commit 52c08a9), for the comparison.
 */
const INSTALL_BEFORE = {
  withCdk: { packages: 235, megabytes: 226 },
  alone: { packages: 235, megabytes: 226 },
} as const;

/** A consumer's install of the packed package, now and before the optional peers. */
function installSection(install: InstallFootprint): string {
  const [withCdk, alone] = install.results;
  const before = [INSTALL_BEFORE.withCdk, INSTALL_BEFORE.alone];
  const rows = install.results.map((r, index) => {
    const then = before[index];
    const mb = r.nodeModulesBytes / 1e6;
    const scripts = r.scriptLines.length === 0 ? 'none' : r.scriptLines.join('; ');
    const has = WATCHED_PACKAGES.filter((name) => r.present[name]).join(', ') || 'none of them';
    const ratio = then
      ? ` (${(mb / then.megabytes).toFixed(2)}x of ${then.packages} packages, ${then.megabytes} MB before)`
      : '';
    return `| ${r.app} | ${r.packages} | ${mb.toFixed(0)} MB${ratio} | ${has} | ${scripts} |`;
  });
  return [
    "## A consumer's install",
    '',
    `\`${install.tarball}\`, packed from this checkout, installed from the registry into two fresh apps by \`bench/install-footprint.ts\` (\`npx tsx bench/install-footprint.ts\` runs it alone): one that deploys the construct (with aws-cdk-lib, constructs and esbuild, which a CDK app declares itself) and one that holds only the function's code. Packages are counted by \`npm ls --all --parseable\`, bytes by \`du -sb node_modules\`. Before the construct's and the local tools' packages (esbuild, dynalite with its native classic-level, s3rver, tsx) became optional peer dependencies, both apps installed ${INSTALL_BEFORE.alone.packages} packages (${INSTALL_BEFORE.alone.megabytes} MB), aws-cdk-lib included, and npm ran classic-level's and esbuild's install scripts and warned about the package's own \`prepare\`.`,
    '',
    '| app | packages | node_modules | of the watched packages, installed | install scripts npm ran or listed |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Watched: ${WATCHED_PACKAGES.join(', ')}.${withCdk && alone ? ` A function-only package now installs ${alone.packages} packages, ${(alone.nodeModulesBytes / 1e6).toFixed(0)} MB.` : ''}`,
  ].join('\n');
}
