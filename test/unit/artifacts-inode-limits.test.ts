/**
 * What extraction creates counts, not only the bytes it writes: every file, directory and
 * link is an inode and a block of the job's temporary storage, the directories that deep
 * paths imply included; entry names the file system cannot take are archive errors; names
 * are shown escaped. The default limits are sized from the function's storage.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fileError } from '../../lambda/artifacts/file-errors.js';
import {
  ArtifactFormatError,
  ArtifactLimitError,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import {
  DEFAULT_ARTIFACT_LIMITS,
  defaultArtifactLimits,
  ENTRY_DISK_BYTES,
} from '../../lambda/artifacts/settings.js';
import { extractZip } from '../../lambda/artifacts/zip-extract.js';
import { type ZipEntrySpec, zipBytes } from '../helpers/zip-bytes.js';

const MIB = 1024 * 1024;
const LABEL = 'Input artifact "SourceOutput" (s3://bucket/key)';

describe('extractZip counts what it creates', () => {
  let work: string;
  let destination: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'inode-limits-'));
    destination = join(work, 'job', 'inputs', 'SourceOutput');
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function extract(entries: readonly ZipEntrySpec[], limits: object = {}) {
    const file = join(work, 'artifact.zip');
    const bytes = zipBytes(entries);
    await writeFile(file, bytes);
    const result = await extractZip(file, destination, {
      label: LABEL,
      artifactName: 'SourceOutput',
      maxBytes: 64 * MIB,
      maxEntries: 1_000,
      ...limits,
    }).catch((error: unknown) => error as Error);
    return { result, archiveBytes: bytes.length };
  }

  it('stops an archive of tens of thousands of implied directories at the byte limit, quickly', async () => {
    // 1,000 entries 60 directories deep: 60,000 directories from a third of a megabyte.
    const deep = Array.from({ length: 60 }, () => 'd').join('/');
    const entries = Array.from({ length: 1_000 }, (_, i) => ({ name: `${i}/${deep}/` }));
    const started = performance.now();

    const { result, archiveBytes } = await extract(entries, {
      maxBytes: MIB,
      maxEntries: 100_000,
    });

    expect(archiveBytes).toBeLessThan(350_000);
    expect(result).toBeInstanceOf(ArtifactLimitError);
    expect((result as Error).message).toBe(
      `${LABEL}: extracting it writes more than the ${MIB} bytes left of the job's limit (maxExtractedBytes, for every input the job extracts together; each file, directory and link counts ${ENTRY_DISK_BYTES} bytes besides its contents)`,
    );
    // At most 256 directories were made before the refusal (a block each in 1 MiB).
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(existsSync(destination)).toBe(false);
  });

  it('stops explicit directory entries at the byte limit', async () => {
    const entries = Array.from({ length: 5_000 }, (_, i) => ({ name: `dir${i}/` }));

    const { result } = await extract(entries, { maxBytes: MIB, maxEntries: 100_000 });

    expect(result).toBeInstanceOf(ArtifactLimitError);
    expect((result as Error).message).toContain(
      `more than the ${MIB} bytes left of the job's limit`,
    );
  });

  it('counts the directories a deep path implies against maxEntries', async () => {
    const entries = [{ name: 'a/b/c/d/e/file.txt', data: 'x' }];

    const { result } = await extract(entries, { maxEntries: 5 });
    const { result: fits } = await extract(entries, { maxEntries: 6 });

    expect(result).toBeInstanceOf(ArtifactLimitError);
    expect((result as Error).message).toBe(
      `${LABEL}: extracting: it creates more than the 5 files, directories and links left of the job's limit (maxEntries, for every input the job extracts together), the directories its paths imply included`,
    );
    expect(fits).toEqual({
      files: 1,
      directories: 0,
      symlinks: 0,
      bytes: 6 * ENTRY_DISK_BYTES + 1,
      entries: 6,
    });
  });

  it('counts a directory once, listed or implied, and links as entries', async () => {
    const entries: ZipEntrySpec[] = [
      { name: 'a/one.txt', data: '1' },
      { name: 'a/' },
      { name: 'a/two', kind: 'symlink', data: 'one.txt' },
    ];

    const { result: fits } = await extract(entries, { maxEntries: 3 });
    await rm(destination, { recursive: true });
    const { result } = await extract(entries, { maxEntries: 2 });

    expect(fits).toMatchObject({ files: 1, symlinks: 1 });
    expect(result).toBeInstanceOf(ArtifactLimitError);
  });

  it.each([
    [
      'a name of 256 bytes',
      `${'n'.repeat(256)}.txt`,
      'a component of its name is longer than 255 bytes',
    ],
    [
      'a name of 128 two-byte characters',
      'é'.repeat(128),
      'a component of its name is longer than 255 bytes',
    ],
    [
      'a path deeper than the file system takes',
      `${'a/'.repeat(2_100)}f`,
      'its path is longer than the',
    ],
  ])('refuses %s as an unsafe archive, without the local path', async (_, name, reason) => {
    const { result } = await extract([{ name, data: 'x' }], {
      maxEntries: 10_000,
      maxBytes: 100 * MIB,
    });

    expect(result).toBeInstanceOf(UnsafeArchiveError);
    expect((result as Error).message).toContain(reason);
    expect((result as Error).message).not.toContain(work);
    expect(existsSync(destination)).toBe(false);
  });

  it('keeps a name of 255 bytes', async () => {
    const { result } = await extract([{ name: 'n'.repeat(255), data: 'x' }]);

    expect(result).toMatchObject({ files: 1 });
  });

  it('shows the control and direction characters of a refused name escaped', async () => {
    const name = '../\u001b[31mred\r\n\u007f\u0085\u202aA\u202eB\u2066C\u2069\\.txt';

    const { result } = await extract([{ name, data: 'x' }]);

    expect(result).toBeInstanceOf(UnsafeArchiveError);
    const message = (result as Error).message;
    // Backslashes are read as separators in entry names, so the last one shows as '/'.
    expect(message).toContain(
      'entry "../\\u001b[31mred\\r\\n\\u007f\\u0085\\u202aA\\u202eB\\u2066C\\u2069/.txt"',
    );
    for (const raw of ['\u001b', '\r', '\n', '\u007f', '\u0085', '\u202a', '\u202e', '\u2066']) {
      expect(message).not.toContain(raw);
    }
  });
});

describe('fileError, for an archive', () => {
  it.each(['ENAMETOOLONG', 'ELOOP'])(
    'reports %s as a format error without the local path',
    (code) => {
      const cause = Object.assign(new Error(`${code}: too long, mkdir '/tmp/job-1/artifacts/x'`), {
        code,
        syscall: 'mkdir',
      });

      const error = fileError(
        cause,
        `${LABEL}: extracting`,
        { artifactName: 'SourceOutput' },
        true,
      );

      expect(error).toBeInstanceOf(ArtifactFormatError);
      expect(error.message).toBe(
        `${LABEL}: extracting: an entry's path is too long or too deep for the file system (${code})`,
      );
    },
  );
});

describe('defaultArtifactLimits', () => {
  it.each([
    [{}, 12 * MIB, 25 * MIB, 6_400],
    [{ EPHEMERAL_STORAGE_MIB: '512', CONCURRENCY: '10' }, 12 * MIB, 25 * MIB, 6_400],
    [{ EPHEMERAL_STORAGE_MIB: '2048' }, 51 * MIB, 102 * MIB, 26_112],
    [{ EPHEMERAL_STORAGE_MIB: '10240', CONCURRENCY: '1' }, 2_560 * MIB, 5_120 * MIB, 1_310_720],
    [{ EPHEMERAL_STORAGE_MIB: '512', CONCURRENCY: '100' }, 1 * MIB, 2 * MIB, 512],
    // Values the function would refuse fall back to the defaults.
    [{ EPHEMERAL_STORAGE_MIB: 'lots', CONCURRENCY: '0' }, 12 * MIB, 25 * MIB, 6_400],
    [{ EPHEMERAL_STORAGE_MIB: '20000' }, 12 * MIB, 25 * MIB, 6_400],
  ])(
    'sizes the limits of %j from the storage and the concurrency',
    (env, input, extracted, entries) => {
      expect(defaultArtifactLimits(env)).toEqual({
        maxInputBytes: input,
        maxExtractedBytes: extracted,
        maxEntries: entries,
      });
    },
  );

  it('exports the limits of 512 MiB and 10 jobs as DEFAULT_ARTIFACT_LIMITS', () => {
    expect(DEFAULT_ARTIFACT_LIMITS).toEqual(defaultArtifactLimits({}));
    expect(DEFAULT_ARTIFACT_LIMITS.maxExtractedBytes).toBeLessThan(512 * MIB);
  });

  it('lets every job of an invocation reach its limits at once within the storage', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 512, max: 10_240 }),
        fc.integer({ min: 1, max: 100 }),
        (storage, jobs) => {
          const limits = defaultArtifactLimits({
            EPHEMERAL_STORAGE_MIB: String(storage),
            CONCURRENCY: String(jobs),
          });
          // The archive and its tree (a block per entry counted in the tree's bytes) of each job.
          const perJob = limits.maxInputBytes + limits.maxExtractedBytes;
          expect(jobs * perJob).toBeLessThanOrEqual(storage * MIB);
          expect(limits.maxEntries * ENTRY_DISK_BYTES).toBeLessThanOrEqual(
            limits.maxExtractedBytes,
          );
        },
      ),
    );
  });
});
