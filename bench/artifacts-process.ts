/**
 * One measured transfer of the artifact benchmark, bundled and run in a fresh process, so
 * that its peak RSS is its own: the artifact API (`extract()`, `uploadDirectory()`) or the
 * floor it is held to, which moves the same tree with the best-known tools (GetObject to a
 * file then Info-ZIP's `unzip`; Info-ZIP's `zip -6` then a plain multipart `Upload`).
 * Configured by the environment; writes its figures to `BENCH_REPORT_FILE`.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  DEFAULT_PART_SIZE_BYTES,
  DEFAULT_UPLOAD_CONCURRENCY,
  ENTRY_DISK_BYTES,
  jobArtifacts,
} from '../lambda/artifacts/index.js';
import type { Job } from '../lambda/job/job.js';
import type { ProcessingContext } from '../lambda/job/processor.js';
import { Secret } from '../lambda/job/secret.js';
import { sdkClientOptions } from '../lambda/sdk-options.js';
import { countTree, type TreeCounts } from './tree.js';

/** The transfers measured: the artifact API's, and the floor of each. */
export type TransferMode = 'api-extract' | 'floor-extract' | 'api-upload' | 'floor-upload';

/** What the external tool of a floor (`unzip`, `zip`) used, as `/usr/bin/time` saw it. */
export interface ToolUsage {
  readonly tool: string;
  readonly cpuMs: number;
  /** The tool's own peak resident set (`%M`). */
  readonly peakRssMb: number;
}

/** What one process measured. */
export interface TransferReport {
  readonly mode: TransferMode;
  /** Bytes of the zip moved: downloaded for an extraction, uploaded for an upload. */
  readonly bytes: number;
  readonly wallMs: number;
  /** CPU of the whole transfer: this process's, plus the external tool's for a floor. */
  readonly cpuMs: number;
  /** Resident set after the imports, before the transfer. */
  readonly rssBeforeMb: number;
  /** Peak resident set of this Node process (`VmHWM`), the external tool's not included. */
  readonly peakRssMb: number;
  /** The external tool of a floor. */
  readonly tool?: ToolUsage;
  /** Parts of an upload. */
  readonly parts?: number;
  /** What an extraction wrote, counted after the clock stopped. */
  readonly extracted?: TreeCounts;
}

/**
 * The process's peak resident set, from `VmHWM` in /proc/self/status where there is one.
 * `process.resourceUsage().maxRSS` is no measure of a child process on Linux: the kernel
 * carries the high-water mark of the process that forked it over the exec, so a child of
 * the benchmark reports at least the benchmark's own resident set.
 */
function peakRssMb(): number {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    if (kb) return Number(kb) / 1024;
  } catch {
    // Not Linux: maxRSS is the best there is.
  }
  return process.resourceUsage().maxRSS / 1024;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const mode = required('BENCH_MODE') as TransferMode;
const bucket = required('BENCH_BUCKET');
const key = required('BENCH_KEY');
const workDir = required('BENCH_WORK_DIR');
const credentials = {
  accessKeyId: required('BENCH_ACCESS_KEY_ID'),
  secretAccessKey: required('BENCH_SECRET_ACCESS_KEY'),
  sessionToken: 'bench-session',
};
const sdk = { maxAttempts: 3, requestTimeoutMs: 30_000 };
const location = (name: string) => ({ name, bucketName: bucket, objectKey: key });

const job: Job = {
  id: '00000000-0000-4000-8000-000000000000',
  nonce: '1',
  accountId: '111122223333',
  actionTypeId: { owner: 'Custom', category: 'Build', provider: 'Bench', version: '1' },
  configuration: {},
  secrets: {},
  pipelineContext: {},
  inputArtifacts: [location('Input')],
  outputArtifacts: [location('Output')],
  artifactCredentials: new Secret(credentials),
  encryptionKey: { id: 'bench-key', type: 'KMS' },
};

const context: ProcessingContext = {
  deadline: Date.now() + 3_600_000,
  signal: new AbortController().signal,
  attempt: 1,
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  workDirectory: workDir,
  sdk,
  now: () => Date.now(),
  refreshJob: () => Promise.reject(new Error('no refresh in the benchmark')),
  beforeReport() {},
};

/** The plain client of a floor, with the worker's SDK settings. */
function plainClient(): S3Client {
  return new S3Client({
    ...sdkClientOptions(sdk),
    region: 'us-east-1',
    endpoint: required('BENCH_S3_ENDPOINT'),
    forcePathStyle: true,
    credentials,
  });
}

/**
 * Runs an external tool under `/usr/bin/time`, which reports the tool's own CPU and peak RSS
 * (this process's high-water mark is not carried over: `time` is forked, not this process).
 */
async function timed(tool: string, args: readonly string[], cwd: string): Promise<ToolUsage> {
  const usageFile = join(workDir, `${tool}.time`);
  const child = spawn('/usr/bin/time', ['-f', '%M %U %S', '-o', usageFile, tool, ...args], {
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-2_000);
  });
  const code = await new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', resolve);
  });
  if (code !== 0) throw new Error(`${tool} ${args.join(' ')} exited with ${code}: ${stderr}`);
  const [kb, user, system] = readFileSync(usageFile, 'utf8')
    .trim()
    .split(/\s+/)
    .slice(-3)
    .map(Number);
  if (kb === undefined || user === undefined || system === undefined) {
    throw new Error(`/usr/bin/time wrote no usage for ${tool}`);
  }
  return { tool, cpuMs: (user + system) * 1000, peakRssMb: kb / 1024 };
}

interface Moved {
  readonly bytes: number;
  readonly tool?: ToolUsage;
  readonly parts?: number;
  /** Where an extraction wrote the tree. */
  readonly directory?: string;
}

/** The extraction's limits: the archive and the tree it holds, with room to spare. */
function extractLimits() {
  const entries = Number(required('BENCH_TREE_ENTRIES')) + 64;
  return {
    maxInputBytes: Number(required('BENCH_OBJECT_BYTES')),
    maxExtractedBytes: Number(required('BENCH_TREE_BYTES')) + entries * ENTRY_DISK_BYTES,
    maxEntries: entries,
  };
}

async function transfer(): Promise<Moved> {
  const source = process.env.BENCH_SOURCE ?? '';
  switch (mode) {
    case 'api-extract': {
      const limits = extractLimits();
      const directory = await jobArtifacts(job, context, limits).extract('Input');
      return { bytes: limits.maxInputBytes, directory };
    }
    case 'floor-extract': {
      await mkdir(workDir, { recursive: true });
      const file = join(workDir, 'artifact.zip');
      const directory = join(workDir, 'tree');
      const response = await plainClient().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(response.Body as NodeJS.ReadableStream, createWriteStream(file));
      const tool = await timed('unzip', ['-q', '-o', file, '-d', directory], workDir);
      return { bytes: (await stat(file)).size, tool, directory };
    }
    case 'api-upload': {
      const result = await jobArtifacts(job, context).uploadDirectory('Output', source);
      return { bytes: result.bytes, parts: result.parts };
    }
    case 'floor-upload': {
      await mkdir(workDir, { recursive: true });
      const file = join(workDir, 'artifact.zip');
      const tool = await timed('zip', ['-6', '-r', '-q', '-y', file, '.'], source);
      const upload = new Upload({
        client: plainClient(),
        partSize: DEFAULT_PART_SIZE_BYTES,
        queueSize: DEFAULT_UPLOAD_CONCURRENCY,
        params: {
          Bucket: bucket,
          Key: key,
          Body: createReadStream(file),
          ServerSideEncryption: 'aws:kms',
        },
      });
      let parts = 0;
      upload.on('httpUploadProgress', (progress) => {
        parts = Math.max(parts, progress.part ?? 1);
      });
      await upload.done();
      return { bytes: (await stat(file)).size, tool, parts };
    }
  }
}

const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const moved = await transfer();
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const peak = peakRssMb();
const report: TransferReport = {
  mode,
  bytes: moved.bytes,
  wallMs,
  cpuMs: (cpu.user + cpu.system) / 1000 + (moved.tool?.cpuMs ?? 0),
  rssBeforeMb,
  peakRssMb: peak,
  ...(moved.tool ? { tool: moved.tool } : {}),
  ...(moved.parts === undefined ? {} : { parts: moved.parts }),
  ...(moved.directory ? { extracted: await countTree(moved.directory) } : {}),
};
writeFileSync(required('BENCH_REPORT_FILE'), JSON.stringify(report));
process.exit(0);
