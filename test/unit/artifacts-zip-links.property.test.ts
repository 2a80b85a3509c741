/**
 * The link rule of extraction against the kernel: trees of files, directories and links
 * (targets made of `..`, `.`, names that exist, names created only later and names of other
 * links) are zipped, extracted with extractZip, then a processor's later `mkdir -p`s and file
 * writes are applied; whatever was kept, nothing resolves outside the extraction directory
 * and nothing outside it changes.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, sep } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactError, UnsafeArchiveError } from '../../lambda/artifacts/index.js';
import { extractZip } from '../../lambda/artifacts/zip-extract.js';
import { linkProblem } from '../../lambda/artifacts/zip-links.js';
import { type ZipEntrySpec, zipBytes } from '../helpers/zip-bytes.js';

/** Every name of every path and target: few, so that paths, links and later writes meet. */
const NAMES = ['a', 'b', 'x'] as const;
/** Cases per run (LINK_PROPERTY_RUNS to change it). */
const RUNS = Number(process.env.LINK_PROPERTY_RUNS ?? 2_000);

const scratchBase = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();

type Entry =
  | { readonly kind: 'file' | 'directory'; readonly path: string }
  | { readonly kind: 'symlink'; readonly path: string; readonly target: string };
type Later = { readonly op: 'mkdir' | 'file'; readonly path: string };

/** Names in targets and later writes; the archive's own paths use all but the last. */
const name = fc.constantFrom(...NAMES);
const archived = fc.constantFrom(...NAMES.slice(0, -1));
const path = (most: number, names = name) =>
  fc.array(names, { minLength: 1, maxLength: most }).map((parts) => parts.join('/'));
type Kind = Entry['kind'];
const skeleton = fc.uniqueArray(
  fc.record({
    kind: fc.constantFrom<Kind>('file', 'directory', 'symlink', 'symlink'),
    path: path(2, archived),
  }),
  { minLength: 1, maxLength: 3, selector: (e) => e.path },
);

/**
 * A link's target: climbs then names (the shape that may be kept); climbs only; a mixture of
 * pieces: `..`, `.`, names, a name undone by `..` (`x/..`, with `x` perhaps made later), one
 * of the tree's links (as reached from this link's directory), with or without a `..` after
 * it; or a name undone then a link undone (`x/../l/..`), which only the kernel resolves
 * differently from the text.
 */
function target(own: string, tree: readonly string[]): fc.Arbitrary<string> {
  // The other links as the link's own directory reaches them.
  const links = tree.map((link) => posix.relative(posix.dirname(own), link) || '.');
  const piece = fc.oneof(
    { weight: 1, arbitrary: fc.constantFrom('..', '.') },
    { weight: 1, arbitrary: name },
    { weight: 3, arbitrary: name.map((n) => `${n}/..`) },
    ...(links.length > 0
      ? [
          { weight: 1, arbitrary: fc.constantFrom(...links) },
          { weight: 4, arbitrary: fc.constantFrom(...links).map((l) => `${l}/..`) },
        ]
      : []),
  );
  return fc
    .oneof(
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.array(fc.constant('..'), { maxLength: 2 }), fc.array(name, { maxLength: 2 }))
          .map(([ups, names]) => [...ups, ...names]),
      },
      { weight: 1, arbitrary: fc.array(piece, { minLength: 1, maxLength: 3 }) },
      // Climbs only: to the link's own directory or above it.
      { weight: 1, arbitrary: fc.array(fc.constant('..'), { maxLength: 2 }) },
      // A name undone, then a link undone: text and kernel disagree once the name exists.
      ...(links.length > 0
        ? [
            {
              weight: 2,
              arbitrary: fc
                .tuple(fc.constantFrom('x', ...NAMES), fc.constantFrom(...links))
                .map(([n, l]) => [`${n}/..`, `${l}/..`]),
            },
          ]
        : []),
    )
    .map((parts) => (parts.length > 0 ? parts : ['.']))
    .chain((parts) => fc.constantFrom(parts.join('/'), `${parts.join('/')}/`, parts.join('/./')));
}

const tree: fc.Arbitrary<Entry[]> = skeleton.chain((shape) => {
  const links = shape.filter((e) => e.kind === 'symlink').map((e) => e.path);
  return fc.tuple(
    ...shape.map(
      (e): fc.Arbitrary<Entry> =>
        e.kind === 'symlink'
          ? target(e.path, links).map((text) => ({ kind: 'symlink', path: e.path, target: text }))
          : fc.constant({ kind: e.kind, path: e.path }),
    ),
  );
});
const later: fc.Arbitrary<Later[]> = fc.array(
  fc.record({
    op: fc.constantFrom('mkdir' as const, 'file' as const),
    path: path(4, fc.constantFrom(...NAMES, 'x')),
  }),
  { minLength: 1, maxLength: 6 },
);

function spec(entry: Entry): ZipEntrySpec {
  if (entry.kind === 'symlink') return { name: entry.path, kind: 'symlink', data: entry.target };
  if (entry.kind === 'directory') return { name: `${entry.path}/` };
  return { name: entry.path, data: 'contents' };
}

/** Everything under `directory` but `skip`, as `type path` lines (links not followed). */
async function listing(directory: string, skip: string): Promise<string[]> {
  const found: string[] = [];
  for (const item of await readdir(directory, { withFileTypes: true, recursive: true })) {
    const full = join(item.parentPath, item.name);
    if (full === skip || full.startsWith(skip + sep)) continue;
    const type = item.isDirectory() ? 'd' : item.isSymbolicLink() ? 'l' : 'f';
    found.push(`${type} ${full}`);
  }
  return found.sort();
}

describe('links kept by extractZip, against the kernel', () => {
  let scratch: string;
  /** Where the cases are extracted: two levels under the top, each with a, b and x in it. */
  let root: string;
  let outsideBefore: string[];

  beforeAll(async () => {
    scratch = await mkdtemp(join(scratchBase, 'zip-links-'));
    const top = join(scratch, 'top');
    for (const level of [top, join(top, 'a'), join(top, 'a', 'b')]) {
      for (const each of NAMES) await mkdir(join(level, each, 'a'), { recursive: true });
      await writeFile(join(level, 'secret'), 'outside');
    }
    root = join(top, 'a', 'b', 'root');
    outsideBefore = await listing(top, root);
  });
  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  /** Whether `path` (of the extracted tree) resolves, and where: undefined when it does not. */
  async function resolved(path: string): Promise<string | undefined> {
    return realpath(join(root, path)).catch(() => undefined);
  }

  it('lets nothing resolve outside, whatever is created later', async () => {
    const seen = { extracted: 0, linksKept: 0, refused: 0, resolvedThroughLater: 0 };
    const zip = join(scratch, 'case.zip');

    await fc.assert(
      fc.asyncProperty(tree, later, async (entries, writes) => {
        await rm(root, { recursive: true, force: true });
        await writeFile(zip, zipBytes(entries.map(spec)));
        const outcome = await extractZip(zip, root, {
          label: 'Input artifact "Tree"',
          artifactName: 'Tree',
          maxBytes: 1024 * 1024,
          maxEntries: 1_000,
        }).catch((error: unknown) => {
          expect(error).toBeInstanceOf(ArtifactError);
          return undefined;
        });
        if (!outcome) {
          seen.refused++;
          expect(existsSync(root)).toBe(false);
          expect(await listing(join(scratch, 'top'), root)).toEqual(outsideBefore);
          return;
        }
        seen.extracted++;
        seen.linksKept += outcome.symlinks;
        const links = entries.filter((e) => e.kind === 'symlink').map((e) => e.path);
        const before = new Map<string, string | undefined>();
        for (const link of links) before.set(link, await resolved(link));
        // What a build step does next: make directories and write files, through links too.
        for (const write of writes) {
          const at = join(root, write.path);
          await (write.op === 'mkdir'
            ? mkdir(at, { recursive: true })
            : writeFile(at, 'written later')
          ).catch(() => undefined);
        }
        const realRoot = await realpath(root);
        for (const path of [...links, ...writes.map((w) => w.path)]) {
          const leads = await resolved(path);
          if (leads === undefined) continue;
          if (links.includes(path) && before.get(path) === undefined) seen.resolvedThroughLater++;
          expect(
            leads === realRoot || leads.startsWith(realRoot + sep),
            `${path} -> ${leads}`,
          ).toBe(true);
        }
        expect(await listing(join(scratch, 'top'), root)).toEqual(outsideBefore);
      }),
      { numRuns: RUNS },
    );

    // The property was not vacuous: trees were kept, with links, some of which only resolved
    // once the later writes made what they name.
    expect(seen.extracted).toBeGreaterThan(RUNS / 20);
    expect(seen.linksKept).toBeGreaterThan(RUNS / 20);
    expect(seen.resolvedThroughLater).toBeGreaterThan(0);
    expect(seen.refused).toBeGreaterThan(0);
  }, 120_000);

  it('refuses the escape through a directory made later (the reported attack)', async () => {
    const dirs = Array.from({ length: 10 }, (_, i) => `d${i + 1}`).join('/');
    const ups = Array.from({ length: 10 }, () => '..').join('/');
    const zip = join(scratch, 'attack.zip');
    await rm(root, { recursive: true, force: true });
    await writeFile(
      zip,
      zipBytes([
        { name: `${dirs}/up`, kind: 'symlink', data: ups },
        { name: 'leak', kind: 'symlink', data: `build/../${dirs}/up/${ups}/etc/passwd` },
      ]),
    );

    const error = await extractZip(zip, root, {
      label: 'Input artifact "Tree"',
      artifactName: 'Tree',
      maxBytes: 1024 * 1024,
      maxEntries: 1_000,
    }).catch((thrown: unknown) => thrown as Error);

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect((error as Error).message).toBe(
      'Input artifact "Tree": extracting: entry "leak" is refused: it is a symbolic link whose target has ".." after a name',
    );
    expect(existsSync(root)).toBe(false);
  });
});

describe('linkProblem', () => {
  const links = new Set(['lib/libz.so', 'lib/libz.so.1', 'up', 'd/up']);
  const problem = (path: string, target: string) =>
    linkProblem({ entry: path, path, target }, links);

  it.each([
    ['a name beside it', 'current', 'src'],
    ['climbs then names', 'bin/index.js', '../src/index.js'],
    ['climbs to the directory itself', 'd/e/top', '../..'],
    ['another link, last', 'lib/libz.so', 'libz.so.1'],
    ['a name that does not exist yet', 'latest', 'build/not-yet'],
    ['dots and doubled slashes', 'a/b', '.././/c/./d/'],
  ])('keeps a link to %s', (_, path, target) => {
    expect(problem(path, target)).toBeUndefined();
  });

  it.each([
    ['a name undone by ".."', 'leak', 'build/../etc', '".." after a name'],
    ['a link undone by ".."', 'leak', 'up/..', '".." after a name'],
    ['more climbs than its depth', 'd/e/out', '../../..', 'leads outside the directory'],
    ['a climb from the top', 'out', '..', 'leads outside the directory'],
    ['a path through a link', 'x', 'd/up/f', 'passes through another symbolic link'],
    ['an absolute path', 'abs', '/etc/passwd', 'absolute path'],
    ['a drive path', 'abs', 'C:/Windows', 'absolute path'],
    ['nothing', 'empty', '', 'without a valid target'],
    ['a place under another link', 'up/inner', '.', 'lies under another symbolic link'],
  ])('refuses a link to %s', (_, path, target, reason) => {
    expect(problem(path, target)).toContain(reason);
  });
});
