/**
 * The worker process of a drain benchmark, bundled with the function's bundling options and
 * run by plain Node: it builds the handler as the sample's entry does (configuration from
 * the environment, the default SDK clients) plus one bench-only SDK middleware per client
 * that counts calls, invokes it as the Lambda runtime would, and writes what it measured to
 * `BENCH_REPORT_FILE`. Its stdout is the function's log stream.
 */
import { randomBytes } from 'node:crypto';
import { fstatSync, writeFileSync } from 'node:fs';
import type { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbNonceLedger } from '../lambda/adapters/dynamodb-nonce-ledger.js';
import { createCodePipelineClient, createDynamoDbClient } from '../lambda/clients.js';
import { loadConfig } from '../lambda/config.js';
import { createHandler } from '../lambda/create-handler.js';
import { mapStackTracesLazily } from '../lambda/source-maps.js';
import type { DrainSummary } from '../lambda/worker/counters.js';
import { localContext, scheduledEvent } from '../local/lambda-runtime.js';
import { bakeTimeGate } from '../samples/processors/bake-time-gate.js';

/** What the parent reads back. */
export interface InvocationReport {
  readonly label: string;
  readonly wallMs: number;
  readonly cpuUserMs: number;
  readonly cpuSystemMs: number;
  /** Commands sent, by `service:Command`. */
  readonly commands: Record<string, number>;
  /** HTTP attempts (retries included), by `service:Command`. */
  readonly attempts: Record<string, number>;
  /** Total time from send to result, by `service:Command` (ms). */
  readonly latencyMs: Record<string, number>;
  /** The most calls under way at once, by `service:Command`. */
  readonly peakInFlight: Record<string, number>;
  /** What the invocation wrote to stdout (log lines and EMF metrics): byte offsets. */
  readonly logStart: number;
  readonly logEnd: number;
  readonly summary: DrainSummary;
}

export interface WorkerReport {
  readonly importMs: number;
  readonly invocations: InvocationReport[];
  readonly maxRssMb: number;
}

const commands: Record<string, number> = {};
const attempts: Record<string, number> = {};
const latency: Record<string, number> = {};
const inFlight: Record<string, number> = {};
const peakInFlight: Record<string, number> = {};

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

function counted<C extends CodePipelineClient | DynamoDBClient>(service: string, client: C): C {
  const stack = client.middlewareStack as CodePipelineClient['middlewareStack'];
  stack.add(
    (next, context) => async (args) => {
      const key = `${service}:${context.commandName}`;
      bump(commands, key);
      bump(inFlight, key);
      peakInFlight[key] = Math.max(peakInFlight[key] ?? 0, inFlight[key] ?? 0);
      const sent = performance.now();
      try {
        return await next(args);
      } finally {
        latency[key] = (latency[key] ?? 0) + performance.now() - sent;
        inFlight[key] = (inFlight[key] ?? 1) - 1;
      }
    },
    { step: 'initialize', name: 'benchCommandCounter' },
  );
  // The deserialize step runs once per HTTP attempt, after the retry middleware.
  stack.add(
    (next, context) => (args) => {
      bump(attempts, `${service}:${context.commandName}`);
      return next(args);
    },
    { step: 'deserialize', name: 'benchAttemptCounter' },
  );
  return client;
}

/** Bytes written so far to stdout, which the benchmark points at a file (fd 1). */
function loggedBytes(): number {
  return fstatSync(1).size;
}

const importStarted = performance.now();
mapStackTracesLazily(import.meta.url);
const config = loadConfig(process.env);
const dynamoDbClient = counted('dynamodb', createDynamoDbClient(config));
const ledger = new DynamoDbNonceLedger({
  tableName: config.ledgerTableName,
  retentionSeconds: config.recordRetentionSeconds,
  client: dynamoDbClient,
});
// A reference, never deployed: the worker without the write that records a report before it
// is sent, to show in the same run what that write costs.
if (process.env.BENCH_WITHOUT_RECORD === 'true') ledger.record = async () => true;
const handler = createHandler({
  config,
  processor: bakeTimeGate(),
  codePipelineClient: counted('codepipeline', createCodePipelineClient(config)),
  dynamoDbClient,
  ledger,
});
const importMs = performance.now() - importStarted;

async function invoke(label: string, timeoutMs: number): Promise<InvocationReport> {
  // The runtime sets the trace header of each invocation before calling the handler.
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=1`;
  for (const counts of [commands, attempts, latency, peakInFlight])
    for (const key of Object.keys(counts)) delete counts[key];
  const logStart = loggedBytes();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const summary = (await handler(
    scheduledEvent(),
    localContext(timeoutMs, {
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'bench',
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '512',
      requestId: crypto.randomUUID(),
    }),
  )) as DrainSummary;
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return {
    label,
    wallMs,
    cpuUserMs: cpu.user / 1000,
    cpuSystemMs: cpu.system / 1000,
    commands: { ...commands },
    attempts: { ...attempts },
    latencyMs: { ...latency },
    peakInFlight: { ...peakInFlight },
    logStart,
    logEnd: loggedBytes(),
    summary,
  };
}

const timeoutMs = Number(process.env.BENCH_FUNCTION_TIMEOUT_MS ?? 60_000);
const invocations = [await invoke('drain', timeoutMs)];
// A second invocation finds the queue empty: what every idle scheduled tick costs.
if (process.env.BENCH_IDLE_INVOCATION === 'true') invocations.push(await invoke('idle', timeoutMs));
const report: WorkerReport = {
  importMs,
  invocations,
  maxRssMb: process.resourceUsage().maxRSS / 1024,
};
const file = process.env.BENCH_REPORT_FILE;
if (!file) throw new Error('BENCH_REPORT_FILE is not set');
writeFileSync(file, JSON.stringify(report));
process.exit(0);
