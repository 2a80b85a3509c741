/**
 * What the worker talks to during a drain, each in a process of its own so that the worker
 * process's CPU time is only its own: the CodePipeline emulator (with injected latency),
 * dynalite as DynamoDB, and a UDP sink standing in for the X-Ray daemon.
 */
import { createSocket } from 'node:dgram';
import path from 'node:path';
import { type AttributeValue, DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createLedgerTable, LOCAL_CREDENTIALS } from '../local/dynamodb.js';
import type { JobSummary, StatsView } from '../local/emulator/index.js';
import { freePort } from '../local/free-port.js';
import { DEMO_ACTION_TYPE, DEMO_PROPERTIES } from '../samples/local/worker-env.js';
import { REPO_ROOT } from './paths.js';
import { start, stop, waitForLine } from './processes.js';

export interface EmulatorProcess {
  readonly url: string;
  readonly pid: number | undefined;
  /** Queues `count` demo-type jobs that succeed at once (no bake time). */
  enqueue(count: number): Promise<string[]>;
  stats(): Promise<StatsView>;
  jobs(): Promise<JobSummary[]>;
  close(): Promise<void>;
}

async function adminCall<T>(url: string, method: string, body?: unknown): Promise<T> {
  const response = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  if (!response.ok)
    throw new Error(`${method} ${url}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Starts `local/emulator/cli.ts` (via tsx) with `latencyMs` added to every API call. */
export async function startEmulatorProcess(latencyMs: number): Promise<EmulatorProcess> {
  const child = start(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/emulator/cli.ts',
      '--port',
      '0',
      '--latency-ms',
      String(latencyMs),
      '--quiet',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env } },
  );
  const [, url] = await waitForLine(child, /listening on (http:\/\/[^\s]+)/, 20_000);
  if (!url) throw new Error('the emulator printed no URL');
  child.stdout?.resume();
  child.stderr?.resume();
  await adminCall(`${url}/emulator/action-types`, 'POST', {
    category: DEMO_ACTION_TYPE.category,
    provider: DEMO_ACTION_TYPE.provider,
    version: DEMO_ACTION_TYPE.version,
    configurationProperties: DEMO_PROPERTIES.map((p) => ({ ...p })),
    inputArtifactDetails: { minimumCount: 0, maximumCount: 1 },
    outputArtifactDetails: { minimumCount: 0, maximumCount: 0 },
  });
  return {
    url,
    pid: child.pid,
    async enqueue(count) {
      const ids: string[] = [];
      for (let next = 0; next < count; next += 50) {
        const batch = Array.from({ length: Math.min(50, count - next) }, (_, i) =>
          adminCall<{ jobId: string }>(`${url}/emulator/jobs`, 'POST', {
            actionTypeId: { ...DEMO_ACTION_TYPE },
            configuration: {
              BakeTimeSeconds: '0',
              Environment: `bench-${next + i}`,
              NotifyToken: `ntk-${crypto.randomUUID()}`,
            },
          }),
        );
        for (const { jobId } of await Promise.all(batch)) ids.push(jobId);
      }
      return ids;
    },
    stats: () => adminCall<StatsView>(`${url}/emulator/stats`, 'GET'),
    jobs: async () => (await adminCall<{ jobs: JobSummary[] }>(`${url}/emulator/jobs`, 'GET')).jobs,
    close: () => stop(child),
  };
}

export interface DynaliteProcess {
  readonly endpoint: string;
  readonly tableName: string;
  /** The size of one item of the table by DynamoDB's rules (names plus values), bytes. */
  sampleItemBytes(): Promise<number>;
  close(): Promise<void>;
}

/** DynamoDB's item size: attribute names plus values (numbers approximated by their digits). */
export function itemBytes(item: Record<string, AttributeValue>): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(item)) {
    bytes += Buffer.byteLength(name);
    if (value.S !== undefined) bytes += Buffer.byteLength(value.S);
    else if (value.N !== undefined)
      bytes += Math.ceil(value.N.replace(/^-|\./g, '').length / 2) + 1;
    else if (value.SS !== undefined) {
      bytes += value.SS.reduce((sum, member) => sum + Buffer.byteLength(member), 0);
    } else bytes += Buffer.byteLength(JSON.stringify(value));
  }
  return bytes;
}

/** Starts dynalite's CLI on a free port with a fresh ledger table. */
export async function startDynaliteProcess(): Promise<DynaliteProcess> {
  const port = await freePort();
  const child = start(
    process.execPath,
    [
      path.join(REPO_ROOT, 'node_modules', 'dynalite', 'cli.js'),
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--createTableMs',
      '0',
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await waitForLine(child, /Dynalite listening/, 20_000);
  child.stdout?.resume();
  child.stderr?.resume();
  const endpoint = `http://127.0.0.1:${port}`;
  const admin = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const tableName = `ledger-${crypto.randomUUID()}`;
  await createLedgerTable(admin, tableName);
  return {
    endpoint,
    tableName,
    async sampleItemBytes() {
      const { Items } = await admin.send(new ScanCommand({ TableName: tableName, Limit: 1 }));
      return Items?.[0] ? itemBytes(Items[0]) : 0;
    },
    async close() {
      admin.destroy();
      await stop(child);
    },
  };
}

export interface XRaySink {
  readonly address: string;
  /** Segment documents received so far. */
  readonly received: { segments: number; bytes: number };
  close(): Promise<void>;
}

/** A UDP socket where the worker's X-Ray SDK sends its segments (as to the daemon). */
export async function startXRaySink(): Promise<XRaySink> {
  const socket = createSocket('udp4');
  const received = { segments: 0, bytes: 0 };
  socket.on('message', (message) => {
    received.bytes += message.length;
    // Several documents may share a datagram, each after the `{"format"...}` header line.
    received.segments += message.toString('utf8').split('{"format"').length - 1;
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    received,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
