/**
 * The artifact API's cost on a large artifact, side by side with the plain S3 calls that move
 * the same bytes, in the same run: peak RSS and throughput of download-and-extract against a
 * GetObject to a file, and of zip-and-upload of a directory against a PutObject of the zip.
 * Each transfer runs in a fresh process (bench/artifacts-process.ts, bundled); the local S3
 * stand-in runs in a process of its own.
 *
 *   npx tsx bench/artifacts.ts             256 MB, the Markdown section on stdout
 *   npx tsx bench/artifacts.ts --mb 1024   1 GB
 */
import { randomFillSync } from 'node:crypto';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import yazl from 'yazl';
import { DEFAULT_PART_SIZE_BYTES, DEFAULT_UPLOAD_CONCURRENCY } from '../lambda/artifacts/index.js';
import type { TransferMode, TransferReport } from './artifacts-process.js';
import { bundle, stopBundler } from './bundle.js';
import { REPO_ROOT, WORK_DIR } from './paths.js';
import { run, start, stop, waitForLine } from './processes.js';

/** The figures of one run; every one measured by it. */
export interface ArtifactBench {
  /** Size of the artifact (the zip object) in bytes. */
  readonly objectBytes: number;
  /** Files in the artifact (random, incompressible bytes). */
  readonly files: number;
  /** The artifact entry point bundled alone, as the worker bundles it. */
  readonly bundleBytes: number;
  readonly transfers: readonly TransferReport[];
}

const CREDENTIALS = { accessKeyId: 'AKIABENCHARTIFACTS00', secretAccessKey: 'bench-secret' };
const BUCKET = 'bench-artifacts';
const INPUT_KEY = 'pipeline/Input/artifact.zip';
const FILES = 64;

/** Writes `files` files of random bytes, `bytes` in all, under `directory`. */
async function randomTree(directory: string, bytes: number, files: number): Promise<void> {
  const chunk = Buffer.alloc(1024 * 1024);
  for (let index = 0; index < files; index++) {
    const target = path.join(directory, `part-${String(index).padStart(3, '0')}.bin`);
    await mkdir(directory, { recursive: true });
    const out = createWriteStream(target);
    let left = Math.floor(bytes / files);
    while (left > 0) {
      const size = Math.min(left, chunk.length);
      randomFillSync(chunk, 0, size);
      if (!out.write(chunk.subarray(0, size))) {
        await new Promise<void>((resolve) => out.once('drain', () => resolve()));
      }
      left -= size;
    }
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
}

/** Zips `directory` (stored: random bytes do not compress) into `file`. */
async function zipTree(directory: string, file: string, files: number): Promise<void> {
  const zip = new yazl.ZipFile();
  for (let index = 0; index < files; index++) {
    const name = `part-${String(index).padStart(3, '0')}.bin`;
    zip.addFile(path.join(directory, name), name, { compress: false });
  }
  zip.end();
  await pipeline(zip.outputStream, createWriteStream(file));
}

async function startServer(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const child = start(process.execPath, ['--import', 'tsx', 'bench/fixtures/s3-server.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      BENCH_S3_BUCKET: BUCKET,
      BENCH_S3_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      BENCH_S3_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    },
  });
  const [, endpoint] = await waitForLine(child, /listening on (http:\/\/\S+)/, 20_000);
  if (!endpoint) throw new Error('the S3 stand-in printed no endpoint');
  child.stdout?.resume();
  child.stderr?.resume();
  return { endpoint, close: () => stop(child) };
}

async function putArtifact(endpoint: string, file: string): Promise<void> {
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
  try {
    await new Upload({
      client,
      params: { Bucket: BUCKET, Key: INPUT_KEY, Body: createReadStream(file) },
    }).done();
  } finally {
    client.destroy();
  }
}

/**
 * Measures each transfer of an artifact of about `sizeMb` MB in a fresh process.
 *
 * @param options - `sizeMb`: the artifact's size; `workDir`: a disposable folder (it needs
 *   about five times the artifact's size); `progress`: where to say what runs
 */
export async function measureArtifacts(options: {
  readonly sizeMb: number;
  readonly workDir?: string;
  readonly progress?: (message: string) => void;
}): Promise<ArtifactBench> {
  const say = options.progress ?? (() => undefined);
  const root = path.join(options.workDir ?? WORK_DIR, 'artifacts');
  await rm(root, { recursive: true, force: true });
  const tree = path.join(root, 'tree');
  const archive = path.join(root, 'artifact.zip');
  say(`artifacts: writing ${FILES} files of random bytes, ${options.sizeMb} MB in all`);
  await randomTree(tree, options.sizeMb * 1024 * 1024, FILES);
  await zipTree(tree, archive, FILES);
  const objectBytes = (await stat(archive)).size;
  const worker = await bundle('bench/artifacts-process.ts', path.join(root, 'bundle'));
  const entry = await bundle('lambda/artifacts/index.ts', path.join(root, 'entry-bundle'));
  await stopBundler();
  const server = await startServer();
  try {
    await putArtifact(server.endpoint, archive);
    const transfers: TransferReport[] = [];
    const plans: readonly [TransferMode, string, string][] = [
      ['plain-get', INPUT_KEY, ''],
      ['api-extract', INPUT_KEY, ''],
      ['plain-put', 'pipeline/Output/plain.zip', archive],
      ['plain-upload-parts', 'pipeline/Output/plain-parts.zip', archive],
      ['api-upload-directory', 'pipeline/Output/api.zip', tree],
      ['api-upload-directory-stored', 'pipeline/Output/api-stored.zip', tree],
    ];
    for (const [mode, key, source] of plans) {
      say(`artifacts: ${mode}, in a fresh process`);
      const reportFile = path.join(root, `${mode}.json`);
      const workDirectory = path.join(root, `work-${mode}`);
      const finished = await run(process.execPath, [worker.file], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? '',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          AWS_REGION: 'us-east-1',
          AWS_ENDPOINT_URL_S3: server.endpoint,
          BENCH_S3_ENDPOINT: server.endpoint,
          BENCH_MODE: mode,
          BENCH_BUCKET: BUCKET,
          BENCH_KEY: key,
          BENCH_SOURCE: source,
          BENCH_OBJECT_BYTES: String(objectBytes),
          BENCH_WORK_DIR: workDirectory,
          BENCH_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
          BENCH_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
          BENCH_REPORT_FILE: reportFile,
        },
        timeoutMs: 600_000,
      });
      if (finished.code !== 0) {
        throw new Error(`artifacts ${mode} failed: ${finished.stderr.slice(-2_000)}`);
      }
      transfers.push(JSON.parse(readFileSync(reportFile, 'utf8')) as TransferReport);
      await rm(workDirectory, { recursive: true, force: true });
    }
    return { objectBytes, files: FILES, bundleBytes: entry.bytes, transfers };
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

const MODES: Readonly<Record<TransferMode, string>> = {
  'plain-get': 'GetObject to a file (plain SDK)',
  'api-extract': '`extract()`: download, then unzip',
  'plain-put': 'PutObject of the zip file (plain SDK)',
  'plain-upload-parts': 'the zip file in parts (plain lib-storage `Upload`)',
  'api-upload-directory': '`uploadDirectory()`: zip (deflate) while uploading in parts',
  'api-upload-directory-stored': '`uploadDirectory(…, { compress: false })`: zip (stored)',
};

/** The plain transfer each transfer of the artifact API is compared with: the same bytes. */
const PLAIN_OF: Readonly<Partial<Record<TransferMode, TransferMode>>> = {
  'api-extract': 'plain-get',
  'api-upload-directory': 'plain-upload-parts',
  'api-upload-directory-stored': 'plain-upload-parts',
};

/** Where `maxRSS` read more than the transfer's own peak in this run, say so. */
function maxRssNote(bench: ArtifactBench): string {
  const carried = bench.transfers.filter((t) => t.maxRssMb - t.peakRssMb > 5);
  if (carried.length === 0) return '';
  const values = carried.map((t) => `${t.maxRssMb.toFixed(0)} MB`).join(', ');
  return ` In this run it read ${values} for ${carried.length} of the ${bench.transfers.length} transfers, above their own peaks.`;
}

/** The BENCHMARKS.md section of an {@link ArtifactBench}. */
export function renderArtifactsSection(bench: ArtifactBench): string {
  const mb = (bytes: number) => bytes / 2 ** 20;
  const throughput = (t: TransferReport) => mb(t.bytes) / (t.wallMs / 1000);
  const versus = (t: TransferReport) => {
    const plain = bench.transfers.find((other) => other.mode === PLAIN_OF[t.mode]);
    return plain ? `${(throughput(t) / throughput(plain)).toFixed(2)}x` : '';
  };
  const rows = bench.transfers.map((t) => [
    MODES[t.mode],
    `${throughput(t).toFixed(0)} MB/s`,
    versus(t),
    `${(t.wallMs / 1000).toFixed(2)} s`,
    `${(t.cpuMs / 1000).toFixed(2)} s`,
    `${t.peakRssMb.toFixed(0)} MB`,
    `${(t.peakRssMb - t.rssBeforeMb).toFixed(0)} MB`,
    t.parts === undefined ? '' : String(t.parts),
  ]);
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  const header = [
    'transfer',
    'throughput',
    'vs plain SDK',
    'wall',
    'CPU',
    'peak RSS',
    'peak − start',
    'parts',
  ];
  return `## Artifacts

One artifact of ${mb(bench.objectBytes).toFixed(0)} MB (a zip of ${bench.files} files of random,
incompressible bytes) through the artifact API and through the plain S3 calls that move the same
bytes, against the local S3 stand-in (s3rver, in a process of its own) on loopback. Each transfer
ran once, in a fresh process. Peak RSS is the process's own high-water mark (\`VmHWM\`), not
\`process.resourceUsage().maxRSS\`: on Linux, a child's maxRSS can carry the high-water mark of
the process that forked it.${maxRssNote(bench)}
"vs plain SDK" is the throughput against the plain transfer of the same bytes: \`extract()\`
against GetObject, \`uploadDirectory()\` against a plain \`Upload\` in parts. "peak − start" is
what the transfer added to the process after its imports. The artifact API
bundled alone (minified) is ${(bench.bundleBytes / 1024).toFixed(0)} KB.

${[line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')}

\`extract()\` writes the bytes twice (the archive, then its files). Uploads in parts hold up to
${DEFAULT_UPLOAD_CONCURRENCY} parts of ${DEFAULT_PART_SIZE_BYTES / 2 ** 20} MiB in memory, and s3rver copies the parts into one object when the upload
completes (S3 does not), which the plain \`Upload\` of the same file shows apart from the cost of
zipping. \`uploadDirectory()\` deflates by default, which random bytes do not repay: the stored
row is the transfer without it. All of it on loopback and a local disk: in Lambda, the function's
share of a vCPU and the network to S3 set the pace.
`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({ options: { mb: { type: 'string', default: '256' } } });
  const result = await measureArtifacts({
    sizeMb: Number(values.mb),
    progress: (message) => process.stderr.write(`bench: ${message}\n`),
  });
  process.stdout.write(renderArtifactsSection(result));
  process.exit(0);
}
