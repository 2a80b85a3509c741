/**
 * zipDirectory archives a name only when every reader, ours first, reads it back as the same
 * path, and reads only the regular files it listed: a socket put in a file's place is refused
 * at once, as a FIFO is.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnsafeArchiveError } from '../../lambda/artifacts/index.js';
import { zipDirectory } from '../../lambda/artifacts/zip-directory.js';

const LABEL = 'Output artifact "Report" (s3://bucket/key)';
const MIB = 1024 * 1024;

describe('zipDirectory names and swapped files', () => {
  let work: string;
  let directory: string;
  const servers: Server[] = [];

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'zip-names-'));
    directory = join(work, 'report');
    await mkdir(directory);
  });
  afterEach(async () => {
    for (const server of servers.splice(0)) server.close();
    await rm(work, { recursive: true, force: true });
  });

  /** The error that failed the stream, or undefined when it ended. */
  function refusal(afterListing?: () => Promise<void>): Promise<Error | undefined> {
    return buffer(
      zipDirectory(directory, {
        compress: true,
        label: LABEL,
        artifactName: 'Report',
        afterListing,
      }),
    ).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );
  }

  /** Runs python3 with the directory as its argument (it makes names that are not UTF-8). */
  function python(code: string): void {
    execFileSync('python3', ['-c', `import os,sys\nd=sys.argv[1].encode()\n${code}`, directory]);
  }

  it.each([
    ['a tiny file', 10],
    ['a small file', 200 * 1024],
    ['a large file', 3 * MIB],
  ])('refuses %s swapped for a socket after the listing', async (_, size) => {
    const path = join(directory, 'data.bin');
    await writeFile(path, Buffer.alloc(size, 'x'));

    const error = await refusal(async () => {
      await unlink(path);
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve) => server.listen(path, resolve));
    });

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error?.message).toBe(
      `${LABEL}: "data.bin" in the directory to upload changed while it was being read`,
    );
  });

  it('refuses a name with a backslash that extraction reads as another path', async () => {
    await mkdir(join(directory, 'a'));
    await writeFile(join(directory, 'a', 'b.txt'), 'real');
    await writeFile(join(directory, 'a\\b.txt'), 'other');

    const error = await refusal();

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error?.message).toBe(
      `${LABEL}: "a\\\\b.txt" in the directory to upload has a name extraction reads as "a/b.txt"`,
    );
  });

  it('refuses a directory whose name is not UTF-8, naming it without the worker path', async () => {
    python('os.mkdir(d + b"/sub\\xff")\nopen(d + b"/sub\\xff/f.txt", "wb").write(b"x")');

    const error = await refusal();

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error?.message).toBe(
      `${LABEL}: "sub\ufffd" in the directory to upload has a name that is not UTF-8 (its bytes shown as U+FFFD)`,
    );
    expect(error?.message).not.toContain(work);
  });

  it('refuses a link whose target is not UTF-8 rather than archive another target', async () => {
    python('os.symlink(b"t\\xff", d + b"/link")');

    const error = await refusal();

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error?.message).toBe(
      `${LABEL}: "link" in the directory to upload is a symbolic link to a path that is not UTF-8`,
    );
  });
});
