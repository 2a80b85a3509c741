/**
 * A deterministic artifact tree for the artifact benchmark, shaped like a build's output: a
 * `node_modules`-like mass of small source-like text files (.js, .ts, .d.ts, .json, .md, sizes
 * log-normal between 100 B and 60 KB, text that deflate shrinks about as much as real source),
 * nested two to seven directories deep, with some empty files, an empty directory and a few
 * executable scripts, beside an assets folder of a few large incompressible binaries. The same
 * spec writes the same bytes on every machine: no network, no copy of an installed package.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import path from 'node:path';

/** What to generate. */
export interface TreeSpec {
  /** A short label for the reports, e.g. `100 MB × 4k`. */
  readonly label: string;
  /** Seeds every choice: the same seed and sizes give the same tree. */
  readonly seed: number;
  /**
   * Directories, text files and scripts together (what an archive of the tree holds as
   * entries), the few large binaries not counted: they come on top.
   */
  readonly entries: number;
  /** Bytes of all files together: the binaries fill what the text files leave. */
  readonly bytes: number;
}

/** What a tree on disk holds. */
export interface TreeCounts {
  readonly files: number;
  /** Directories below the root. */
  readonly directories: number;
  /** Bytes of all files. */
  readonly bytes: number;
}

/** What {@link generateTree} wrote. */
export interface TreeStats extends TreeCounts {
  readonly textFiles: number;
  readonly textBytes: number;
  readonly binaryFiles: number;
  readonly binaryBytes: number;
  readonly emptyFiles: number;
  readonly emptyDirectories: number;
  readonly executables: number;
  /** Deepest directory, counted from the root (a child of the root is 1). */
  readonly maxDepth: number;
}

/** Text files' sizes: log-normal around a median of 2 KB, kept within 100 B and 60 KB. */
const TEXT_MEDIAN_BYTES = 2_000;
const TEXT_SIGMA = 1.2;
const TEXT_MIN_BYTES = 100;
const TEXT_MAX_BYTES = 60_000;
/** Binaries: several MB each. */
const BINARY_MIN_BYTES = 2 * 2 ** 20;
const BINARY_MAX_BYTES = 12 * 2 ** 20;
const MAX_DEPTH = 7;
/** About one directory for every eight files, as in an installed `node_modules`. */
const DIRECTORY_SHARE = 0.12;
const EMPTY_FILE_SHARE = 0.01;
const EXECUTABLES = 4;

/** A seeded uniform generator in [0, 1) (xorshift32, its seed scrambled so that 0 works). */
export function seededRandom(seed: number): () => number {
  let state = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

/** Helpers that draw from one seeded generator. */
function draws(random: () => number) {
  const int = (below: number) => Math.floor(random() * below);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  /** Index drawn with weight 1/(rank+1): a few common items, a long tail. */
  const zipf = <T>(items: readonly T[]): T => {
    const rank = Math.floor(items.length ** random()) - 1;
    return items[Math.min(items.length - 1, Math.max(0, rank))] as T;
  };
  const normal = () => {
    const u = 1 - random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  return { random, int, pick, zipf, normal };
}

type Draws = ReturnType<typeof draws>;

const SYLLABLES = [
  'get',
  'set',
  'load',
  'read',
  'write',
  'parse',
  'format',
  'node',
  'tree',
  'path',
  'file',
  'stack',
  'token',
  'value',
  'key',
  'map',
  'list',
  'item',
  'entry',
  'name',
  'type',
  'scope',
  'config',
  'option',
  'client',
  'request',
  'response',
  'stream',
  'buffer',
  'error',
  'handler',
  'event',
  'state',
  'cache',
  'result',
  'source',
  'target',
  'module',
  'resource',
  'policy',
  'bucket',
  'object',
  'record',
  'field',
  'schema',
  'index',
  'count',
  'size',
  'limit',
  'retry',
] as const;
const KEYWORDS = ['const', 'let', 'return', 'await', 'new', 'typeof', 'void', 'this'] as const;
const TYPES = ['string', 'number', 'boolean', 'unknown', 'void', 'Promise<void>'] as const;
const WORDS = [
  'the',
  'a',
  'of',
  'to',
  'is',
  'and',
  'in',
  'for',
  'when',
  'with',
  'returns',
  'value',
  'this',
  'option',
  'default',
  'if',
  'not',
  'be',
  'that',
  'by',
  'an',
  'it',
  'are',
  'on',
  'or',
  'from',
  'request',
  'client',
  'will',
  'use',
  'used',
  'called',
  'each',
  'object',
  'set',
  'see',
  'error',
] as const;

/** A vocabulary of identifiers like those of a code base, drawn once per tree. */
function identifiers(d: Draws, count: number): string[] {
  const names = new Set<string>();
  while (names.size < count) {
    const first = d.pick(SYLLABLES);
    const rest = d.pick(SYLLABLES);
    const parts = d.int(3) === 0 ? [first] : [first, rest[0]?.toUpperCase() + rest.slice(1)];
    if (d.int(4) === 0) parts.push(String(d.int(10)));
    names.add(parts.join(''));
  }
  return [...names];
}

/** Line makers per kind of file; each returns one line of text. */
function lineMakers(d: Draws, ids: readonly string[]) {
  const id = () => d.zipf(ids);
  const words = (n: number) => Array.from({ length: n }, () => d.zipf(WORDS)).join(' ');
  const str = () => `'${id()}${d.int(3) === 0 ? `-${d.int(1000)}` : ''}'`;
  const arg = () => (d.int(3) === 0 ? str() : d.int(4) === 0 ? String(d.int(4096)) : id());
  const indent = () => '  '.repeat(d.int(4));
  const code = [
    () => `${indent()}${d.pick(KEYWORDS)} ${id()} = ${id()}.${id()}(${arg()}, ${arg()});`,
    () => `${indent()}if (${id()} === ${arg()}) {`,
    () => `${indent()}return ${id()}(${arg()});`,
    () => `${indent()}}`,
    () => `${indent()}// ${words(4 + d.int(8))}`,
    () => `${indent()}${id()}.${id()} = ${arg()};`,
    () => `${indent()}function ${id()}(${id()}, ${id()}) {`,
    () => `${indent()}throw new Error(${str()} + ${id()});`,
    () => `${indent()}exports.${id()} = ${id()};`,
  ];
  const types = [
    () => `export declare function ${id()}(${id()}: ${d.pick(TYPES)}): ${d.pick(TYPES)};`,
    () => `export interface ${id()} {`,
    () => `  readonly ${id()}?: ${d.pick(TYPES)};`,
    () => `}`,
    () => `/** ${words(5 + d.int(10))} */`,
  ];
  const json = [
    () => `  "${id()}": ${d.int(2) === 0 ? str().replaceAll("'", '"') : d.int(100000)},`,
    () => `  "${id()}": {`,
    () => `  },`,
  ];
  const markdown = [
    () => `${words(8 + d.int(12))}.`,
    () => `## ${words(2 + d.int(3))}`,
    () => `- \`${id()}\`: ${words(4 + d.int(8))}.`,
    () => '',
  ];
  return { code, types, json, markdown };
}

type LineMakers = ReturnType<typeof lineMakers>;

const EXTENSIONS = [
  ['.js', 'code', 45],
  ['.ts', 'code', 10],
  ['.d.ts', 'types', 25],
  ['.json', 'json', 10],
  ['.md', 'markdown', 10],
] as const;

function extensionOf(d: Draws): (typeof EXTENSIONS)[number] {
  let roll = d.int(100);
  for (const extension of EXTENSIONS) {
    roll -= extension[2];
    if (roll < 0) return extension;
  }
  return EXTENSIONS[0];
}

/** Lines drawn in advance per kind of file: more than deflate's 32 KB window holds. */
const POOL_LINES = 16_384;

/** A pool of lines for each kind of file, drawn once per tree (drawing per file is slow). */
function linePools(d: Draws, makers: LineMakers): Record<keyof LineMakers, string[]> {
  const pool = (kind: readonly (() => string)[]) =>
    Array.from({ length: POOL_LINES }, () => d.pick(kind)());
  return {
    code: pool(makers.code),
    types: pool(makers.types),
    json: pool(makers.json),
    markdown: pool(makers.markdown),
  };
}

/** A text of `size` bytes (ASCII: characters are bytes), of lines drawn from a pool. */
function text(d: Draws, pool: readonly string[], size: number): string {
  const lines: string[] = [];
  let length = 0;
  while (length < size) {
    const line = pool[d.int(POOL_LINES)] as string;
    lines.push(line);
    length += line.length + 1;
  }
  return lines.join('\n').slice(0, size);
}

const DIRECTORY_NAMES = [
  'lib',
  'dist',
  'esm',
  'cjs',
  'src',
  'types',
  'internal',
  'utils',
  'core',
  'commands',
  'models',
  'protocols',
  'middleware',
  'runtime',
  'helpers',
  'client',
  'server',
  'shared',
] as const;

interface Directory {
  readonly path: string;
  readonly depth: number;
  readonly names: Set<string>;
}

/** A name not yet used in `parent`. */
function childName(d: Draws, parent: Directory, ids: readonly string[]): string {
  const base = parent.depth === 1 ? d.zipf(ids).toLowerCase() : d.pick(DIRECTORY_NAMES);
  let name = base;
  for (let n = 2; parent.names.has(name); n++) name = `${base}-${n}`;
  parent.names.add(name);
  return name;
}

/** How many new directories go at each depth (1 to 6) below a parent: most at 2 to 4. */
const PARENT_DEPTH_WEIGHTS = [1, 6, 8, 5, 3, 1] as const;

/** The directories: `node_modules` and `src` at the root, then more down to depth 7. */
function directories(d: Draws, count: number, ids: readonly string[]): Directory[] {
  const root: Directory = { path: '', depth: 0, names: new Set() };
  const all: Directory[] = [];
  const byDepth: Directory[][] = Array.from({ length: MAX_DEPTH }, () => []);
  const add = (parent: Directory, name: string) => {
    const directory = {
      path: path.join(parent.path, name),
      depth: parent.depth + 1,
      names: new Set<string>(),
    };
    parent.names.add(name);
    all.push(directory);
    byDepth[directory.depth]?.push(directory);
  };
  add(root, 'node_modules');
  add(root, 'src');
  const total = PARENT_DEPTH_WEIGHTS.reduce((sum, weight) => sum + weight, 0);
  const drawDepth = () => {
    let roll = d.int(total);
    for (const [index, weight] of PARENT_DEPTH_WEIGHTS.entries()) {
      if (roll < weight) return index + 1;
      roll -= weight;
    }
    return 1;
  };
  while (all.length < count) {
    // The deepest level with a directory at or above the drawn depth.
    let depth = drawDepth();
    while ((byDepth[depth]?.length ?? 0) === 0) depth--;
    const parent = d.pick(byDepth[depth] as Directory[]);
    add(parent, childName(d, parent, ids));
  }
  return all;
}

/** Deterministic incompressible bytes: AES-CTR of zeros under a key drawn from the seed. */
function binary(seed: number, index: number, size: number): Buffer {
  const key = createHash('sha256').update(`bench-tree-${seed}-${index}`).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return cipher.update(Buffer.alloc(size));
}

/** Sizes of the binaries that fill `bytes`: several MB each, the last one what is left. */
function binarySizes(d: Draws, bytes: number): number[] {
  const sizes: number[] = [];
  let left = bytes;
  while (left >= BINARY_MIN_BYTES) {
    const size = BINARY_MIN_BYTES + d.int(BINARY_MAX_BYTES - BINARY_MIN_BYTES);
    const taken = left - size < BINARY_MIN_BYTES ? left : size;
    sizes.push(taken);
    left -= taken;
  }
  return sizes;
}

/**
 * Writes the tree of `spec` under `root` (which must not exist or be empty) and says what it
 * holds. Takes seconds: text is drawn from a small grammar, binaries are AES-CTR output.
 *
 * @param root - the tree's root directory
 * @param spec - its seed, entries and bytes
 * @example
 * generateTree('/tmp/tree', { label: '64 MiB', seed: 1, entries: 4_000, bytes: 64 * 2 ** 20 });
 */
export function generateTree(root: string, spec: TreeSpec): TreeStats {
  const d = draws(seededRandom(spec.seed));
  const ids = identifiers(d, 1_500);
  const pools = linePools(d, lineMakers(d, ids));
  const dirCount = Math.max(4, Math.round(spec.entries * DIRECTORY_SHARE));
  const dirs = directories(d, dirCount, ids);
  // Besides the drawn directories: assets, assets/media, node_modules/.bin, src/empty.
  const folder = (under: string, name: string): Directory => ({
    path: path.join(under, name),
    depth: under === '' ? 1 : under.split(path.sep).length + 1,
    names: new Set(),
  });
  const assets = folder('', 'assets');
  const media = folder('assets', 'media');
  const scripts = folder('node_modules', '.bin');
  const extra = [assets, media, scripts, folder('src', 'empty')];
  assets.names.add('media');
  for (const dir of [...dirs, ...extra]) mkdirSync(path.join(root, dir.path), { recursive: true });
  let textBytes = 0;
  let emptyFiles = 0;
  const textFiles = spec.entries - dirs.length - extra.length - EXECUTABLES;
  for (let index = 0; index < textFiles + EXECUTABLES; index++) {
    const executable = index >= textFiles;
    const dir = executable ? scripts : d.pick(dirs);
    const [extension, kind] = executable ? ['', 'code' as const] : extensionOf(d);
    const empty = !executable && d.random() < EMPTY_FILE_SHARE;
    const size = empty
      ? 0
      : Math.round(
          Math.min(
            TEXT_MAX_BYTES,
            Math.max(TEXT_MIN_BYTES, TEXT_MEDIAN_BYTES * Math.exp(TEXT_SIGMA * d.normal())),
          ),
        );
    let name = `${d.zipf(ids)}${extension}`;
    for (let n = 2; dir.names.has(name); n++) name = `${d.zipf(ids)}-${n}${extension}`;
    dir.names.add(name);
    const file = path.join(root, dir.path, name);
    const body = executable
      ? `#!/usr/bin/env node\n${text(d, pools.code, size)}`
      : text(d, pools[kind], size);
    writeFileSync(file, body);
    if (executable) chmodSync(file, 0o755);
    if (body.length === 0) emptyFiles++;
    textBytes += body.length;
  }
  const sizes = binarySizes(d, Math.max(0, spec.bytes - textBytes));
  sizes.forEach((size, index) => {
    const name = `asset-${String(index).padStart(2, '0')}.bin`;
    media.names.add(name);
    writeFileSync(path.join(root, media.path, name), binary(spec.seed, index, size));
  });
  const binaryBytes = sizes.reduce((sum, size) => sum + size, 0);
  const all = [...dirs, ...extra];
  return {
    files: textFiles + EXECUTABLES + sizes.length,
    directories: all.length,
    bytes: textBytes + binaryBytes,
    textFiles: textFiles + EXECUTABLES,
    textBytes,
    binaryFiles: sizes.length,
    binaryBytes,
    emptyFiles,
    emptyDirectories: all.filter((dir) => dir.names.size === 0).length,
    executables: EXECUTABLES,
    maxDepth: Math.max(...all.map((dir) => dir.depth)),
  };
}

/**
 * Counts what a tree on disk holds, walking it: files (links count as files), directories
 * below the root, and the bytes of the files.
 *
 * @param root - the tree's root
 */
export async function countTree(root: string): Promise<TreeCounts> {
  let files = 0;
  let directories = 0;
  let bytes = 0;
  const pending = [root];
  for (let dir = pending.pop(); dir !== undefined; dir = pending.pop()) {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        directories++;
        pending.push(full);
      } else {
        files++;
        bytes += (await lstat(full)).size;
      }
    }
  }
  return { files, directories, bytes };
}
