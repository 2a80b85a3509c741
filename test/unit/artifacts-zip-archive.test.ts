import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer as collect } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { ZipArchive, ZipFormatError } from '../../lambda/artifacts/zip-central-directory.js';

/** A zip of `entries` written by yazl, each with its comment. */
async function zipOf(entries: readonly { name: string; comment?: string }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const { name, comment } of entries) {
    // yazl takes an entry's comment; its types do not list the option.
    const options = { fileComment: comment } as Partial<yazl.Options>;
    zip.addBuffer(Buffer.from(`the contents of ${name}`), name, options);
  }
  zip.end();
  return collect(zip.outputStream);
}

/** Every record of the archive at `file`, as its reading gives them. */
async function recordsOf(file: string) {
  const archive = await ZipArchive.open(file);
  try {
    const records = [];
    for await (const { record } of archive.records()) records.push(record);
    return records;
  } finally {
    await archive.close();
  }
}

describe('ZipArchive: what one walk of the central directory keeps', () => {
  let work: string;
  let file: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'zip-kept-'));
    file = join(work, 'a.zip');
  });

  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it('keeps a name without the long comment of its record', async () => {
    await writeFile(file, await zipOf([{ name: 'a.txt', comment: 'c'.repeat(10_000) }]));

    const [record] = await recordsOf(file);

    expect(record?.name.toString()).toBe('a.txt');
    expect(record?.name.buffer.byteLength).toBeLessThan(10_000);
  });

  it('fails when any byte of the central directory changes between its check and its reading', async () => {
    const archive = await zipOf([{ name: 'a.txt' }, { name: 'b.txt' }]);
    await writeFile(file, archive);
    const opened = await ZipArchive.open(file);
    try {
      await opened.verify();
      // The first central record's external attributes: neither its place nor its sizes.
      const handle = await open(file, 'r+');
      await handle.write(Buffer.from([0xed]), 0, 1, archive.readUInt32LE(archive.length - 6) + 41);
      await handle.close();

      const reading = (async () => {
        for await (const _ of opened.records()) {
          // read them all
        }
      })();

      await expect(reading).rejects.toThrow(
        new ZipFormatError('the archive changed while it was read'),
      );
    } finally {
      await opened.close();
    }
  });
});
