/**
 * The artifact API on realistic trees, held to the floors the best-known tools set in the
 * same run: `extract()` against a GetObject to a file then Info-ZIP's `unzip`, and
 * `uploadDirectory()` against Info-ZIP's `zip -6` then a plain multipart `Upload`. Four
 * generated trees (bench/tree.ts), two sizes by two entry counts; for each, rounds that
 * alternate the API and its floor, each transfer in a fresh process
 * (bench/artifacts-process.ts, bundled); the local S3 stand-in runs in a process of its own.
 *
 *   npx tsx bench/artifacts.ts                    the Markdown section on stdout
 *   npx tsx bench/artifacts.ts --json out.json    and every figure, as JSON, in out.json
 */
import { execFileSync } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DEFAULT_PART_SIZE_BYTES, DEFAULT_UPLOAD_CONCURRENCY } from '../lambda/artifacts/index.js';
import type { TransferMode, TransferReport } from './artifacts-process.js';
import { bundle, stopBundler } from './bundle.js';
import { REPO_ROOT, WORK_DIR } from './paths.js';
import { run, start, stop, waitForLine } from './processes.js';
import { generateTree, type TreeSpec, type TreeStats } from './tree.js';

const MIB = 2 ** 20;

/**
 * The trees: 64 and 192 MiB, 4,000 and 16,000 entries. Three times the bytes and four times
 * the entries show whether time and memory follow either. 64 MiB is about the least that holds
 * 16,000 entries of the generator's source-like text and still some binaries; larger trees
 * would stretch a section that runs twelve transfers per tree, the floors at the pace of
 * `zip -6` deflating the binaries, past the few minutes `npm run bench` allows it.
 */
export const ARTIFACT_TREES: readonly TreeSpec[] = [
  { label: '64 MiB, 4k entries', seed: 1, entries: 4_000, bytes: 64 * MIB },
  { label: '64 MiB, 16k entries', seed: 2, entries: 16_000, bytes: 64 * MIB },
  { label: '192 MiB, 4k entries', seed: 3, entries: 4_000, bytes: 192 * MIB },
  { label: '192 MiB, 16k entries', seed: 4, entries: 16_000, bytes: 192 * MIB },
];

/** Rounds per tree; each runs every transfer once. */
export const ARTIFACT_ROUNDS = 3;

/** One tree and every transfer measured on it. */
export interface TreeBench {
  readonly spec: TreeSpec;
  readonly stats: TreeStats;
  /** The input artifact: the tree zipped by `zip -6 -r -q -y`. */
  readonly zipBytes: number;
  readonly transfers: readonly TransferReport[];
}

/** The figures of one run; every one measured by it. */
export interface ArtifactBench {
  readonly rounds: number;
  /** The artifact entry point bundled alone, as the worker bundles it. */
  readonly bundleBytes: number;
  /** Load average (1 minute) before and after the section. */
  readonly load: readonly [number, number];
  readonly trees: readonly TreeBench[];
}

/** The API's transfers and the floor each is held to. */
export const TRANSFERS = {
  extract: { api: 'api-extract', floor: 'floor-extract' },
  uploadDirectory: { api: 'api-upload', floor: 'floor-upload' },
} as const satisfies Record<string, { api: TransferMode; floor: TransferMode }>;

export type ArtifactTransfer = keyof typeof TRANSFERS;

/** Medians of one mode's rounds on one tree. */
export interface ModeFigures {
  readonly wallMs: number;
  /** The fastest and slowest rounds' wall times: the spread the median hides. */
  readonly wallMsRange: readonly [number, number];
  readonly cpuMs: number;
  /** The Node process's peak RSS. */
  readonly peakRssMb: number;
  /** The external tool's own peak RSS (floors only). */
  readonly toolPeakRssMb?: number;
  readonly toolCpuMs?: number;
  readonly bytes: number;
}

/** One (tree, transfer): the API against its floor. */
export interface TransferFigures {
  readonly tree: string;
  readonly transfer: ArtifactTransfer;
  readonly api: ModeFigures;
  readonly floor: ModeFigures;
  /** API speed / floor speed: floor time / API time. The goal is at least 0.8. */
  readonly ratio: number;
}

/** The median of non-empty `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** A figure that must have been measured: present, finite and above zero. */
function measured(value: number | undefined, what: string): number {
  if (value === undefined || !Number.isFinite(value) || !(value > 0)) {
    throw new Error(`the artifact benchmark has no ${what} (read ${String(value)})`);
  }
  return value;
}

function modeFigures(tree: TreeBench, mode: TransferMode): ModeFigures {
  const runs = tree.transfers.filter((t) => t.mode === mode);
  const what = (figure: string) => `${figure} of ${mode} on the tree ${tree.spec.label}`;
  if (runs.length === 0) throw new Error(`the artifact benchmark has no ${what('run')}`);
  const of = (figure: string, pick: (t: TransferReport) => number | undefined) =>
    measured(median(runs.map((t) => measured(pick(t), what(figure)))), what(figure));
  // A floor's external tool is part of it: its figures must be there too.
  const tools = mode.startsWith('floor');
  return {
    wallMs: of('wall time', (t) => t.wallMs),
    wallMsRange: [Math.min(...runs.map((t) => t.wallMs)), Math.max(...runs.map((t) => t.wallMs))],
    cpuMs: of('CPU time', (t) => t.cpuMs),
    peakRssMb: of('peak RSS', (t) => t.peakRssMb),
    bytes: of('bytes moved', (t) => t.bytes),
    ...(tools
      ? {
          toolPeakRssMb: of('tool peak RSS', (t) => t.tool?.peakRssMb),
          toolCpuMs: of('tool CPU time', (t) => t.tool?.cpuMs),
        }
      : {}),
  };
}

/**
 * Every (tree, transfer) with its medians and its ratio to the floor.
 *
 * @throws Error when a run, or a figure of one, is missing or zero: a ratio to a floor that was
 *   not measured would read as met
 */
export function transferFigures(bench: ArtifactBench): TransferFigures[] {
  return bench.trees.flatMap((tree) =>
    (Object.keys(TRANSFERS) as ArtifactTransfer[]).map((transfer) => {
      const api = modeFigures(tree, TRANSFERS[transfer].api);
      const floor = modeFigures(tree, TRANSFERS[transfer].floor);
      return { tree: tree.spec.label, transfer, api, floor, ratio: floor.wallMs / api.wallMs };
    }),
  );
}

/** How flat an API transfer's peak RSS is across the trees: max / min of its medians. */
export interface RssFlatness {
  readonly transfer: ArtifactTransfer;
  readonly minMb: number;
  readonly minTree: string;
  readonly maxMb: number;
  readonly maxTree: string;
  /** max / min; the goal is at most 1.10. */
  readonly ratio: number;
}

/**
 * The peak RSS of `transfer`'s API across the trees.
 *
 * @throws Error when no tree measured it
 */
export function rssFlatness(
  figures: readonly TransferFigures[],
  transfer: ArtifactTransfer,
): RssFlatness {
  const rows = figures.filter((f) => f.transfer === transfer);
  if (rows.length === 0) throw new Error(`the artifact benchmark has no ${transfer} rows`);
  const sorted = [...rows].sort((a, b) => a.api.peakRssMb - b.api.peakRssMb);
  const low = sorted[0] as TransferFigures;
  const high = sorted[sorted.length - 1] as TransferFigures;
  return {
    transfer,
    minMb: low.api.peakRssMb,
    minTree: low.tree,
    maxMb: high.api.peakRssMb,
    maxTree: high.tree,
    ratio: high.api.peakRssMb / low.api.peakRssMb,
  };
}

/** How a figure grows with entries at equal bytes, and with bytes at equal entries. */
export interface Growth {
  /** Per 1,000 more entries (files and directories); undefined without such a pair of trees. */
  readonly perThousandEntries: number | undefined;
  /** Per MiB more; undefined without such a pair of trees. */
  readonly perMib: number | undefined;
}

/**
 * How `pick` of one side of `transfer` grows across the trees: the mean slope over the pairs of
 * trees that differ in entries only (by spec), and over those that differ in bytes only.
 *
 * @param bench - the measured trees
 * @param transfer - `extract` or `uploadDirectory`
 * @param side - the API, or its floor
 * @param pick - the figure, e.g. wall time or peak RSS
 */
export function growth(
  bench: ArtifactBench,
  transfer: ArtifactTransfer,
  side: 'api' | 'floor',
  pick: (figures: ModeFigures) => number,
): Growth {
  interface Row {
    readonly spec: TreeSpec;
    readonly entries: number;
    readonly mib: number;
    readonly value: number;
  }
  const rows: Row[] = bench.trees.map((tree) => ({
    spec: tree.spec,
    entries: tree.stats.files + tree.stats.directories,
    mib: tree.stats.bytes / MIB,
    value: pick(modeFigures(tree, TRANSFERS[transfer][side])),
  }));
  const slopes = (same: (a: TreeSpec, b: TreeSpec) => boolean, x: (row: Row) => number) => {
    const found = rows.flatMap((a, i) =>
      rows
        .slice(i + 1)
        .filter((b) => same(a.spec, b.spec) && x(a) !== x(b))
        .map((b) => (b.value - a.value) / (x(b) - x(a))),
    );
    return found.length === 0 ? undefined : found.reduce((sum, v) => sum + v, 0) / found.length;
  };
  const perEntry = slopes(
    (a, b) => a.bytes === b.bytes,
    (row) => row.entries,
  );
  return {
    perThousandEntries: perEntry === undefined ? undefined : perEntry * 1000,
    perMib: slopes(
      (a, b) => a.entries === b.entries,
      (row) => row.mib,
    ),
  };
}

const CREDENTIALS = { accessKeyId: 'AKIABENCHARTIFACTS00', secretAccessKey: 'bench-secret' };
const BUCKET = 'bench-artifacts';

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

async function putArtifact(endpoint: string, key: string, file: string): Promise<void> {
  const client = new S3Client({
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: CREDENTIALS,
  });
  try {
    await new Upload({
      client,
      params: { Bucket: BUCKET, Key: key, Body: createReadStream(file) },
    }).done();
  } finally {
    client.destroy();
  }
}

/** What one transfer process needs besides its mode. */
interface TransferPlan {
  readonly worker: string;
  readonly endpoint: string;
  readonly root: string;
  readonly tree: string;
  readonly stats: TreeStats;
  readonly inputKey: string;
  readonly zipBytes: number;
}

async function runTransfer(plan: TransferPlan, mode: TransferMode, tag: string) {
  const reportFile = path.join(plan.root, `${tag}.json`);
  const workDirectory = path.join(plan.root, `work-${tag}`);
  const upload = mode === 'api-upload' || mode === 'floor-upload';
  const finished = await run(process.execPath, [plan.worker], {
    cwd: plan.root,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ENDPOINT_URL_S3: plan.endpoint,
      BENCH_S3_ENDPOINT: plan.endpoint,
      BENCH_MODE: mode,
      BENCH_BUCKET: BUCKET,
      // Every upload to a key of its own: an output is written once.
      BENCH_KEY: upload ? `pipeline/Output/${tag}.zip` : plan.inputKey,
      BENCH_SOURCE: plan.tree,
      BENCH_OBJECT_BYTES: String(plan.zipBytes),
      BENCH_TREE_BYTES: String(plan.stats.bytes),
      BENCH_TREE_ENTRIES: String(plan.stats.files + plan.stats.directories),
      BENCH_WORK_DIR: workDirectory,
      BENCH_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      BENCH_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      BENCH_REPORT_FILE: reportFile,
    },
    timeoutMs: 600_000,
  });
  if (finished.code !== 0) {
    throw new Error(`artifacts ${mode} (${tag}) failed: ${finished.stderr.slice(-2_000)}`);
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8')) as TransferReport;
  checkExtracted(report, plan.stats);
  await rm(workDirectory, { recursive: true, force: true });
  return report;
}

/**
 * An extraction that did not write the whole tree measured something else: stop.
 *
 * @throws Error when the files, directories or bytes extracted differ from the tree's
 */
export function checkExtracted(report: TransferReport, stats: TreeStats): void {
  if (!report.mode.endsWith('extract')) return;
  const got = report.extracted;
  if (
    !got ||
    got.files !== stats.files ||
    got.directories !== stats.directories ||
    got.bytes !== stats.bytes
  ) {
    throw new Error(
      `${report.mode} wrote ${got ? `${got.files} files, ${got.directories} directories, ${got.bytes} bytes` : 'nothing it counted'} where the tree has ${stats.files}, ${stats.directories}, ${stats.bytes}`,
    );
  }
}

/** One tree: generated, zipped, uploaded as the input, then the rounds. */
async function measureTree(
  spec: TreeSpec,
  context: { worker: string; endpoint: string; root: string; say: (m: string) => void },
): Promise<TreeBench> {
  const root = path.join(context.root, `tree-${spec.seed}`);
  const tree = path.join(root, 'tree');
  const archive = path.join(root, 'input.zip');
  context.say(`artifacts: generating the tree ${spec.label}`);
  const stats = generateTree(tree, spec);
  execFileSync('zip', ['-6', '-r', '-q', '-y', archive, '.'], { cwd: tree });
  const zipBytes = (await stat(archive)).size;
  const inputKey = `pipeline/Input/${spec.seed}.zip`;
  await putArtifact(context.endpoint, inputKey, archive);
  await rm(archive);
  const plan = { ...context, root, tree, stats, inputKey, zipBytes };
  const transfers: TransferReport[] = [];
  for (let round = 1; round <= ARTIFACT_ROUNDS; round++) {
    // Alternate which of the pair goes first, so that neither always meets a warmer machine.
    for (const { api, floor } of Object.values(TRANSFERS)) {
      for (const mode of round % 2 === 1 ? [api, floor] : [floor, api]) {
        context.say(`artifacts: ${spec.label}, round ${round}/${ARTIFACT_ROUNDS}, ${mode}`);
        transfers.push(await runTransfer(plan, mode, `${spec.seed}-${round}-${mode}`));
      }
    }
  }
  await rm(root, { recursive: true, force: true });
  return { spec, stats, zipBytes, transfers };
}

/**
 * Measures every tree of {@link ARTIFACT_TREES}, each transfer in a fresh process.
 *
 * @param options - `trees`: other trees (a quicker look); `workDir`: a disposable folder (it
 *   needs about three times the largest tree); `progress`: where to say what runs
 */
export async function measureArtifacts(
  options: {
    readonly trees?: readonly TreeSpec[];
    readonly workDir?: string;
    readonly progress?: (message: string) => void;
  } = {},
): Promise<ArtifactBench> {
  const say = options.progress ?? (() => undefined);
  const root = path.join(options.workDir ?? WORK_DIR, 'artifacts');
  await rm(root, { recursive: true, force: true });
  const loadBefore = os.loadavg()[0] ?? 0;
  const worker = await bundle('bench/artifacts-process.ts', path.join(root, 'bundle'));
  const entry = await bundle('lambda/artifacts/index.ts', path.join(root, 'entry-bundle'));
  await stopBundler();
  const server = await startServer();
  try {
    const trees: TreeBench[] = [];
    for (const spec of options.trees ?? ARTIFACT_TREES) {
      trees.push(
        await measureTree(spec, { worker: worker.file, endpoint: server.endpoint, root, say }),
      );
    }
    return {
      rounds: ARTIFACT_ROUNDS,
      bundleBytes: entry.bytes,
      load: [loadBefore, os.loadavg()[0] ?? 0],
      trees,
    };
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
}

const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rss = (mb: number) => `${mb.toFixed(0)} MB`;
const spread = (f: ModeFigures) =>
  `${seconds(f.wallMs)} (${(f.wallMsRange[0] / 1000).toFixed(1)}–${(f.wallMsRange[1] / 1000).toFixed(1)})`;
const TRANSFER_NAMES: Readonly<Record<ArtifactTransfer, [string, string]>> = {
  extract: ['`extract()`', 'GetObject to a file, then `unzip -q -o`'],
  uploadDirectory: ['`uploadDirectory()` (deflate)', '`zip -6 -r -q -y`, then a plain `Upload`'],
};

function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** The trees, as generated and zipped. */
function treesTable(bench: ArtifactBench): string {
  return markdownTable(
    [
      'tree',
      'files',
      'directories',
      'bytes',
      'text files (bytes)',
      'binaries (bytes)',
      'zip -6',
      'compression',
    ],
    bench.trees.map(({ spec, stats, zipBytes }) => [
      spec.label,
      stats.files.toLocaleString('en-US'),
      stats.directories.toLocaleString('en-US'),
      mib(stats.bytes),
      `${stats.textFiles.toLocaleString('en-US')} (${mib(stats.textBytes)})`,
      `${stats.binaryFiles} (${mib(stats.binaryBytes)})`,
      mib(zipBytes),
      `${(stats.bytes / zipBytes).toFixed(2)}x`,
    ]),
  );
}

/** One row per (tree, transfer): the API, its floor, and the ratio. */
function transfersTable(figures: readonly TransferFigures[]): string {
  return markdownTable(
    [
      'tree',
      'transfer',
      'wall (range)',
      'CPU',
      'peak RSS',
      'floor',
      'floor wall (range)',
      'floor CPU (tool)',
      'floor peak RSS: Node, tool',
      'API vs floor',
      'CPU: floor / API',
    ],
    figures.map((f) => [
      f.tree,
      TRANSFER_NAMES[f.transfer][0],
      spread(f.api),
      seconds(f.api.cpuMs),
      rss(f.api.peakRssMb),
      TRANSFER_NAMES[f.transfer][1],
      spread(f.floor),
      `${seconds(f.floor.cpuMs)} (${seconds(f.floor.toolCpuMs ?? 0)})`,
      `${rss(f.floor.peakRssMb)}, ${rss(f.floor.toolPeakRssMb ?? 0)}`,
      `**${f.ratio.toFixed(2)}x**`,
      `${(f.floor.cpuMs / f.api.cpuMs).toFixed(2)}x`,
    ]),
  );
}

function flatnessSentence(flat: RssFlatness): string {
  return `${TRANSFER_NAMES[flat.transfer][0]} peaks between ${rss(flat.minMb)} (${flat.minTree}) and ${rss(flat.maxMb)} (${flat.maxTree}): ${flat.ratio.toFixed(2)}x.`;
}

/**
 * The BENCHMARKS.md section of an {@link ArtifactBench}.
 *
 * @throws Error when a floor or API figure is missing or zero (see {@link transferFigures})
 */
export function renderArtifactsSection(bench: ArtifactBench): string {
  const figures = transferFigures(bench);
  const flat = (Object.keys(TRANSFERS) as ArtifactTransfer[]).map((t) => rssFlatness(figures, t));
  return `## Artifacts

The artifact API on four generated trees (\`bench/tree.ts\`, seeded: the same bytes on every
machine), each the shape of a build's output: a \`node_modules\`-like mass of small source-like
files (.js, .ts, .d.ts, .json, .md; log-normal sizes from 100 B to 60 KB; some empty files, an
empty directory, a few executable scripts; two to seven directories deep) beside an assets
folder of incompressible binaries of 2 to 12 MiB. The input artifact is the tree zipped by
\`zip -6 -r -q -y\`.

${treesTable(bench)}

Each API transfer is held to its floor, the same work done by the best-known tools, measured in
the same run: \`extract()\` (download and extract) against a GetObject to a file followed by
Info-ZIP's \`unzip -q -o\`, timed together; \`uploadDirectory()\` (deflate) against Info-ZIP's
\`zip -6 -r -q -y\` to a file followed by a plain lib-storage \`Upload\` of it in parts of
${DEFAULT_PART_SIZE_BYTES / MIB} MiB, ${DEFAULT_UPLOAD_CONCURRENCY} at a time (the worker's part size and queue). Every transfer runs in a fresh process,
against the local S3 stand-in (s3rver, in a process of its own) on loopback; ${bench.rounds} rounds per tree
alternate the API and its floor (which goes first alternates too); medians, with the fastest
and slowest round's wall time in brackets. CPU is user +
system, the tool's included. Peak RSS is the Node process's high-water mark (\`VmHWM\`); a
floor's tool is reported apart, as \`/usr/bin/time -f %M\` measured it. "API vs floor" is the API's
speed over the floor's (the floor's time over the API's): the goal is 0.8x or more. "CPU: floor /
API", steadier on a busy machine, is the floor's CPU time over the API's. Every
extraction's tree is counted after the clock stops and must match the generated one. Load
average ${bench.load[0].toFixed(2)} before the section, ${bench.load[1].toFixed(2)} after.

${transfersTable(figures)}

Peak RSS across the trees (the goal: the largest within 10% of the smallest): ${flat.map(flatnessSentence).join(' ')}
The artifact API bundled alone (minified) is ${(bench.bundleBytes / 1024).toFixed(0)} KB. All of it on loopback and a
local disk: in Lambda, the function's share of a vCPU and the network to S3 set the pace.
`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === new URL(import.meta.url).pathname) {
  const { values } = parseArgs({ options: { json: { type: 'string' } } });
  const result = await measureArtifacts({
    progress: (message) => process.stderr.write(`bench: ${message}\n`),
  });
  if (values.json) writeFileSync(values.json, JSON.stringify(result, null, 2));
  process.stdout.write(renderArtifactsSection(result));
  process.exit(0);
}
