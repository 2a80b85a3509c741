/**
 * What the zip writer writes is read alike by our own strict reader (extractZip, ZipArchive),
 * Info-ZIP's unzip and Python's zipfile: entries known whole and streamed ones (data
 * descriptors), zip64 by entry count and by size and offset, and zipDirectory's paths (tiny
 * files deflated in line, small ones read ahead, large ones in blocks, empty ones, files that
 * deflate does not shrink, `compress: false`).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer as collect } from 'node:stream/consumers';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ZipArchive } from '../../lambda/artifacts/zip-central-directory.js';
import { zipDirectory } from '../../lambda/artifacts/zip-directory.js';
import { extractZip } from '../../lambda/artifacts/zip-extract.js';
import { DEFLATED, STORED, ZipWriter } from '../../lambda/artifacts/zip-writer.js';

/** Python's view of an archive: each entry's name, size, method, mode and header offset. */
const PYTHON_LIST = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip() if sys.argv[2] == 'test' else None
    print(json.dumps({'bad': bad, 'entries': [
        {'name': i.filename, 'size': i.file_size, 'method': i.compress_type,
         'mode': i.external_attr >> 16, 'offset': i.header_offset,
         'compressed': i.compress_size} for i in z.infolist()]}))
`;

interface PythonEntry {
  readonly name: string;
  readonly size: number;
  readonly method: number;
  readonly mode: number;
  readonly offset: number;
  readonly compressed: number;
}

function python(file: string, test = true): { bad: string | null; entries: PythonEntry[] } {
  const out = execFileSync('python3', ['-c', PYTHON_LIST, file, test ? 'test' : 'list'], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return JSON.parse(out.toString('utf8'));
}

/** Info-ZIP's test of every entry (CRC-32 and sizes); throws when it finds an error. */
function unzipTest(file: string): string {
  return execFileSync('unzip', ['-tq', file]).toString('utf8');
}

/**
 * The entry count of an archive as our strict reader finds it, every local header, data
 * descriptor and the coverage checked (extracting 65,536 files would take minutes).
 */
async function verifiedCount(file: string): Promise<number> {
  const archive = await ZipArchive.open(file);
  try {
    await archive.verify();
    return archive.entryCount;
  } finally {
    await archive.close();
  }
}

describe('ZipWriter', () => {
  let work: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'zip-writer-'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  /** Writes an archive with `build` and stores it in a file. */
  async function written(build: (writer: ZipWriter) => void): Promise<string> {
    const chunks: Buffer[] = [];
    const writer = new ZipWriter((chunk) => chunks.push(chunk));
    build(writer);
    writer.finish();
    const file = join(work, 'archive.zip');
    await writeFile(file, Buffer.concat(chunks));
    expect(writer.bytesWritten).toBe((await stat(file)).size);
    return file;
  }

  async function extracted(file: string, maxEntries = 100): Promise<string> {
    const destination = join(work, 'out');
    await extractZip(file, destination, {
      label: 'Output',
      artifactName: 'Output',
      // Each entry counts 4 KiB besides its contents.
      maxBytes: 1024 * 1024 * 1024,
      maxEntries,
    });
    return destination;
  }

  const header = (name: string, mode = 0o100644) => ({ name, mode, mtimeMs: Date.now() });

  it('writes entries known whole and streamed ones that every reader takes', async () => {
    const text = Buffer.from('every reader reads this the same\n'.repeat(100));
    const file = await written((writer) => {
      writer.addWhole(header('whole.txt'), {
        method: STORED,
        data: text,
        crc32: crc32(text),
        size: text.length,
      });
      writer.addDirectory(header('empty/', 0o40755));
      writer.addSymlink(header('link', 0o120777), Buffer.from('whole.txt'));
      writer.begin(header('streamed.txt', 0o100755), STORED, text.length * 2);
      writer.write(text);
      writer.write(text);
      writer.end(crc32(text, crc32(text)), text.length * 2);
      writer.addWhole(header('nämé.txt'), {
        method: STORED,
        data: text,
        crc32: crc32(text),
        size: text.length,
      });
    });

    const out = await extracted(file);

    expect(await readFile(join(out, 'whole.txt'))).toEqual(text);
    expect(await readFile(join(out, 'streamed.txt'))).toEqual(Buffer.concat([text, text]));
    expect(await readFile(join(out, 'nämé.txt'))).toEqual(text);
    expect(await readFile(join(out, 'link'), 'utf8')).toBe(text.toString());
    expect((await stat(join(out, 'empty'))).isDirectory()).toBe(true);
    expect(unzipTest(file)).toContain('No errors');
    const listed = python(file);
    expect(listed.bad).toBeNull();
    expect(listed.entries.map((entry) => [entry.name, entry.mode])).toEqual([
      ['whole.txt', 0o100644],
      ['empty/', 0o40755],
      ['link', 0o120777],
      ['streamed.txt', 0o100755],
      ['nämé.txt', 0o100644],
    ]);
  });

  it('writes zip64 end records for more than 65,535 entries, and quickly', async () => {
    const started = performance.now();
    const file = await written((writer) => {
      for (let index = 0; index < 70_000; index++) {
        writer.addWhole(header(`d${index % 100}/f${index}`), {
          method: STORED,
          data: Buffer.alloc(0),
          crc32: 0,
          size: 0,
        });
      }
    });
    const writing = performance.now() - started;
    const archive = await readFile(file);

    // The classic end record marks its counts; the zip64 record and its locator precede it.
    expect(archive.readUInt16LE(archive.length - 22 + 10)).toBe(0xffff);
    expect(archive.readUInt32LE(archive.length - 22 - 20)).toBe(0x07064b50);
    expect(writing).toBeLessThan(5_000);
    expect(python(file, false).entries).toHaveLength(70_000);
    expect(unzipTest(file)).toContain('No errors');
    expect(await verifiedCount(file)).toBe(70_000);
  }, 120_000);

  it('writes zip64 sizes and offsets past 4 GiB (a stored entry of zeros, as a sparse file)', async () => {
    const zeros = Buffer.alloc(64 * 1024 * 1024);
    const big = 4 * 1024 * 1024 * 1024 + 1;
    const file = join(work, 'big.zip');
    const fd = openSync(file, 'w');
    let position = 0;
    const writer = new ZipWriter((chunk) => {
      // The zeros are left as a hole of the file, which reads as zeros.
      if (chunk.buffer !== zeros.buffer) writeSync(fd, chunk, 0, chunk.length, position);
      position += chunk.length;
    });
    let crc = 0;
    writer.begin(header('zeros.bin'), STORED, big);
    for (let left = big; left > 0; left -= zeros.length) {
      const piece = zeros.subarray(0, Math.min(left, zeros.length));
      crc = crc32(piece, crc);
      writer.write(piece);
    }
    writer.end(crc, big);
    const after = Buffer.from('after the 4 GiB entry');
    writer.addWhole(header('after.txt'), {
      method: STORED,
      data: after,
      crc32: crc32(after),
      size: after.length,
    });
    writer.finish();
    closeSync(fd);

    const archive = await ZipArchive.open(file);
    const records = [];
    try {
      for await (const { placement } of archive.records()) records.push(placement);
    } finally {
      await archive.close();
    }
    const entries = python(file, false).entries;

    expect(records.map((record) => [record.uncompressedSize, record.compressedSize])).toEqual([
      [big, big],
      [after.length, after.length],
    ]);
    expect(records[1]?.localOffset).toBeGreaterThan(big);
    expect(entries.map((entry) => [entry.name, entry.size, entry.offset])).toEqual([
      ['zeros.bin', big, 0],
      ['after.txt', after.length, records[1]?.localOffset],
    ]);
    expect(execFileSync('unzip', ['-p', file, 'after.txt']).toString()).toBe(after.toString());
  }, 120_000);

  it('refuses an entry that reaches 4 GiB when it was begun without zip64', () => {
    const writer = new ZipWriter(() => undefined);
    writer.begin(header('grew.bin'), DEFLATED, 10);
    const zeros = Buffer.alloc(256 * 1024 * 1024);
    for (let index = 0; index < 16; index++) writer.write(zeros);

    expect(() => writer.end(0, 16 * zeros.length)).toThrow('beyond the size it was begun with');
  });
});

describe('zipDirectory: every path through the writer', () => {
  let work: string;
  let source: string;
  const random = randomBytes(3 * 1024 * 1024 + 17);
  const text = Buffer.from(
    Array.from({ length: 60_000 }, (_, line) => `line ${line}: const value = ${line * 7};\n`).join(
      '',
    ),
  );
  const FILES: Record<string, Buffer> = {
    'empty.txt': Buffer.alloc(0),
    'tiny.txt': Buffer.from('tiny\n'),
    'src/medium.js': text.subarray(0, 300 * 1024),
    'src/large.js': text,
    'assets/random.bin': random,
    'assets/random-small.bin': random.subarray(0, 200 * 1024),
    'assets/random-tiny.bin': random.subarray(0, 1000),
  };

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'zip-directory-paths-'));
    source = join(work, 'source');
    for (const [name, data] of Object.entries(FILES)) {
      await mkdir(join(source, name, '..'), { recursive: true });
      await writeFile(join(source, name), data);
    }
    await chmod(join(source, 'src/large.js'), 0o755);
    await chmod(join(source, 'tiny.txt'), 0o755);
    await mkdir(join(source, 'empty-directory'));
    await symlink('src/large.js', join(source, 'main.js'));
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function zipped(compress: boolean): Promise<string> {
    const file = join(work, `${compress}.zip`);
    await writeFile(
      file,
      await collect(zipDirectory(source, { compress, label: 'Output', artifactName: 'Output' })),
    );
    return file;
  }

  it.each([true, false])(
    'writes what every reader takes, modes and empty directories kept (compress: %s)',
    async (compress) => {
      const file = await zipped(compress);
      const destination = join(work, 'out');

      await extractZip(file, destination, {
        label: 'Output',
        artifactName: 'Output',
        maxBytes: 64 * 1024 * 1024,
        maxEntries: 100,
      });

      for (const [name, data] of Object.entries(FILES)) {
        // Compared as a whole: a diff of megabytes would take longer than the test.
        const same = (await readFile(join(destination, name))).equals(data);
        expect({ name, same }).toEqual({ name, same: true });
      }
      expect((await stat(join(destination, 'src/large.js'))).mode & 0o111).not.toBe(0);
      expect((await stat(join(destination, 'tiny.txt'))).mode & 0o111).not.toBe(0);
      expect((await stat(join(destination, 'src/medium.js'))).mode & 0o111).toBe(0);
      expect((await stat(join(destination, 'empty-directory'))).isDirectory()).toBe(true);
      expect((await readFile(join(destination, 'main.js'))).equals(text)).toBe(true);
      expect(unzipTest(file)).toContain('No errors');
      const listed = python(file);
      expect(listed.bad).toBeNull();
      const methods = Object.fromEntries(listed.entries.map((entry) => [entry.name, entry.method]));
      expect(methods).toEqual({
        'assets/random-small.bin': STORED,
        'assets/random-tiny.bin': STORED,
        'assets/random.bin': STORED,
        'empty-directory/': STORED,
        'empty.txt': STORED,
        'main.js': STORED,
        'src/large.js': compress ? DEFLATED : STORED,
        'src/medium.js': compress ? DEFLATED : STORED,
        'tiny.txt': STORED,
      });
    },
  );

  it('deflates a large file in blocks to about what zlib makes of it whole', async () => {
    const file = await zipped(true);

    const large = python(file, false).entries.find((entry) => entry.name === 'src/large.js');

    // Each block is primed with the 32 KiB before it: only its flush marker costs more.
    const whole = deflateRawSync(text, { level: 6 }).length;
    expect(large?.compressed).toBeGreaterThan(whole * 0.99);
    expect(large?.compressed).toBeLessThan(whole * 1.01);
  });

  it('zips more than 65,535 empty files (zip64 by entry count), and quickly', async () => {
    execFileSync('python3', [
      '-c',
      'import os,sys\nfor d in range(64):\n  os.makedirs(f"{sys.argv[1]}/many/d{d}")\n  [open(f"{sys.argv[1]}/many/d{d}/f{i}", "w").close() for i in range(1025)]',
      source,
    ]);
    const started = performance.now();
    const file = await zipped(true);
    const zipping = performance.now() - started;

    expect(zipping).toBeLessThan(30_000);
    const entries = python(file, false).entries.length;
    expect(entries).toBeGreaterThan(65_535);
    expect(unzipTest(file)).toContain('No errors');
    expect(await verifiedCount(file)).toBe(entries);
  }, 180_000);
});
