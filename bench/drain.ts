/**
 * One drain: the emulator (with latency) and dynalite in processes of their own, `jobs` jobs
 * queued, and the worker, bundled as deployed, invoked once in a fresh process.
 */
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { StatsView } from '../local/emulator/index.js';
import type { InvocationReport, WorkerReport } from './drain-invoke.js';
import type { DeployedShape } from './infra.js';
import { lambdaEnvironment } from './lambda-env.js';
import { run } from './processes.js';
import { startDynaliteProcess, startEmulatorProcess, startXRaySink } from './servers.js';

export interface DrainOptions {
  readonly label: string;
  /** The function as the stack deploys it (environment, memory). */
  readonly deployed: DeployedShape;
  /** The bundle of `bench/drain-invoke.ts`. */
  readonly workerBundle: string;
  readonly jobs: number;
  readonly latencyMs: number;
  /** `CONCURRENCY`; the construct's default when absent. */
  readonly concurrency?: number;
  /** Whether X-Ray tracing is on, as with the function's active tracing (the default). */
  readonly tracing: boolean;
  /** Also measure a second invocation that finds the queue empty. */
  readonly idleInvocation?: boolean;
  readonly workDir: string;
  /** More variables for the worker process. */
  readonly env?: Readonly<Record<string, string>>;
  /** Leaves out the write that records a report before it is sent (a reference). */
  readonly withoutRecord?: boolean;
  /** Node flags for the worker process (`--cpu-prof`, say). */
  readonly nodeArgs?: readonly string[];
}

export interface InvocationResult extends InvocationReport {
  readonly logBytes: number;
  readonly logLines: number;
  /** The names of the metrics the invocation published (EMF), sorted. */
  readonly metricNames: string[];
}

export interface DrainResult {
  readonly label: string;
  readonly jobs: number;
  readonly latencyMs: number;
  readonly concurrency: number | undefined;
  readonly tracing: boolean;
  readonly drain: InvocationResult;
  readonly idle: InvocationResult | undefined;
  /** What the emulator counted (HTTP calls received, per operation). */
  readonly emulatorCalls: StatsView['calls'];
  /** Jobs the emulator reports as Succeeded at the end. */
  readonly succeededAtEmulator: number;
  /** X-Ray segment documents (and their bytes) the worker sent to the daemon address. */
  readonly xraySegments: number;
  readonly xrayBytes: number;
  /** Size of a finished ledger item, by DynamoDB's item size rules (bytes). */
  readonly ledgerItemBytes: number;
  readonly importMs: number;
  readonly maxRssMb: number;
}

function withLogs(invocation: InvocationReport, logs: Buffer): InvocationResult {
  const slice = logs.subarray(invocation.logStart, invocation.logEnd);
  let lines = 0;
  for (let at = slice.indexOf(10); at !== -1; at = slice.indexOf(10, at + 1)) lines++;
  return {
    ...invocation,
    logBytes: slice.length,
    logLines: lines,
    metricNames: emfMetricNames(slice.toString('utf8')),
  };
}

/** The metric names of every EMF record among `text`'s lines. */
export function emfMetricNames(text: string): string[] {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.includes('"_aws"')) continue;
    try {
      const record = JSON.parse(line) as {
        _aws?: { CloudWatchMetrics?: { Metrics?: { Name: string }[] }[] };
      };
      for (const group of record._aws?.CloudWatchMetrics ?? []) {
        for (const metric of group.Metrics ?? []) names.add(metric.Name);
      }
    } catch {
      // Not a JSON line: a plain log line.
    }
  }
  return [...names].sort();
}

/** Runs one drain and checks that every job succeeded exactly as expected. */
export async function runDrain(options: DrainOptions): Promise<DrainResult> {
  const dir = path.join(options.workDir, `drain-${options.label}`);
  mkdirSync(dir, { recursive: true });
  const emulator = await startEmulatorProcess(options.latencyMs);
  const dynamo = await startDynaliteProcess();
  const sink = await startXRaySink();
  try {
    await emulator.enqueue(options.jobs);
    const reportFile = path.join(dir, 'report.json');
    const logFile = path.join(dir, 'worker.log');
    const logFd = openSync(logFile, 'w');
    let finished: Awaited<ReturnType<typeof run>>;
    try {
      finished = await run(process.execPath, [...(options.nodeArgs ?? []), options.workerBundle], {
        cwd: dir,
        env: lambdaEnvironment({
          functionEnvironment: options.deployed.environment,
          memoryMb: options.deployed.memoryMb,
          tableName: dynamo.tableName,
          taskRoot: path.dirname(options.workerBundle),
          codePipelineEndpoint: emulator.url,
          dynamoDbEndpoint: dynamo.endpoint,
          xrayDaemonAddress: sink.address,
          overrides: {
            BENCH_REPORT_FILE: reportFile,
            BENCH_IDLE_INVOCATION: String(options.idleInvocation ?? false),
            ...(options.concurrency ? { CONCURRENCY: String(options.concurrency) } : {}),
            ...(options.tracing ? {} : { POWERTOOLS_TRACE_ENABLED: 'false' }),
            ...(options.withoutRecord ? { BENCH_WITHOUT_RECORD: 'true' } : {}),
            ...options.env,
          },
        }),
        stdio: ['ignore', logFd, 'pipe'],
        timeoutMs: 180_000,
      });
    } finally {
      closeSync(logFd);
    }
    if (finished.code !== 0) {
      throw new Error(
        `the worker process failed (${finished.code}): ${finished.stderr.slice(-3_000)}`,
      );
    }
    const report = JSON.parse(readFileSync(reportFile, 'utf8')) as WorkerReport;
    const logs = readFileSync(logFile);
    const [drainReport, idleReport] = report.invocations;
    if (!drainReport) throw new Error('the worker reported no invocation');
    const drain = withLogs(drainReport, logs);
    if (drain.summary.succeeded !== options.jobs) {
      throw new Error(
        `${options.label}: ${drain.summary.succeeded} of ${options.jobs} jobs succeeded in one invocation: ${JSON.stringify(drain.summary)}`,
      );
    }
    const jobs = await emulator.jobs();
    const succeededAtEmulator = jobs.filter((job) => job.status === 'Succeeded').length;
    if (succeededAtEmulator !== options.jobs) {
      throw new Error(`${options.label}: the emulator has ${succeededAtEmulator} jobs Succeeded`);
    }
    // Let the last UDP datagrams arrive.
    await new Promise((resolve) => setTimeout(resolve, 100));
    return {
      label: options.label,
      jobs: options.jobs,
      latencyMs: options.latencyMs,
      concurrency: options.concurrency,
      tracing: options.tracing,
      drain,
      idle: idleReport ? withLogs(idleReport, logs) : undefined,
      emulatorCalls: (await emulator.stats()).calls,
      succeededAtEmulator,
      xraySegments: sink.received.segments,
      xrayBytes: sink.received.bytes,
      ledgerItemBytes: await dynamo.sampleItemBytes(),
      importMs: report.importMs,
      maxRssMb: report.maxRssMb,
    };
  } finally {
    await Promise.all([emulator.close(), dynamo.close(), sink.close()]);
  }
}
