/**
 * The fast paths of extractZip: small files read, inflated, checked and written whole, several
 * files in flight, directories made once. Each test tries to get a hostile entry past one of
 * them.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yauzl, { type Entry } from 'yauzl';
import {
  ArtifactError,
  ArtifactFormatError,
  ArtifactLimitError,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import { ENTRY_DISK_BYTES } from '../../lambda/artifacts/settings.js';
import { entryName } from '../../lambda/artifacts/zip-entries.js';
import { type ExtractOptions, extractZip } from '../../lambda/artifacts/zip-extract.js';
import { countingFiles } from '../helpers/counting-files.js';
import { type ZipEntrySpec, zipBytes } from '../helpers/zip-bytes.js';
import { forgeZip } from '../helpers/zip-forge.js';

const MIB = 1024 * 1024;
const LABEL = 'Input artifact "SourceOutput" (s3://bucket/key)';
const CENTRAL_SIGNATURE = 0x02014b50;

/**
 * `archive` with the CRC-32 of entry `name` replaced by `crc` in its central record and its
 * local header alike (so that only the data disagrees with it).
 */
function withCrc(archive: Buffer, name: string, crc: number): Buffer {
  const copy = Buffer.from(archive);
  const end = copy.length - 22;
  let at = copy.readUInt32LE(end + 16);
  while (at < end && copy.readUInt32LE(at) === CENTRAL_SIGNATURE) {
    const nameLength = copy.readUInt16LE(at + 28);
    const size = 46 + nameLength + copy.readUInt16LE(at + 30) + copy.readUInt16LE(at + 32);
    if (copy.subarray(at + 46, at + 46 + nameLength).toString('utf8') === name) {
      copy.writeUInt32LE(crc >>> 0, at + 16);
      copy.writeUInt32LE(crc >>> 0, copy.readUInt32LE(at + 42) + 14);
      return copy;
    }
    at += size;
  }
  throw new Error(`no entry ${name}`);
}

/** `count` files of `size` bytes each, `files/NNN.txt`, deflated. */
function smallFiles(count: number, size: number): ZipEntrySpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `files/${String(i).padStart(3, '0')}.txt`,
    data: Buffer.alloc(size, `line ${i}\n`),
  }));
}

describe('extractZip fast paths', () => {
  let work: string;
  let destination: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'extract-fast-'));
    destination = join(work, 'job', 'inputs', 'SourceOutput');
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function extract(archive: readonly ZipEntrySpec[] | Buffer, options = {}) {
    const file = join(work, 'artifact.zip');
    await writeFile(file, Buffer.isBuffer(archive) ? archive : zipBytes(archive));
    const settings: ExtractOptions = {
      label: LABEL,
      artifactName: 'SourceOutput',
      maxBytes: 64 * MIB,
      maxEntries: 10_000,
      ...options,
    };
    return extractZip(file, destination, settings);
  }

  async function refusal(archive: readonly ZipEntrySpec[] | Buffer, options = {}) {
    const error = await extract(archive, options).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }

  it('extracts many small files in flight, each whole and in its place', async () => {
    const entries = smallFiles(200, 3_000);

    const result = await extract(entries);

    expect(result).toEqual({
      files: 200,
      directories: 0,
      symlinks: 0,
      bytes: 200 * (3_000 + ENTRY_DISK_BYTES) + ENTRY_DISK_BYTES,
      entries: 201,
    });
    for (const entry of [entries[0], entries[99], entries[199]]) {
      const name = entry?.name ?? '';
      expect(await readFile(join(destination, name))).toEqual(entry?.data);
    }
  });

  it.each([
    ['deflated', true],
    ['stored', false],
  ])(
    'refuses a small %s file whose CRC-32 is wrong, writing nothing of it',
    async (_, compress) => {
      const { written, createFile } = countingFiles();
      const archive = withCrc(
        zipBytes([
          { name: 'ok.txt', data: 'fine', compress },
          { name: 'bad.txt', data: 'x'.repeat(5_000), compress },
        ]),
        'bad.txt',
        0x12345678,
      );

      const error = await refusal(archive, { createFile });

      expect(error).toBeInstanceOf(ArtifactFormatError);
      expect(error.message).toContain('entry "bad.txt" does not match its CRC-32');
      expect(written.files).toBe(1);
      expect(written.bytes).toBe(4);
      expect(existsSync(destination)).toBe(false);
    },
  );

  it('refuses a small file that inflates past its declared size before creating it', async () => {
    const { written, createFile } = countingFiles();
    // 100 bytes declared, 1 MiB inside: the limit leaves room for the declared size only.
    const entries = [{ name: 'liar.bin', data: Buffer.alloc(MIB), declaredSize: 100 }];

    const error = await refusal(entries, { maxBytes: 64 * 1024, createFile });

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.message).toContain('holds more than the 100 bytes the central directory gives');
    expect(written.files).toBe(0);
    expect(written.bytes).toBe(0);
  });

  it('refuses a small file that holds less than its declared size', async () => {
    const error = await refusal([{ name: 'short.txt', data: 'abc', declaredSize: 10 }]);

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.message).toContain('holds 3 bytes, the central directory gives 10');
  });

  it('writes no byte past the limit when small files in flight cross it', async () => {
    const { written, createFile } = countingFiles();
    // The directory's block, twelve files with theirs, the 13th's block and a third of it.
    const limit = 14 * ENTRY_DISK_BYTES + 12 * 3_000 + 1_000;

    const error = await refusal(smallFiles(40, 3_000), { maxBytes: limit, createFile });

    expect(error).toBeInstanceOf(ArtifactLimitError);
    expect(error.message).toContain(`more than the ${limit} bytes left of the job's limit`);
    expect(written.bytes).toBeLessThanOrEqual(limit - 14 * ENTRY_DISK_BYTES);
    // The 13th is begun and stopped at the limit; none after it is created.
    expect(written.files).toBe(13);
    expect(existsSync(destination)).toBe(false);
  });

  it('counts inodes exactly with files in flight across many directories', async () => {
    const entries = Array.from({ length: 120 }, (_, i) => ({
      name: `d${i % 7}/e${i % 5}/f${i}.txt`,
      data: `file ${i}`,
    }));
    // 7 top directories, 35 below them, 120 files.
    const inodes = 7 + 35 + 120;

    const fits = await extract(entries, { maxEntries: inodes });
    await rm(destination, { recursive: true });
    const error = await refusal(entries, { maxEntries: inodes - 1 });

    expect(fits).toMatchObject({ files: 120, directories: 0, entries: inodes });
    expect(error).toBeInstanceOf(ArtifactLimitError);
    expect(error.message).toContain(`more than the ${inodes - 1} files, directories and links`);
    expect(existsSync(destination)).toBe(false);
  });

  it('reports the earliest entry that fails, not the first to finish', async () => {
    // A large stored file (streamed, its CRC-32 wrong only at its end) and right after it an
    // unsafe name, which the main loop reaches long before the stream ends.
    const big = Buffer.alloc(4 * MIB, 'a');
    const archive = zipBytes([
      { name: 'big.bin', data: big, compress: false },
      { name: '../escaped', data: 'pwned' },
    ]);
    const damaged = Buffer.from(archive);
    damaged[30 + 'big.bin'.length + big.length - 1] = 'b'.charCodeAt(0);

    const error = await refusal(damaged);

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.message).toContain('entry "big.bin" does not match its CRC-32');
    expect(existsSync(join(work, 'job', 'inputs', 'escaped'))).toBe(false);
  });

  it('refuses the unsafe name when the files before it are sound', async () => {
    const error = await refusal([...smallFiles(20, 1_000), { name: '../escaped', data: 'x' }]);

    expect(error).toBeInstanceOf(UnsafeArchiveError);
  });

  it.each([
    ['a file, then a path under it', ['a', 'a/b.txt']],
    ['a path under a file, then the file', ['a/b.txt', 'a']],
  ])('refuses %s as two entries claiming one path', async (_, names) => {
    const error = await refusal(names.map((name) => ({ name, data: 'x' })));

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.message).toContain('claim the same path');
    expect(existsSync(destination)).toBe(false);
  });

  it('stops small files in flight when the job is cancelled, and removes the directory', async () => {
    const controller = new AbortController();
    const { written, createFile } = countingFiles((files) => {
      if (files === 5) controller.abort();
    });

    // Incompressible: each is inflated on the thread pool, several of them in flight at once.
    const entries = Array.from({ length: 100 }, (_, i) => ({
      name: `f${i}.bin`,
      data: randomBytes(20_000),
    }));

    const error = await refusal(entries, {
      createFile,
      signal: controller.signal,
    });
    await sleep(50);

    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.message).toContain('stopped, the job was cancelled');
    expect(written.files).toBe(5);
    expect(existsSync(destination)).toBe(false);
  });

  it('stops a streamed file mid-way when the job is cancelled', async () => {
    const controller = new AbortController();
    const { written, createFile } = countingFiles();
    const entries = [
      { name: 'big.bin', data: Buffer.alloc(16 * MIB, 'z'), compress: false },
      ...smallFiles(10, 100),
    ];
    const extraction = extract(entries, {
      createFile: (path: string, mode: number) => {
        const file = createFile(path, mode);
        file.once('pipe', () => setImmediate(() => controller.abort()));
        return file;
      },
      signal: controller.signal,
    }).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );

    const error = await extraction;

    expect(error).toBeInstanceOf(ArtifactError);
    expect(error?.message).toContain('stopped, the job was cancelled');
    expect(written.bytes).toBeLessThan(16 * MIB);
    expect(existsSync(destination)).toBe(false);
    expect(await readdir(join(work, 'job', 'inputs'))).toEqual([]);
  });
});

describe('local headers read through one window', () => {
  let work: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'extract-window-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** Two entries, the second's local header across the first window's end (64 KiB). */
  function straddling(local?: { name: string }) {
    const first = 64 * 1024 - 10 - (30 + 'a.bin'.length);
    return forgeZip({
      entries: [
        { name: 'a.bin', data: Buffer.alloc(first, 1), compress: false },
        { name: 'b.txt', data: 'second', ...(local ? { local } : {}) },
      ],
    });
  }

  async function extractBytes(archive: Buffer) {
    const file = join(work, 'artifact.zip');
    await writeFile(file, archive);
    return extractZip(file, join(work, 'out'), {
      label: LABEL,
      artifactName: 'SourceOutput',
      maxBytes: 64 * MIB,
      maxEntries: 100,
    });
  }

  it('reads a local header that lies across the end of a window', async () => {
    await extractBytes(straddling());

    expect(await readFile(join(work, 'out', 'b.txt'), 'utf8')).toBe('second');
  });

  it('refuses a local header across the end of a window that names its entry otherwise', async () => {
    const error = await extractBytes(straddling({ name: 'c.txt' })).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error?.message).toContain('its local header names it "c.txt"');
  });
});

describe('entryName', () => {
  /** yauzl's own decoder, which entryName must agree with. */
  const decoder = yauzl as unknown as {
    getFileNameLowLevel(flags: number, raw: Buffer, extra: unknown[], strict: boolean): string;
  };

  it('decodes every name as yauzl does, ASCII or not, UTF-8 flagged or not', () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc.uint8Array({ minLength: 1, maxLength: 40 }).map((array) => array.map((b) => b & 0x7f)),
      fc.string({ maxLength: 40 }).map((text) => new TextEncoder().encode(text)),
    );
    fc.assert(
      fc.property(bytes, fc.boolean(), (array, utf8) => {
        const raw = Buffer.from(array);
        const flags = utf8 ? 0x0800 : 0;
        const entry = { fileName: raw, generalPurposeBitFlag: flags, extraFields: [] };

        expect(entryName(entry as unknown as Entry)).toBe(
          decoder.getFileNameLowLevel(flags, raw, [], false),
        );
      }),
      { numRuns: 2_000 },
    );
  });
});
