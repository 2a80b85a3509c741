import { createWriteStream, existsSync } from 'node:fs';
import { lstat, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ArtifactFormatError,
  ArtifactLimitError,
  ArtifactStorageError,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import { ENTRY_DISK_BYTES } from '../../lambda/artifacts/settings.js';
import { type ExtractOptions, extractZip } from '../../lambda/artifacts/zip-extract.js';
import { JobFailureError } from '../../lambda/job/outcome.js';
import { countingFiles } from '../helpers/counting-files.js';
import { type ZipEntrySpec, zipBytes } from '../helpers/zip-bytes.js';

const MIB = 1024 * 1024;
const LABEL = 'Input artifact "SourceOutput" (s3://bucket/key)';

describe('extractZip', () => {
  let work: string;
  let destination: string;
  /** A path outside the destination that no archive may create. */
  let outside: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'extract-zip-'));
    destination = join(work, 'job', 'inputs', 'SourceOutput');
    outside = join(work, 'escaped');
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function extract(entries: readonly ZipEntrySpec[] | Buffer, options = {}) {
    const file = join(work, 'artifact.zip');
    await writeFile(file, Array.isArray(entries) ? zipBytes(entries) : (entries as Buffer));
    const settings: ExtractOptions = {
      label: LABEL,
      artifactName: 'SourceOutput',
      maxBytes: 64 * MIB,
      maxEntries: 1_000,
      ...options,
    };
    return extractZip(file, destination, settings);
  }

  async function refusal(entries: readonly ZipEntrySpec[] | Buffer, options = {}) {
    const error = await extract(entries, options).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(Error);
    return error as Error & { failureType: string; artifactName: string };
  }

  it('extracts files, directories, execute bits and links that stay inside', async () => {
    const result = await extract([
      { name: 'src/' },
      { name: 'src/index.js', data: 'console.log(1);' },
      { name: 'bin/run.sh', data: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { name: 'empty/' },
      { name: 'current', kind: 'symlink', data: 'src' },
      { name: 'bin/index.js', kind: 'symlink', data: '../src/index.js' },
    ]);

    expect(result).toEqual({
      files: 2,
      directories: 2,
      symlinks: 2,
      bytes: expect.any(Number),
      entries: 7,
    });
    expect(await readFile(join(destination, 'src/index.js'), 'utf8')).toBe('console.log(1);');
    expect((await stat(join(destination, 'bin/run.sh'))).mode & 0o111).not.toBe(0);
    expect((await stat(join(destination, 'src/index.js'))).mode & 0o111).toBe(0);
    expect(await readdir(join(destination, 'empty'))).toEqual([]);
    expect(await readlink(join(destination, 'current'))).toBe('src');
    expect(await readFile(join(destination, 'bin/index.js'), 'utf8')).toBe('console.log(1);');
  });

  it.each([
    ['climbs out with ..', '../escaped'],
    ['climbs out with .. after a directory', 'src/../../escaped'],
    ['climbs out with Windows separators', '..\\escaped'],
    ['is an absolute path', '/ESCAPED'],
    ['is a Windows drive path', 'C:/escaped'],
  ])('refuses an entry that %s, and writes nothing outside', async (_, name) => {
    const entryName = name === '/ESCAPED' ? outside : name;

    const error = await refusal([
      { name: 'ok.txt', data: 'fine' },
      { name: entryName, data: 'pwned' },
    ]);

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error.failureType).toBe('JobFailed');
    expect(error.message).toContain(LABEL);
    expect(error.message).toContain(`entry "${entryName.replaceAll('\\', '/')}"`);
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(destination)).toBe(false);
  });

  it.each([
    ['leads out with ..', [{ name: 'up', kind: 'symlink', data: '../../../escaped' }]],
    ['leads to an absolute path', [{ name: 'abs', kind: 'symlink', data: '/etc' }]],
    [
      'leads out through another link',
      [
        { name: 'a/up', kind: 'symlink', data: '..' },
        { name: 'b', kind: 'symlink', data: 'a/up/..' },
      ],
    ],
    [
      'dangles outside through another link',
      [
        { name: 'a/up', kind: 'symlink', data: '..' },
        { name: 'b', kind: 'symlink', data: 'a/up/../missing' },
      ],
    ],
    [
      'has a file written under it',
      [
        { name: 'sub/', kind: 'directory' },
        { name: 'l', kind: 'symlink', data: 'sub' },
        { name: 'l/f.txt', data: 'through the link' },
      ],
    ],
    [
      'lies under another link',
      [
        { name: 'l', kind: 'symlink', data: 'sub' },
        { name: 'l/inner', kind: 'symlink', data: '.' },
      ],
    ],
    [
      'loops',
      [
        { name: 'x', kind: 'symlink', data: 'y/z' },
        { name: 'y', kind: 'symlink', data: 'x/z' },
      ],
    ],
  ] as const)('refuses a symbolic link that %s', async (_, entries) => {
    const error = await refusal(entries);

    expect(error).toBeInstanceOf(
      _ === 'has a file written under it' ? ArtifactFormatError : UnsafeArchiveError,
    );
    expect(error.message).toContain(LABEL);
    expect(existsSync(destination)).toBe(false);
  });

  it('refuses an absolute link even when it points inside the directory', async () => {
    const error = await refusal([
      { name: 'src/a.txt', data: 'a' },
      { name: 'abs', kind: 'symlink', data: join(destination, 'src') },
    ]);

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error.message).toContain('absolute path');
  });

  it('keeps a dangling link that stays inside', async () => {
    await extract([{ name: 'latest', kind: 'symlink', data: 'build/not-yet' }]);

    expect((await lstat(join(destination, 'latest'))).isSymbolicLink()).toBe(true);
  });

  it('refuses entries that are neither files, directories nor links', async () => {
    const error = await refusal([{ name: 'pipe', kind: 'fifo' }]);

    expect(error).toBeInstanceOf(UnsafeArchiveError);
  });

  it('stops a zip bomb at the limit, counting the bytes written', async () => {
    const { written, createFile } = countingFiles();

    const error = await refusal(
      [
        { name: 'a.bin', data: Buffer.alloc(8 * MIB) },
        { name: 'b.bin', data: Buffer.alloc(8 * MIB) },
      ],
      { maxBytes: MIB, createFile },
    );

    expect(error).toBeInstanceOf(ArtifactLimitError);
    expect(error.message).toContain(`more than the ${MIB} bytes left of the job's limit`);
    expect(error.message).toContain(LABEL);
    expect(written.bytes).toBeLessThanOrEqual(MIB);
    expect(written.files).toBe(1);
    expect(existsSync(destination)).toBe(false);
  });

  it('stops at the limit across many files', async () => {
    const { written, createFile } = countingFiles();
    const entries = Array.from({ length: 20 }, (_, i) => ({
      name: `f${i}.bin`,
      data: Buffer.alloc(100_000, i),
    }));

    // Ten files and their blocks fill the limit exactly, and half of the eleventh's contents.
    const limit = 10 * (100_000 + ENTRY_DISK_BYTES) + ENTRY_DISK_BYTES + 50_000;

    const error = await refusal(entries, { maxBytes: limit, createFile });

    expect(error).toBeInstanceOf(ArtifactLimitError);
    expect(written.bytes).toBeLessThanOrEqual(10 * 100_000 + 50_000);
    // The eleventh is begun, and stopped at the chunk that crosses the limit.
    expect(written.files).toBe(11);
  });

  it('refuses an entry whose data is larger than its header says', async () => {
    const error = await refusal([{ name: 'liar.bin', data: Buffer.alloc(MIB), declaredSize: 100 }]);

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.message).toContain('not a valid zip archive');
  });

  it('refuses an archive with too many entries before writing anything', async () => {
    const { written, createFile } = countingFiles();
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `f${i}.txt`, data: 'x' }));

    const error = await refusal(entries, { maxEntries: 4, createFile });

    expect(error).toBeInstanceOf(ArtifactLimitError);
    expect(error.message).toContain("5 entries; 4 are left of the job's limit");
    expect(written.files).toBe(0);
  });

  it('refuses a corrupt archive, naming the artifact', async () => {
    const archive = zipBytes([{ name: 'a.txt', data: 'some text that deflates'.repeat(50) }]);
    // Damage the deflated data (it starts after the 30-byte local header and the name).
    archive.fill(0xff, 35, 60);

    const error = await refusal(archive);

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.failureType).toBe('JobFailed');
    expect(error.message).toContain(LABEL);
    expect(error.artifactName).toBe('SourceOutput');
  });

  it('refuses a truncated archive', async () => {
    const archive = zipBytes([{ name: 'a.txt', data: 'hello' }]);

    const error = await refusal(archive.subarray(0, archive.length - 10));

    expect(error).toBeInstanceOf(ArtifactFormatError);
  });

  it('refuses a file that is not a zip archive', async () => {
    const error = await refusal(Buffer.from('{"this": "is json, not a zip"}'));

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.message).toMatch(/^Input artifact "SourceOutput".*not a valid zip archive/);
  });

  it('refuses two entries with the same path', async () => {
    const error = await refusal([
      { name: 'a.txt', data: 'one' },
      { name: 'a.txt', data: 'two' },
    ]);

    expect(error).toBeInstanceOf(ArtifactFormatError);
    expect(error.message).toContain('claim the same path');
  });

  it('fails the job with a storage error when the disk is full (ENOSPC)', async () => {
    // Writes to /dev/full fail with ENOSPC, as a full ephemeral storage would.
    const error = await refusal([{ name: 'a.bin', data: Buffer.alloc(100_000) }], {
      createFile: () => createWriteStream('/dev/full'),
    });

    expect(error).toBeInstanceOf(ArtifactStorageError);
    expect(JobFailureError.is(error)).toBe(true);
    expect(error.failureType).toBe('JobFailed');
    expect(error.message).toContain('no space left');
    expect(error.message).toContain('ENOSPC');
    expect(error.message).toContain(LABEL);
    expect(existsSync(destination)).toBe(false);
  });
});
