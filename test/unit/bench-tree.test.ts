/**
 * The artifact benchmark's generated tree: the same spec writes the same bytes, and the tree has
 * the shape the benchmark claims (source-like text that deflate shrinks 3-5x, nesting of two to
 * seven directories, empty files, an empty directory, executables, large binaries).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { countTree, generateTree, seededRandom, type TreeSpec } from '../../bench/tree.js';

const SPEC: TreeSpec = { label: 'test', seed: 11, entries: 600, bytes: 6 * 2 ** 20 };
const roots: string[] = [];

function freshRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'bench-tree-'));
  roots.push(root);
  return path.join(root, 'tree');
}

/** Every file and directory under `root`, relative, sorted, with a digest of each file. */
function listing(root: string): string[] {
  return (readdirSync(root, { recursive: true }) as string[]).sort().map((name) => {
    const full = path.join(root, name);
    const info = statSync(full);
    if (info.isDirectory()) return `${name}/`;
    const digest = createHash('sha256').update(readFileSync(full)).digest('hex').slice(0, 16);
    return `${name} ${(info.mode & 0o777).toString(8)} ${digest}`;
  });
}

afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

describe('seededRandom', () => {
  it('draws the same numbers for the same seed, others for another (0 included), in [0, 1)', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    const c = seededRandom(6);
    const first = Array.from({ length: 1000 }, () => a());

    expect(Array.from({ length: 1000 }, () => b())).toEqual(first);
    expect(Array.from({ length: 1000 }, () => c())).not.toEqual(first);
    expect(first.every((v) => v >= 0 && v < 1)).toBe(true);
    const zero = seededRandom(0);
    expect(new Set(Array.from({ length: 100 }, () => zero())).size).toBe(100);
  });
});

describe('generateTree', () => {
  it('writes the same tree for the same spec', () => {
    const one = freshRoot();
    const two = freshRoot();

    generateTree(one, SPEC);
    generateTree(two, SPEC);

    expect(listing(two)).toEqual(listing(one));
    const other = freshRoot();
    generateTree(other, { ...SPEC, seed: 12 });
    expect(listing(other)).not.toEqual(listing(one));
  });

  it('writes what it reports: the entries and bytes asked for', async () => {
    const root = freshRoot();

    const stats = generateTree(root, SPEC);

    expect(await countTree(root)).toEqual({
      files: stats.files,
      directories: stats.directories,
      bytes: stats.bytes,
    });
    expect(stats.files + stats.directories).toBe(SPEC.entries + stats.binaryFiles);
    expect(stats.binaryFiles).toBeGreaterThan(0);
    expect(stats.bytes).toBe(SPEC.bytes);
    expect(stats.textBytes + stats.binaryBytes).toBe(stats.bytes);
  });

  it('has the shape of a build output: nesting, empty files and directory, scripts, binaries', () => {
    const root = freshRoot();

    const stats = generateTree(root, SPEC);

    expect(stats.maxDepth).toBeGreaterThanOrEqual(5);
    expect(stats.maxDepth).toBeLessThanOrEqual(7);
    expect(stats.emptyFiles).toBeGreaterThan(0);
    expect(readdirSync(path.join(root, 'src', 'empty'))).toEqual([]);
    const emptyOnDisk = (readdirSync(root, { recursive: true }) as string[]).filter(
      (name) =>
        statSync(path.join(root, name)).isDirectory() &&
        readdirSync(path.join(root, name)).length === 0,
    );
    expect(emptyOnDisk).toContain(path.join('src', 'empty'));
    expect(stats.emptyDirectories).toBe(emptyOnDisk.length);
    const scripts = readdirSync(path.join(root, 'node_modules', '.bin'));
    expect(scripts).toHaveLength(stats.executables);
    for (const script of scripts) {
      const file = path.join(root, 'node_modules', '.bin', script);
      expect(statSync(file).mode & 0o111).toBe(0o111);
      expect(readFileSync(file, 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
    const binaries = readdirSync(path.join(root, 'assets', 'media'));
    expect(binaries).toHaveLength(stats.binaryFiles);
    for (const binary of binaries) {
      const bytes = readFileSync(path.join(root, 'assets', 'media', binary));
      expect(bytes.length).toBeGreaterThanOrEqual(2 * 2 ** 20);
      expect(deflateRawSync(bytes, { level: 6 }).length).toBeGreaterThan(bytes.length * 0.99);
    }
  });

  it('writes text that deflate at level 6 shrinks three to five times, file by file', () => {
    const root = freshRoot();
    generateTree(root, SPEC);
    const texts = (readdirSync(root, { recursive: true }) as string[])
      .filter((name) => /\.(js|ts|json|md)$/.test(name))
      .map((name) => readFileSync(path.join(root, name)));

    const raw = texts.reduce((sum, b) => sum + b.length, 0);
    const deflated = texts.reduce((sum, b) => sum + deflateRawSync(b, { level: 6 }).length, 0);

    expect(texts.length).toBeGreaterThan(400);
    expect(raw / deflated).toBeGreaterThanOrEqual(3);
    expect(raw / deflated).toBeLessThanOrEqual(5);
    const sizes = texts.map((b) => b.length).filter((n) => n > 0);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(100);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(60_000);
  });
});
