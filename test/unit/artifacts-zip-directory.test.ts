/**
 * zipDirectory reads the files it listed, and only those: a file or a directory replaced by
 * a link between the listing and the reading fails the upload instead of sending what the
 * link leads to.
 */
import { execFileSync } from 'node:child_process';
import {
  appendFile,
  mkdir,
  mkdtemp,
  rename,
  rm,
  symlink,
  truncate,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnsafeArchiveError } from '../../lambda/artifacts/index.js';
import { zipDirectory } from '../../lambda/artifacts/zip-directory.js';
import { unzipText } from '../helpers/zip-read.js';

const LABEL = 'Output artifact "Report" (s3://bucket/key)';
const SECRET = 'outside contents: AKIA-not-for-upload';

describe('zipDirectory', () => {
  let work: string;
  let directory: string;
  let outside: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'zip-directory-'));
    directory = join(work, 'report');
    outside = join(work, 'outside');
    await mkdir(join(directory, 'sub'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(directory, 'a.txt'), 'first');
    await writeFile(join(directory, 'sub', 'b.txt'), 'second');
    await writeFile(join(outside, 'b.txt'), SECRET);
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** The zip's bytes, or the error that failed the stream. */
  function zipped(afterListing?: () => Promise<void>): Promise<Buffer> {
    return buffer(
      zipDirectory(directory, {
        compress: true,
        label: LABEL,
        artifactName: 'Report',
        afterListing,
      }),
    );
  }

  async function refusal(afterListing: () => Promise<void>): Promise<Error> {
    const error = await zipped(afterListing).then(
      (bytes) => bytes,
      (thrown: unknown) => thrown as Error,
    );
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    return error as Error;
  }

  it('zips what it listed when nothing changes in between', async () => {
    const bytes = await zipped(async () => undefined);

    expect(await unzipText(bytes)).toEqual({ 'a.txt': 'first', 'sub/b.txt': 'second' });
  });

  it('refuses a file replaced by a link to a file outside after the listing', async () => {
    const error = await refusal(async () => {
      await rm(join(directory, 'sub', 'b.txt'));
      await symlink(join(outside, 'b.txt'), join(directory, 'sub', 'b.txt'));
    });

    expect(error.message).toBe(
      `${LABEL}: "sub/b.txt" in the directory to upload changed while it was being read`,
    );
    expect(error.message).not.toContain(SECRET);
  });

  it('refuses a file whose directory was replaced by a link to one outside', async () => {
    const error = await refusal(async () => {
      await rename(join(directory, 'sub'), join(work, 'moved'));
      await symlink(outside, join(directory, 'sub'));
    });

    expect(error.message).toContain('"sub/b.txt" in the directory to upload changed');
  });

  it('refuses a file replaced by another file after the listing', async () => {
    const error = await refusal(async () => {
      // Written beside it, then renamed over it: a new inode, of the same size.
      await writeFile(join(work, 'other.txt'), 'other');
      await rename(join(work, 'other.txt'), join(directory, 'a.txt'));
    });

    expect(error.message).toContain('"a.txt" in the directory to upload changed');
  });

  it('shows control characters of a refused name escaped', async () => {
    await symlink('/etc/passwd', join(directory, 'evil\u001b[2J\u202e.txt'));

    const error = await zipped().then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error?.message).toContain('"evil\\u001b[2J\\u202e.txt"');
    expect(error?.message).not.toContain('\u001b');
    expect(error?.message).not.toContain('\u202e');
  });

  it('refuses a FIFO in the directory to upload', async () => {
    execFileSync('mkfifo', [join(directory, 'pipe')]);

    const error = await refusal(async () => undefined);

    expect(error.message).toBe(
      `${LABEL}: "pipe" in the directory to upload is neither a file, a directory nor a link`,
    );
  });

  // Files of each size are read another way: in line, ahead of the writer, in blocks.
  describe.each([
    ['a tiny file', 10],
    ['a small file', 200 * 1024],
    ['a large file', 3 * 1024 * 1024 + 5],
  ])('%s', (_, size) => {
    beforeEach(async () => {
      await writeFile(join(directory, 'sub', 'data.bin'), Buffer.alloc(size, 'x'));
    });

    it.each([
      ['grown', () => appendFile(join(directory, 'sub', 'data.bin'), 'more')],
      ['shrunk', () => truncate(join(directory, 'sub', 'data.bin'), size - 1)],
    ])('refuses it when it has %s since the listing', async (_how, change) => {
      const error = await refusal(async () => {
        await change();
      });

      expect(error.message).toBe(
        `${LABEL}: "sub/data.bin" in the directory to upload changed while it was being read`,
      );
    });

    it('refuses it when it was replaced by a link to a file outside', async () => {
      await writeFile(join(outside, 'data.bin'), Buffer.alloc(size, 's'));

      const error = await refusal(async () => {
        await rm(join(directory, 'sub', 'data.bin'));
        await symlink(join(outside, 'data.bin'), join(directory, 'sub', 'data.bin'));
      });

      expect(error.message).toContain('"sub/data.bin" in the directory to upload changed');
    });

    it('zips it when nothing changes', async () => {
      const bytes = await zipped(async () => undefined);

      expect((await unzipText(bytes))['sub/data.bin']).toBe('x'.repeat(size));
    });
  });
});
