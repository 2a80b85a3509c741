/**
 * Hostile inputs against the fast zip extraction (small files whole, several in flight) and
 * the zip writer of zipDirectory: each test is an attack and asserts the safe behaviour, so it
 * fails if the attack gets through.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import {
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { buffer as collect } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32, deflateRawSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ArtifactFormatError,
  ArtifactLimitError,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import { ENTRY_DISK_BYTES } from '../../lambda/artifacts/settings.js';
import { ZipArchive } from '../../lambda/artifacts/zip-central-directory.js';
import { zipDirectory } from '../../lambda/artifacts/zip-directory.js';
import { type ExtractOptions, extractZip } from '../../lambda/artifacts/zip-extract.js';
import { ArchiveOutput } from '../../lambda/artifacts/zip-output.js';
import { ZipWriter } from '../../lambda/artifacts/zip-writer.js';
import { type ZipEntrySpec, zipBytes } from '../helpers/zip-bytes.js';
import { type RawEntry, rawZip, UNIX_DIRECTORY, UNIX_LINK } from '../helpers/zip-raw.js';

const MIB = 1024 * 1024;
const LABEL = 'Input artifact "SourceOutput" (s3://bucket/key)';
/** The bytes the files in flight may hold at once (zip-extract.ts's BYTES_IN_FLIGHT). */
const BYTES_IN_FLIGHT = 16 * MIB;

/** A deflated entry whose bytes are given as written, with the CRC-32 and size of `data`. */
function deflatedEntry(name: string, bytes: Buffer, data: Buffer): RawEntry {
  return { name, deflated: { bytes, crc: crc32(data), usize: data.length } };
}

/** A non-final stored deflate block holding `data` (at most 65,535 bytes), no final block. */
function storedBlock(data: Buffer): Buffer {
  const head = Buffer.from([0x00, 0, 0, 0, 0]);
  head.writeUInt16LE(data.length, 1);
  head.writeUInt16LE(~data.length & 0xffff, 3);
  return Buffer.concat([head, data]);
}

/** A deflate stream of `data` that never ends: its blocks, none of them final. */
function unendedDeflate(data: Buffer): Buffer {
  const blocks: Buffer[] = [];
  for (let at = 0; at < data.length; at += 0xffff) {
    blocks.push(storedBlock(data.subarray(at, at + 0xffff)));
  }
  return Buffer.concat(blocks);
}

/** Sets entry `name`'s CRC-32 to `crc` in its central record and local header alike. */
function withCrc(archive: Buffer, name: string, crc: number): Buffer {
  const copy = Buffer.from(archive);
  const end = copy.length - 22;
  let at = copy.readUInt32LE(end + 16);
  while (at < end) {
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

/** Files written through writables that count, and say whether any is still open. */
function watchedFiles(delayMs = 0, failing?: string) {
  const seen = { open: 0, writesAfter: 0, done: false, paths: [] as string[] };
  const createFile = (path: string, mode: number) => {
    seen.open++;
    seen.paths.push(path);
    const file = createWriteStream(path, { flags: 'wx', mode });
    let closed = false;
    const close = () => {
      if (!closed) seen.open--;
      closed = true;
    };
    file.on('close', close);
    const slow = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (seen.done) seen.writesAfter++;
        sleep(delayMs).then(() => {
          if (failing && path.endsWith(failing)) {
            callback(new Error(`disk error writing ${failing}`));
            return;
          }
          file.write(chunk, (error) => callback(error ?? undefined));
        });
      },
      final(callback) {
        file.end(() => callback());
      },
      destroy(error, callback) {
        if (file.closed) callback(error);
        else file.destroy(undefined).once('close', () => callback(error));
      },
    });
    file.on('error', (error) => slow.destroy(error));
    return slow;
  };
  return { seen, createFile };
}

describe('attacks on the fast extraction', () => {
  let work: string;
  let destination: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'attack-fast-'));
    destination = join(work, 'job', 'inputs', 'SourceOutput');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await rm(work, { recursive: true, force: true });
  });

  async function extract(archive: Buffer, options: Partial<ExtractOptions> = {}) {
    const file = join(work, 'artifact.zip');
    await writeFile(file, archive);
    return extractZip(file, destination, {
      label: LABEL,
      artifactName: 'SourceOutput',
      maxBytes: 256 * MIB,
      maxEntries: 10_000,
      ...options,
    });
  }

  async function refusal(archive: Buffer, options: Partial<ExtractOptions> = {}) {
    const error = await extract(archive, options).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(Error);
    expect(existsSync(destination)).toBe(false);
    return error as Error;
  }

  describe('zip bombs on the whole-file path', () => {
    it('refuses an entry declared 100 bytes that inflates to 64 MiB, holding no more than its size', async () => {
      const bomb = Buffer.alloc(64 * MIB);
      const sizes: number[] = [];
      const archive = rawZip([
        {
          name: 'bomb.txt',
          deflated: { bytes: deflateRawSync(bomb), crc: crc32(bomb), usize: 100 },
        },
      ]);
      const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
      vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((size: number) => {
        sizes.push(size);
        return allocUnsafe(size);
      });

      const error = await refusal(archive);

      expect(error).toBeInstanceOf(ArtifactFormatError);
      expect(error.message).toContain('holds more than the 100 bytes the central directory gives');
      expect(Math.max(0, ...sizes)).toBeLessThan(MIB);
    });

    it.each([
      ['inflated in line (under 8 KiB deflated)', 4 * 1024],
      ['inflated on the thread pool', 600 * 1024],
      ['streamed (over 1 MiB)', 3 * MIB],
    ])(
      'refuses a deflate stream with no final block, its bytes and CRC-32 right: %s',
      async (_, size) => {
        const data = Buffer.alloc(size, 'data ');
        const error = await refusal(rawZip([deflatedEntry('cut.txt', unendedDeflate(data), data)]));

        expect(error).toBeInstanceOf(ArtifactFormatError);
      },
    );

    it.each([
      ['inflated in line', 100],
      ['inflated on the thread pool', 200 * 1024],
    ])('refuses bytes hidden after the end of a deflate stream: %s', async (_, size) => {
      const data = Buffer.alloc(size, 'z');
      const bytes = Buffer.concat([deflateRawSync(data), Buffer.from('PK\x03\x04 hidden entry')]);
      const error = await refusal(rawZip([deflatedEntry('tail.txt', bytes, data)]));

      expect(error.message).toContain('its deflated data ends before its compressed size');
    });

    it.each([
      ['a tiny file', 10, true],
      ['a file inflated on the thread pool', 300 * 1024, true],
      ['a stored small file', 300 * 1024, false],
      ['a streamed file', 3 * MIB, true],
    ])('refuses %s whose CRC-32 does not match, leaving nothing', async (_, size, compress) => {
      const entries: ZipEntrySpec[] = [
        { name: 'before.txt', data: 'fine' },
        { name: 'bad.bin', data: Buffer.alloc(size, 'q'), compress },
        { name: 'after.txt', data: 'fine too' },
      ];
      const archive = withCrc(zipBytes(entries), 'bad.bin', 0x12345678);

      const error = await refusal(archive);

      expect(error.message).toContain('"bad.bin" does not match its CRC-32');
    });

    it('holds no more than the bytes in flight for a small entry with a huge deflate stream', async () => {
      // A valid deflate stream of one byte, behind 40 MiB of empty stored blocks: declared
      // size 1 puts it on the whole-file path, and its compressed bytes are then read whole.
      const padding = Buffer.alloc(40 * MIB, Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
      const bytes = Buffer.concat([padding, deflateRawSync(Buffer.from('x'))]);
      const archive = rawZip([deflatedEntry('tiny.txt', bytes, Buffer.from('x'))]);
      const file = join(work, 'artifact.zip');
      await writeFile(file, archive);
      const sizes: number[] = [];
      const allocUnsafe = Buffer.allocUnsafe.bind(Buffer);
      vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((size: number) => {
        sizes.push(size);
        return allocUnsafe(size);
      });

      await extractZip(file, destination, {
        label: LABEL,
        artifactName: 'SourceOutput',
        maxBytes: 256 * MIB,
        maxEntries: 10,
      });

      expect(await readFile(join(destination, 'tiny.txt'), 'utf8')).toBe('x');
      expect(Math.max(0, ...sizes)).toBeLessThanOrEqual(BYTES_IN_FLIGHT);
    });
  });

  describe('the byte limit with files in flight', () => {
    const files = Array.from({ length: 40 }, (_, i) => ({
      name: `d/${String(i).padStart(2, '0')}.bin`,
      data: Buffer.alloc(100_000 + i, i),
    }));
    const exact = files.reduce((sum, each) => sum + each.data.length, 0) + 41 * ENTRY_DISK_BYTES;

    it('extracts an archive that needs exactly the bytes left, counting them exactly', async () => {
      const result = await extract(zipBytes(files), { maxBytes: exact });

      expect(result.bytes).toBe(exact);
      expect(result.entries).toBe(41);
    });

    it('refuses one byte less, with no byte written past the limit', async () => {
      const { seen, createFile } = watchedFiles(2);
      let written = 0;
      const counting = (path: string, mode: number) => {
        const file = createFile(path, mode);
        const write = file._write.bind(file);
        file._write = (chunk: Buffer, encoding, callback) => {
          written += chunk.length;
          write(chunk, encoding, callback);
        };
        return file;
      };

      const error = await refusal(zipBytes(files), { maxBytes: exact - 1, createFile: counting });

      expect(error).toBeInstanceOf(ArtifactLimitError);
      expect(written + 41 * ENTRY_DISK_BYTES).toBeLessThanOrEqual(exact - 1);
      expect(seen.open).toBe(0);
    });

    it('writes no more than its declared size of a streamed entry whose data is larger', async () => {
      const big = Buffer.alloc(5 * MIB, 'b');
      const archive = rawZip([
        {
          name: 'liar.bin',
          deflated: { bytes: deflateRawSync(big), crc: crc32(big), usize: 2 * MIB },
        },
      ]);
      let written = 0;
      const { createFile } = watchedFiles();
      const counting = (path: string, mode: number) => {
        const file = createFile(path, mode);
        const write = file._write.bind(file);
        file._write = (chunk: Buffer, encoding, callback) => {
          written += chunk.length;
          write(chunk, encoding, callback);
        };
        return file;
      };

      const error = await refusal(archive, { createFile: counting });

      expect(error).toBeInstanceOf(ArtifactFormatError);
      expect(written).toBeLessThanOrEqual(2 * MIB);
    });

    it('refuses an entry declared under the whole-file size whose data is larger, past the limit', async () => {
      const big = Buffer.alloc(5 * MIB, 'b');
      const archive = rawZip([
        {
          name: 'liar.bin',
          deflated: { bytes: deflateRawSync(big), crc: crc32(big), usize: 1000 },
        },
      ]);

      const error = await refusal(archive, { maxBytes: 2 * MIB });

      expect(error).toBeInstanceOf(ArtifactFormatError);
    });
  });

  describe('the same path twice, with entries in flight', () => {
    // The first entry is inflated on the thread pool, the second in line: the second would
    // be written first if order were not kept.
    const slow = (name: string) => ({ name, data: Buffer.alloc(400 * 1024, 'slow ') });
    const fast = (name: string) => ({ name, data: 'fast' });

    it.each<[string, ZipEntrySpec[]]>([
      ['a file, then a file', [slow('a.txt'), fast('a.txt')]],
      ['a file, then the same file spelt with "./"', [slow('d/a.txt'), fast('d/./a.txt')]],
      ['a file, then a directory', [slow('a'), { name: 'a/' }]],
      ['a file, then a file under it', [slow('a'), fast('a/b.txt')]],
      ['a directory, then a file', [{ name: 'a/' }, fast('a')]],
      ['a file under a path, then the path as a file', [slow('a/b.txt'), fast('a')]],
      [
        'a link, then a file through it',
        [{ name: 'l', kind: 'symlink', data: 'd' }, { name: 'd/' }, fast('l/x')],
      ],
      [
        'a file under a path where a link is created',
        [fast('l/x'), { name: 'l', kind: 'symlink', data: '.' }],
      ],
      [
        'a link, then a file at its path',
        [{ name: 'l', kind: 'symlink', data: 'a.txt' }, slow('a.txt'), fast('l')],
      ],
    ])('refuses %s, leaving nothing', async (_, entries) => {
      await refusal(zipBytes(entries));
    });
  });

  describe('entry names', () => {
    it.each([
      ['a climb', '../escape.txt'],
      ['a climb deep inside', 'a/b/../../../escape.txt'],
      ['an absolute path', '/tmp/escape.txt'],
      ['a drive letter', 'C:escape.txt'],
      ['a climb with backslashes', '..\\escape.txt'],
      ['a climb with backslashes in a non-ASCII name', 'é\\..\\..\\escape.txt'],
      ['a NUL', 'a\0b.txt'],
      ['a component of 256 bytes', `d/${'n'.repeat(256)}`],
    ])('refuses %s, whatever the file beside it', async (_, name) => {
      const error = await refusal(
        zipBytes([
          { name: 'first.bin', data: Buffer.alloc(300 * 1024, 'f') },
          { name, data: 'x' },
        ]),
      );

      expect(error).toBeInstanceOf(UnsafeArchiveError);
    });

    it.each<[string, RawEntry]>([
      ['stored data', { name: 'dir/', data: 'hidden', mode: UNIX_DIRECTORY }],
      ['deflated data', { name: 'dir/', data: 'hidden', compress: true, mode: UNIX_DIRECTORY }],
      [
        'data, named as a file but of directory mode',
        { name: 'dir', data: 'x', mode: UNIX_DIRECTORY },
      ],
    ])('refuses a directory entry with %s', async (_, entry) => {
      const error = await refusal(rawZip([{ name: 'a.txt', data: 'a' }, entry]));

      expect(error).toBeInstanceOf(ArtifactFormatError);
    });

    it('refuses a link whose entry is on the whole-file path but whose target is too long', async () => {
      const error = await refusal(
        rawZip([{ name: 'l', data: 'a/'.repeat(3000), mode: UNIX_LINK, compress: true }]),
      );

      expect(error.message).toContain('its link target is too long');
    });
  });

  describe('failures and cancellation with entries in flight', () => {
    const many = Array.from({ length: 24 }, (_, i) => ({
      name: `f/${String(i).padStart(2, '0')}.bin`,
      data: Buffer.alloc(50_000, i),
    }));

    it('leaves no write running nor any file after it returns, when the job is cancelled', async () => {
      const { seen, createFile } = watchedFiles(20);
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('cancelled')), 30);

      const error = await refusal(zipBytes(many), { createFile, signal: controller.signal });
      seen.done = true;
      const openAtReturn = seen.open;
      await sleep(300);

      expect(error.message).toContain('cancelled');
      expect(openAtReturn).toBe(0);
      expect(seen.writesAfter).toBe(0);
      expect(existsSync(destination)).toBe(false);
    });

    it('waits for every file in flight when one of them fails, then removes everything', async () => {
      const { seen, createFile } = watchedFiles(15, '05.bin');

      const error = await refusal(zipBytes(many), { createFile });
      seen.done = true;
      const openAtReturn = seen.open;
      await sleep(200);

      expect(error.message).toContain('disk error writing 05.bin');
      expect(openAtReturn).toBe(0);
      expect(seen.writesAfter).toBe(0);
      expect(existsSync(destination)).toBe(false);
    });

    it('reports the archive error of an earlier entry, not a later one still in flight', async () => {
      const entries: ZipEntrySpec[] = [
        { name: 'big.bin', data: Buffer.alloc(600 * 1024, 'b') },
        { name: 'bad.txt', data: 'bad' },
        ...many,
      ];
      const archive = withCrc(withCrc(zipBytes(entries), 'big.bin', 1), 'bad.txt', 2);

      const error = await refusal(archive);

      expect(error.message).toContain('"big.bin" does not match its CRC-32');
    });
  });
});

describe('attacks on zipDirectory and its writer', () => {
  let work: string;
  let directory: string;
  const children: ChildProcess[] = [];

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'attack-writer-'));
    directory = join(work, 'report');
    await mkdir(directory);
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill();
    await rm(work, { recursive: true, force: true });
  });

  function zipped(afterListing?: () => Promise<void>): Promise<Buffer> {
    return collect(
      zipDirectory(directory, {
        compress: true,
        label: LABEL,
        artifactName: 'Report',
        afterListing,
      }),
    );
  }

  async function zippedFile(): Promise<string> {
    const file = join(work, 'out.zip');
    await writeFile(file, await zipped());
    return file;
  }

  async function extractedTree(file: string): Promise<Record<string, string>> {
    const out = join(work, 'extracted');
    await extractZip(file, out, {
      label: 'Output',
      artifactName: 'Report',
      maxBytes: 1024 * MIB,
      maxEntries: 200_000,
    });
    const tree: Record<string, string> = {};
    const walk = async (relative: string): Promise<void> => {
      for (const each of await readdir(join(out, relative), { withFileTypes: true })) {
        const name = relative === '' ? each.name : `${relative}/${each.name}`;
        if (each.isDirectory()) await walk(name);
        else tree[name] = crc32(await readFile(join(out, name))).toString(16);
      }
    };
    await walk('');
    return tree;
  }

  /** Python's names and Info-ZIP's test of the archive. */
  function otherReaders(file: string): string[] {
    execFileSync('unzip', ['-tq', file]);
    const names = execFileSync('python3', [
      '-c',
      'import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps(z.namelist()))',
      file,
    ]);
    return JSON.parse(names.toString('utf8'));
  }

  /** Replaces `path` by a FIFO, and opens it for writing after `ms` in another process. */
  async function fifoInstead(path: string, ms: number): Promise<void> {
    await unlink(path);
    execFileSync('mkfifo', [path]);
    const child = spawn('sh', ['-c', `sleep ${ms / 1000}; exec 3>"$0"`, path], {
      stdio: 'ignore',
    });
    children.push(child);
  }

  describe('a file swapped for a FIFO after the listing', () => {
    it.each([
      ['a tiny file', 10],
      ['a small file', 200 * 1024],
      ['a large file', 3 * MIB],
    ])(
      'refuses %s without waiting for a writer to open the FIFO',
      async (_, size) => {
        await writeFile(join(directory, 'data.bin'), Buffer.alloc(size, 'x'));
        let longestGap = 0;
        let last = performance.now();
        const beat = setInterval(() => {
          const now = performance.now();
          longestGap = Math.max(longestGap, now - last);
          last = now;
        }, 10);
        let swappedAt = 0;

        const error = await zipped(async () => {
          await fifoInstead(join(directory, 'data.bin'), 3000);
          swappedAt = performance.now();
        }).then(
          () => undefined,
          (thrown: unknown) => thrown as Error,
        );
        const took = performance.now() - swappedAt;
        clearInterval(beat);
        // The main thread may have been held up to this very turn: that gap counts too.
        longestGap = Math.max(longestGap, performance.now() - last);

        expect(error).toBeInstanceOf(UnsafeArchiveError);
        expect(error?.message).toBe(
          `${LABEL}: "data.bin" in the directory to upload changed while it was being read`,
        );
        expect(longestGap).toBeLessThan(1000);
        expect(took).toBeLessThan(2000);
      },
      15_000,
    );
  });

  it('stops reading a large file once the reader of the archive went away', async () => {
    // Incompressible: each block is a chunk of the output, which the reader must pull.
    await writeFile(join(directory, 'large.bin'), randomBytes(64 * MIB));
    const emit = vi.spyOn(ArchiveOutput.prototype, 'emit');
    const stream = zipDirectory(directory, {
      compress: true,
      label: LABEL,
      artifactName: 'Report',
    });
    await new Promise<void>((resolve) => stream.once('data', () => resolve()));

    stream.destroy();
    const atDestroy = emit.mock.calls.length;
    // Until nothing more is emitted for half a second.
    for (let last = -1; last !== emit.mock.calls.length; ) {
      last = emit.mock.calls.length;
      await sleep(500);
    }
    const afterDestroy = emit.mock.calls.length - atDestroy;
    emit.mockRestore();

    // Blocks read ahead (4 of 1 MiB) may still land; the other 60 must not be read.
    expect(atDestroy).toBeGreaterThan(0);
    expect(afterDestroy).toBeLessThanOrEqual(8);
  }, 60_000);

  it('refuses a file whose directory was swapped for a link to another copy of it', async () => {
    await mkdir(join(directory, 'd'));
    await writeFile(join(directory, 'd', 'f.txt'), 'real');
    const elsewhere = join(work, 'elsewhere');
    await mkdir(elsewhere);
    await writeFile(join(elsewhere, 'f.txt'), 'real');

    const error = await zipped(async () => {
      await rename(join(directory, 'd'), join(work, 'moved'));
      execFileSync('ln', ['-s', elsewhere, join(directory, 'd')]);
    }).then(
      () => undefined,
      (thrown: unknown) => thrown as Error,
    );

    expect(error).toBeInstanceOf(UnsafeArchiveError);
  });

  describe('names our own reader would refuse or read otherwise', () => {
    it.each([
      ['a climb spelt with backslashes', '..\\escape.txt'],
      ['a drive letter', 'C:escape.txt'],
      ['a deep climb spelt with backslashes', 'a\\..\\..\\escape.txt'],
    ])('refuses %s rather than write an archive extraction refuses', async (_, name) => {
      await writeFile(join(directory, 'fine.txt'), 'fine');
      await writeFile(join(directory, name), 'x');

      const error = await zipped().then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );

      expect(error).toBeInstanceOf(UnsafeArchiveError);
      expect(error?.message).toContain(JSON.stringify(name));
    });

    it('refuses a name that is not UTF-8 rather than archive another file under it', async () => {
      const raw = Buffer.from('a\xff.txt', 'latin1');
      execFileSync('python3', [
        '-c',
        'import sys\nopen(sys.argv[1].encode() + b"/a\\xff.txt", "wb").write(b"raw")\nopen(sys.argv[1] + "/a\\ufffd.txt", "w").write("unicode")',
        directory,
      ]);
      expect((await readdir(directory, { encoding: 'buffer' })).some((n) => n.equals(raw))).toBe(
        true,
      );

      const error = await zipped().then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );

      expect(error).toBeInstanceOf(UnsafeArchiveError);
    });

    it('refuses a lone name that is not UTF-8 with a message that names it', async () => {
      execFileSync('python3', [
        '-c',
        'import sys\nopen(sys.argv[1].encode() + b"/b\\xfe.txt", "wb").write(b"raw")',
        directory,
      ]);

      const error = await zipped().then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );

      expect(error).toBeInstanceOf(UnsafeArchiveError);
      expect(error?.message).toContain('in the directory to upload');
    });

    it('writes names with newlines, tabs and quotes that every reader reads back', async () => {
      const names = ['line\nbreak.txt', 'tab\there.txt', 'quote".txt', 'sp ace/é.txt'];
      await mkdir(join(directory, 'sp ace'));
      for (const name of names) await writeFile(join(directory, name), name);

      const file = await zippedFile();

      expect(otherReaders(file).sort()).toEqual([...names].sort());
      expect(Object.keys(await extractedTree(file)).sort()).toEqual([...names].sort());
    });
  });

  describe('sizes at every threshold', () => {
    const sizes = [0, 1, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, MIB - 1, MIB, MIB + 1, 2 * MIB];

    it.each([true, false])(
      'writes files at each threshold that every reader takes (random: %s)',
      async (random) => {
        const expected: Record<string, string> = {};
        for (const size of sizes) {
          const data = random
            ? Buffer.from(Array.from({ length: size }, (_, i) => (i * 2654435761) >>> 24))
            : Buffer.alloc(size, 'y');
          await writeFile(join(directory, `s${size}.bin`), data);
          expected[`s${size}.bin`] = crc32(data).toString(16);
        }

        const file = await zippedFile();

        expect(otherReaders(file).sort()).toEqual(Object.keys(expected).sort());
        expect(await extractedTree(file)).toEqual(expected);
      },
      30_000,
    );

    it('zips 5,000 empty files quickly, each one an entry every reader takes', async () => {
      await mkdir(join(directory, 'e'));
      for (let i = 0; i < 5_000; i++) await writeFile(join(directory, 'e', `${i}`), '');
      const started = performance.now();

      const file = await zippedFile();
      const took = performance.now() - started;

      expect(otherReaders(file)).toHaveLength(5_000);
      expect(Object.keys(await extractedTree(file))).toHaveLength(5_000);
      expect((await stat(file)).size).toBeLessThan(5_000 * 120);
      expect(took).toBeLessThan(5_000);
    }, 60_000);
  });

  it('writes a streamed entry begun with zip64 sizes that ends small so that every reader takes it', async () => {
    const data = Buffer.from('begun for 4 GiB, ended at a few bytes\n'.repeat(50));
    const deflated = deflateRawSync(data);
    const chunks: Buffer[] = [];
    const writer = new ZipWriter((chunk) => chunks.push(chunk));
    writer.begin({ name: 'big-then-small.txt', mode: 0o100644, mtimeMs: 0 }, 8, 2 ** 32);
    writer.write(deflated);
    writer.end(crc32(data), data.length);
    writer.addWhole(
      { name: 'after.txt', mode: 0o100644, mtimeMs: 0 },
      { method: 0, data: Buffer.from('after'), crc32: crc32(Buffer.from('after')), size: 5 },
    );
    writer.finish();
    const file = join(work, 'zip64-streamed.zip');
    await writeFile(file, Buffer.concat(chunks));

    expect(otherReaders(file)).toEqual(['big-then-small.txt', 'after.txt']);
    expect(await extractedTree(file)).toEqual({
      'big-then-small.txt': crc32(data).toString(16),
      'after.txt': crc32(Buffer.from('after')).toString(16),
    });
  });

  describe('zip64 by entry count at its boundary', () => {
    it.each([65_534, 65_535, 65_536])(
      'writes %i entries that every reader counts alike',
      async (count) => {
        const chunks: Buffer[] = [];
        const writer = new ZipWriter((chunk) => chunks.push(chunk));
        const empty = { method: 0 as const, data: Buffer.alloc(0), crc32: 0, size: 0 };
        for (let i = 0; i < count; i++) {
          writer.addWhole({ name: `${i}`, mode: 0o100644, mtimeMs: 0 }, empty);
        }
        writer.finish();
        const file = join(work, `n${count}.zip`);
        await writeFile(file, Buffer.concat(chunks));
        const archive = await ZipArchive.open(file);
        try {
          await archive.verify();
          expect(archive.entryCount).toBe(count);
        } finally {
          await archive.close();
        }

        expect(otherReaders(file)).toHaveLength(count);
      },
      60_000,
    );
  });
});
