/**
 * The artifact benchmark's arithmetic and report: each API transfer's ratio to its floor, the
 * flatness of its peak RSS across the trees, the targets, and a section that refuses to render
 * a floor that was never measured.
 */
import { describe, expect, it } from 'vitest';
import {
  type ArtifactBench,
  checkExtracted,
  growth,
  renderArtifactsSection,
  rssFlatness,
  type TreeBench,
  transferFigures,
} from '../../bench/artifacts.js';
import type { TransferMode, TransferReport } from '../../bench/artifacts-process.js';
import { artifactChecks } from '../../bench/report.js';
import type { TreeSpec, TreeStats } from '../../bench/tree.js';

const MIB = 2 ** 20;

function stats(spec: TreeSpec): TreeStats {
  const directories = Math.round(spec.entries / 10);
  return {
    files: spec.entries - directories,
    directories,
    bytes: spec.bytes,
    textFiles: spec.entries - directories - 2,
    textBytes: spec.bytes / 4,
    binaryFiles: 2,
    binaryBytes: (spec.bytes * 3) / 4,
    emptyFiles: 3,
    emptyDirectories: 1,
    executables: 4,
    maxDepth: 7,
  };
}

/** A transfer's report; floors carry their tool's usage. */
function report(mode: TransferMode, wallMs: number, peakRssMb: number): TransferReport {
  const floor = mode.startsWith('floor');
  return {
    mode,
    bytes: 10 * MIB,
    wallMs,
    cpuMs: wallMs / 2,
    rssBeforeMb: 50,
    peakRssMb,
    ...(floor ? { tool: { tool: 'unzip', cpuMs: wallMs / 4, peakRssMb: 3 } } : {}),
  };
}

/**
 * A tree whose rounds took `walls` ms (API, floor) per transfer, with the API peaking at
 * `rss` MB: three rounds, the middle value the median.
 */
function tree(
  spec: TreeSpec,
  walls: { extract: [number, number]; upload: [number, number] },
  rss: { extract: number; upload: number },
): TreeBench {
  const rounds = [0.9, 1, 1.3];
  return {
    spec,
    stats: stats(spec),
    zipBytes: spec.bytes / 2,
    transfers: rounds.flatMap((k) => [
      report('api-extract', walls.extract[0] * k, rss.extract * k),
      report('floor-extract', walls.extract[1] * k, 60),
      report('api-upload', walls.upload[0] * k, rss.upload * k),
      report('floor-upload', walls.upload[1] * k, 60),
    ]),
  };
}

const SMALL: TreeSpec = { label: 'small', seed: 1, entries: 4_000, bytes: 64 * MIB };
const MANY: TreeSpec = { label: 'many', seed: 2, entries: 16_000, bytes: 64 * MIB };
const LARGE: TreeSpec = { label: 'large', seed: 3, entries: 4_000, bytes: 192 * MIB };

function bench(trees: TreeBench[]): ArtifactBench {
  return { rounds: 3, bundleBytes: 400_000, load: [1.5, 2.5], trees };
}

const fast = bench([
  tree(SMALL, { extract: [1000, 900], upload: [2000, 1800] }, { extract: 100, upload: 120 }),
  tree(MANY, { extract: [2000, 1800], upload: [3000, 2700] }, { extract: 104, upload: 125 }),
]);

/** The same bench with one report changed. */
function withReport(
  base: ArtifactBench,
  mode: TransferMode,
  change: (r: TransferReport) => TransferReport | undefined,
): ArtifactBench {
  const [first, ...rest] = base.trees as [TreeBench, ...TreeBench[]];
  const transfers = first.transfers.flatMap((t) => {
    if (t.mode !== mode) return [t];
    const changed = change(t);
    return changed ? [changed] : [];
  });
  return { ...base, trees: [{ ...first, transfers }, ...rest] };
}

describe('transferFigures', () => {
  it('takes the median of the rounds and divides the floor time by the API time', () => {
    const figures = transferFigures(fast);

    const extract = figures.find((f) => f.tree === 'small' && f.transfer === 'extract');
    expect(extract?.api.wallMs).toBe(1000);
    expect(extract?.floor.wallMs).toBe(900);
    expect(extract?.floor.toolPeakRssMb).toBe(3);
    expect(extract?.api.toolPeakRssMb).toBeUndefined();
    expect(extract?.ratio).toBeCloseTo(0.9);
    const upload = figures.find((f) => f.tree === 'many' && f.transfer === 'uploadDirectory');
    expect(upload?.ratio).toBeCloseTo(0.9);
    expect(figures).toHaveLength(4);
  });

  it('stops when a floor was not run on a tree', () => {
    const noFloor = withReport(fast, 'floor-extract', () => undefined);

    expect(() => transferFigures(noFloor)).toThrow(
      'the artifact benchmark has no run of floor-extract on the tree small',
    );
  });

  it('stops when a floor figure reads zero or is missing, instead of a ratio that reads as met', () => {
    const zeroWall = withReport(fast, 'floor-upload', (r) => ({ ...r, wallMs: 0 }));
    const noTool = withReport(fast, 'floor-extract', ({ tool: _tool, ...r }) => r);
    const nanCpu = withReport(fast, 'api-upload', (r) => ({ ...r, cpuMs: Number.NaN }));

    expect(() => transferFigures(zeroWall)).toThrow(/no wall time of floor-upload/);
    expect(() => transferFigures(noTool)).toThrow(/no tool peak RSS of floor-extract/);
    expect(() => transferFigures(nanCpu)).toThrow(/no CPU time of api-upload/);
  });
});

describe('rssFlatness', () => {
  it('divides the largest median peak RSS of the API across the trees by the smallest', () => {
    const flat = rssFlatness(transferFigures(fast), 'extract');

    expect(flat).toMatchObject({ minMb: 100, minTree: 'small', maxMb: 104, maxTree: 'many' });
    expect(flat.ratio).toBeCloseTo(1.04);
  });
});

describe('growth', () => {
  it('gives the slope per 1,000 entries at equal size and per MiB at equal entries', () => {
    const three = bench([
      ...fast.trees,
      tree(LARGE, { extract: [1640, 900], upload: [2000, 1800] }, { extract: 100, upload: 120 }),
    ]);

    const wall = growth(three, 'extract', 'api', (f) => f.wallMs);

    // small → many: +1000 ms over +12,000 entries; small → large: +640 ms over +128 MiB.
    expect(wall.perThousandEntries).toBeCloseTo(1000 / 12);
    expect(wall.perMib).toBeCloseTo(5);
  });

  it('says nothing of a dimension no pair of trees varies alone', () => {
    expect(growth(fast, 'extract', 'api', (f) => f.wallMs).perMib).toBeUndefined();
  });
});

describe('artifactChecks', () => {
  it('meets the targets at 0.8x of the floor and peaks within 10%', () => {
    const checks = artifactChecks(fast);

    expect(checks.map((c) => [c.name, c.met])).toEqual([
      ['`extract()` vs download + `unzip`', true],
      ['`uploadDirectory()` vs `zip -6` + `Upload`', true],
      ['`extract()` peak RSS across the trees', true],
      ['`uploadDirectory()` peak RSS across the trees', true],
    ]);
    expect(checks[0]?.value).toBe('0.90x at worst (small: 0.90x; many: 0.90x)');
  });

  it('misses on the slowest tree and explains the miss from the figures', () => {
    const slow = bench([
      tree(SMALL, { extract: [1000, 900], upload: [2000, 1800] }, { extract: 100, upload: 120 }),
      tree(MANY, { extract: [4000, 1800], upload: [3000, 2700] }, { extract: 150, upload: 125 }),
    ]);

    const [extract, upload, extractRss] = artifactChecks(slow);

    expect(extract?.met).toBe(false);
    expect(extract?.miss).toBe('0.35x short on many (44%)');
    expect(extract?.why).toContain('On many the API takes 4.00 s with 2.00 s of CPU');
    expect(extract?.why).toContain('each 1,000 more entries at equal size add +0.25 s to the API');
    expect(upload?.met).toBe(true);
    expect(extractRss?.met).toBe(false);
    expect(extractRss?.value).toBe('1.50 (100 MB on small to 150 MB on many)');
    expect(extractRss?.why).toContain('the entry count moves it most');
  });
});

describe('renderArtifactsSection', () => {
  it('renders the trees and one row per tree and transfer with its ratio to the floor', () => {
    const section = renderArtifactsSection(fast);

    expect(section).toContain(
      '| small | 3,600 | 400 | 64.0 MiB | 3,598 (16.0 MiB) | 2 (48.0 MiB) | 32.0 MiB | 2.00x |',
    );
    expect(section).toContain(
      '| small | `extract()` | 1.00 s (0.9–1.3) | 0.50 s | 100 MB | GetObject to a file, then `unzip -q -o` | 0.90 s (0.8–1.2) | 0.45 s (0.23 s) | 60 MB, 3 MB | **0.90x** | 0.90x |',
    );
    expect(section).toMatch(
      /`uploadDirectory\(\)` \(deflate\) peaks between 120 MB \(small\) and 125 MB \(many\): 1\.04x\./,
    );
  });

  it('refuses to render a floor that is missing or reads zero', () => {
    const zero = withReport(fast, 'floor-extract', (r) => ({ ...r, wallMs: 0 }));
    const missing = withReport(fast, 'floor-upload', () => undefined);

    expect(() => renderArtifactsSection(zero)).toThrow(/no wall time of floor-extract/);
    expect(() => renderArtifactsSection(missing)).toThrow(/no run of floor-upload/);
  });
});

describe('checkExtracted', () => {
  it('stops when an extraction wrote less than the tree', () => {
    const tree = stats(SMALL);
    const whole = { ...report('floor-extract', 1, 1), extracted: tree };
    const short = { ...whole, extracted: { ...tree, files: tree.files - 1 } };

    expect(() => checkExtracted(whole, tree)).not.toThrow();
    expect(() => checkExtracted(short, tree)).toThrow(
      'floor-extract wrote 3599 files, 400 directories, 67108864 bytes where the tree has 3600, 400, 67108864',
    );
    expect(() => checkExtracted(report('api-extract', 1, 1), tree)).toThrow(/nothing it counted/);
  });
});
