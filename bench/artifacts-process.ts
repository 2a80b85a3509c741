/**
 * One measured transfer of the artifact benchmark, bundled and run in a fresh process, so
 * that its peak RSS is its own: the artifact API (download and extract, or zip and upload a
 * directory) or the plain S3 call that moves the same bytes (GetObject to a file, PutObject
 * of a file). Configured by the environment; writes its figures to `BENCH_REPORT_FILE`.
 */
import { createReadStream, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import {
  DEFAULT_PART_SIZE_BYTES,
  DEFAULT_UPLOAD_CONCURRENCY,
  jobArtifacts,
} from '../lambda/artifacts/index.js';
import type { Job } from '../lambda/job/job.js';
import type { ProcessingContext } from '../lambda/job/processor.js';
import { Secret } from '../lambda/job/secret.js';
import { sdkClientOptions } from '../lambda/sdk-options.js';

/** The transfers measured: the artifact API's, and the plain calls beside them. */
export type TransferMode =
  | 'plain-get'
  | 'api-extract'
  | 'plain-put'
  | 'plain-upload-parts'
  | 'api-upload-directory'
  | 'api-upload-directory-stored';

/** What one process measured. */
export interface TransferReport {
  readonly mode: TransferMode;
  readonly bytes: number;
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Resident set after the imports, before the transfer. */
  readonly rssBeforeMb: number;
  /** Peak resident set of the whole process (see {@link peakRssMb}). */
  readonly peakRssMb: number;
  /** `process.resourceUsage().maxRSS`, which on Linux also counts the parent's at the fork. */
  readonly maxRssMb: number;
  /** Parts of an upload (1: a single PutObject). */
  readonly parts?: number;
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

/**
 * The plain client, with the worker's SDK settings. `streamed`: for a streamed PutObject body,
 * which the SDK sends aws-chunked with a trailing checksum that s3rver refuses; without a
 * checksum it is sent unsigned, as S3 over HTTP allows.
 */
function plainClient(streamed = false): S3Client {
  return new S3Client({
    ...sdkClientOptions(sdk),
    ...(streamed ? { requestChecksumCalculation: 'WHEN_REQUIRED' as const } : {}),
    region: 'us-east-1',
    endpoint: required('BENCH_S3_ENDPOINT'),
    forcePathStyle: true,
    credentials,
  });
}

async function transfer(): Promise<{ bytes: number; parts?: number }> {
  const source = process.env.BENCH_SOURCE ?? '';
  switch (mode) {
    case 'plain-get': {
      await mkdir(workDir, { recursive: true });
      const file = join(workDir, 'object');
      const response = await plainClient().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      await pipeline(response.Body as NodeJS.ReadableStream, createWriteStream(file));
      return { bytes: (await stat(file)).size };
    }
    case 'api-extract': {
      // Limits that let this artifact through whatever its size (the defaults are sized from
      // the function's storage): the archive, and its contents with a block per entry.
      const bytes = Number(required('BENCH_OBJECT_BYTES'));
      await jobArtifacts(job, context, {
        maxInputBytes: bytes,
        maxExtractedBytes: 2 * bytes,
      }).extract('Input');
      return { bytes };
    }
    case 'plain-put': {
      const { size } = await stat(source);
      await plainClient(true).send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: createReadStream(source),
          ContentLength: size,
          ServerSideEncryption: 'aws:kms',
        }),
      );
      return { bytes: size, parts: 1 };
    }
    case 'plain-upload-parts': {
      const upload = new Upload({
        client: plainClient(),
        partSize: DEFAULT_PART_SIZE_BYTES,
        queueSize: DEFAULT_UPLOAD_CONCURRENCY,
        params: {
          Bucket: bucket,
          Key: key,
          Body: createReadStream(source),
          ServerSideEncryption: 'aws:kms',
        },
      });
      let parts = 0;
      upload.on('httpUploadProgress', (progress) => {
        parts = Math.max(parts, progress.part ?? 1);
      });
      await upload.done();
      return { bytes: (await stat(source)).size, parts };
    }
    case 'api-upload-directory':
    case 'api-upload-directory-stored': {
      const result = await jobArtifacts(job, context).uploadDirectory('Output', source, {
        compress: mode === 'api-upload-directory',
      });
      return { bytes: result.bytes, parts: result.parts };
    }
  }
}

const rssBeforeMb = process.memoryUsage.rss() / 2 ** 20;
const cpuBefore = process.cpuUsage();
const started = performance.now();
const { bytes, parts } = await transfer();
const wallMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
const report: TransferReport = {
  mode,
  bytes,
  wallMs,
  cpuMs: (cpu.user + cpu.system) / 1000,
  rssBeforeMb,
  peakRssMb: peakRssMb(),
  maxRssMb: process.resourceUsage().maxRSS / 1024,
  parts,
};
writeFileSync(required('BENCH_REPORT_FILE'), JSON.stringify(report));
process.exit(0);
