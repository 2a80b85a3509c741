/**
 * One reading of an archive: every way the end records, the central directory, the local
 * headers, the data descriptors and the data can disagree is refused with ArtifactFormatError,
 * and archives written by Info-ZIP zip, Python's zipfile, yazl and the package's own zip writer
 * (the uploadDirectory path) still extract.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer as collect } from 'node:stream/consumers';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { ArtifactFormatError } from '../../lambda/artifacts/index.js';
import { ZipArchive, ZipFormatError } from '../../lambda/artifacts/zip-central-directory.js';
import { zipDirectory } from '../../lambda/artifacts/zip-directory.js';
import { type ExtractOptions, extractZip } from '../../lambda/artifacts/zip-extract.js';
import { artifactPolicy } from '../../samples/processors/artifact-policy.js';
import {
  type ArtifactStoreFixture,
  artifactStore,
  BUCKET,
  INPUT_KEY,
} from '../helpers/artifact-store.js';
import { parsedJob } from '../helpers/jobs.js';
import {
  copyOfEndRecord,
  type ForgedArchive,
  type ForgedEntry,
  forgeZip,
  localRecord,
} from '../helpers/zip-forge.js';

const LABEL = 'Input artifact "SourceOutput" (s3://bucket/key)';

/** Seven entries, the last two of which a policy check must see. */
const SEVEN: readonly ForgedEntry[] = [
  { name: 'README.md', data: '# app\n' },
  { name: 'src/main.js', data: 'run();\n'.repeat(20) },
  { name: 'src/util.js', data: 'export {};\n' },
  { name: 'package.json', data: '{"name":"app"}\n' },
  { name: 'LICENSE', data: 'MIT\n' },
  { name: '.env', data: 'DB_PASSWORD=hunter2\n' },
  {
    name: 'id_rsa',
    data: '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7example\n-----END RSA PRIVATE KEY-----\n',
  },
];
const TWO: readonly ForgedEntry[] = [
  { name: 'a.txt', data: 'the first file, deflated '.repeat(10) },
  { name: 'b.txt', data: 'the second file', compress: false },
];

describe('extractZip: one reading of an archive', () => {
  let work: string;
  let destination: string;

  beforeEach(async () => {
    work = await mkdtemp(join(tmpdir(), 'zip-format-'));
    destination = join(work, 'job', 'inputs', 'SourceOutput');
  });
  afterEach(async () => {
    await rm(work, { recursive: true, force: true });
  });

  async function extract(archive: Buffer, options: Partial<ExtractOptions> = {}) {
    const file = join(work, 'artifact.zip');
    await writeFile(file, archive);
    return extractZip(file, destination, {
      label: LABEL,
      artifactName: 'SourceOutput',
      maxBytes: 64 * 1024 * 1024,
      maxEntries: 100_000,
      ...options,
    });
  }

  async function refusal(archive: Buffer) {
    const error = await extract(archive).then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ArtifactFormatError);
    const refused = error as ArtifactFormatError;
    expect(refused.failureType).toBe('JobFailed');
    expect(refused.artifactName).toBe('SourceOutput');
    expect(refused.message).toMatch(/^Input artifact "SourceOutput" .*: not a valid zip archive/);
    expect(refused.message).not.toContain(work);
    expect(existsSync(destination)).toBe(false);
    return refused.message;
  }

  /** Every file under the destination, relative path to contents. */
  async function tree(root = destination): Promise<Record<string, string>> {
    const files: Record<string, string> = {};
    for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      files[path.slice(root.length + 1)] = await readFile(path, 'utf8');
    }
    return files;
  }

  it('extracts the honest forms the refusals below are made from', async () => {
    for (const spec of [
      { entries: SEVEN },
      { entries: TWO },
      { entries: TWO.map((entry) => ({ ...entry, descriptor: true })) },
      { entries: TWO.map((entry) => ({ ...entry, zip64: true })), zip64End: true },
      {
        entries: TWO.map((entry) => ({ ...entry, zip64: true, descriptor: true })),
        zip64End: true,
      },
      { entries: TWO, comment: Buffer.from('a comment') },
    ] satisfies ForgedArchive[]) {
      await rm(destination, { recursive: true, force: true });
      await extract(forgeZip(spec));
      expect(Object.keys(await tree()).sort()).toEqual(
        spec.entries.map((entry) => entry.name).sort(),
      );
    }
  });

  describe('the end records and the central directory', () => {
    it('refuses an end record that counts fewer entries than the central directory holds', async () => {
      const message = await refusal(forgeZip({ entries: SEVEN, end: { count: 5 } }));

      expect(message).toContain('counts 5 entries, the central directory holds 7');
    });

    it('refuses an end record that counts more entries than its central directory holds, the rest hidden after it', async () => {
      // The central directory's size covers five records; two more follow before the end record.
      const five = forgeZip({ entries: SEVEN.slice(0, 5) });
      const sizeOfFive = five.readUInt32LE(five.length - 10);

      const message = await refusal(forgeZip({ entries: SEVEN, end: { size: sizeOfFive } }));

      expect(message).toContain('places the central directory at');
    });

    it('refuses an end record that counts more entries than the central directory holds', async () => {
      const message = await refusal(forgeZip({ entries: TWO, end: { count: 3 } }));

      expect(message).toMatch(/counts 3 entries/);
    });

    it('refuses a central directory size that leaves bytes between it and the end record', async () => {
      const message = await refusal(
        forgeZip({ entries: TWO, afterCentral: Buffer.alloc(10, 0x20) }),
      );

      expect(message).toContain('places the central directory at');
    });

    it('refuses bytes left over inside the central directory after its last record', async () => {
      const message = await refusal(
        forgeZip({ entries: TWO, afterCentral: Buffer.alloc(10, 0x20), afterCentralCounted: true }),
      );

      expect(message).toContain('10 bytes left over after its last entry');
    });

    it('refuses a central directory offset that skips its first record', async () => {
      const honest = forgeZip({ entries: SEVEN });
      const offset = honest.readUInt32LE(honest.length - 6);
      const firstRecord = 46 + Buffer.byteLength(SEVEN[0]?.name ?? '');
      const size = honest.readUInt32LE(honest.length - 10);

      const message = await refusal(
        forgeZip({
          entries: SEVEN,
          end: { count: 6, offset: offset + firstRecord, size: size - firstRecord },
        }),
      );

      expect(message).toContain('belong to no entry');
    });

    it('refuses a second end record inside the comment of the first', async () => {
      const honest = forgeZip({ entries: SEVEN });

      const message = await refusal(forgeZip({ entries: SEVEN, comment: copyOfEndRecord(honest) }));

      expect(message).toContain('two end-of-central-directory records');
    });

    it('refuses an end record signature inside the comment', async () => {
      const comment = Buffer.concat([Buffer.from('note: '), Buffer.from([0x50, 0x4b, 0x05, 0x06])]);

      const message = await refusal(
        forgeZip({ entries: TWO, comment: Buffer.concat([comment, Buffer.alloc(30)]) }),
      );

      expect(message).toContain('signature inside its comment');
    });

    it('refuses data before the first entry (offsets shifted to match)', async () => {
      const hidden = localRecord({ name: '.env', data: 'SECRET=1\n' });

      const message = await refusal(forgeZip({ entries: TWO, prefix: hidden }));

      expect(message).toContain(`${hidden.length} bytes before the first entry belong to no entry`);
    });

    it('refuses an entry hidden between two entries, which a streaming reader would see', async () => {
      const hidden = localRecord({ name: '.env', data: 'SECRET=1\n' });

      const message = await refusal(
        forgeZip({ entries: TWO, between: { after: 0, bytes: hidden } }),
      );

      expect(message).toContain(`${hidden.length} bytes before entry "b.txt" belong to no entry`);
    });
  });

  describe('local headers', () => {
    it.each([
      ['name', { local: { name: 'other.txt' } }, 'its local header names it "other.txt"'],
      ['compression method', { local: { method: 0 } }, 'compression method (0)'],
      ['flags', { local: { flags: 0x0800 | 0x0002 } }, "local header's flags"],
      ['compressed size', { local: { csize: 3 } }, 'CRC-32 or sizes'],
      ['uncompressed size', { local: { usize: 3 } }, 'CRC-32 or sizes'],
      ['CRC-32', { local: { crc: 1234 } }, 'CRC-32 or sizes'],
    ] as const)(
      'refuses a local header whose %s is not the central directory’s',
      async (_, change, expected) => {
        const [first, second] = TWO;
        const message = await refusal(
          forgeZip({ entries: [{ ...first, ...change } as ForgedEntry, second as ForgedEntry] }),
        );

        expect(message).toContain('entry "a.txt"');
        expect(message).toContain(expected);
      },
    );

    it('refuses a central record that points to no local header', async () => {
      const message = await refusal(
        forgeZip({
          entries: [
            ...TWO,
            { name: 'c.txt', data: 'c', centralOnly: true, central: { offset: 5 } },
          ],
        }),
      );

      expect(message).toContain('no local header where the central directory says it starts');
    });

    it('refuses a data descriptor that is not the central directory’s CRC-32 and sizes', async () => {
      const [first, second] = TWO;

      const message = await refusal(
        forgeZip({
          entries: [{ ...first, descriptor: { usize: 7 } } as ForgedEntry, second as ForgedEntry],
        }),
      );

      expect(message).toContain('data descriptor');
    });
  });

  describe('overlapping entries', () => {
    it('refuses an entry whose data is inside another entry’s data', async () => {
      // a.txt's stored data is b.txt's whole local record: each header is consistent alone.
      const inner = { name: 'b.txt', data: 'inner', compress: false };
      const outer = { name: 'a.txt', data: localRecord(inner), compress: false };

      const message = await refusal(
        forgeZip({
          entries: [outer, { ...inner, centralOnly: true, central: { offset: 30 + 5 } }],
        }),
      );

      expect(message).toContain('entries "a.txt" and "b.txt" overlap');
    });

    it('refuses two central records that share one local header', async () => {
      const shared = { name: 'a.txt', data: 'x'.repeat(1000) };

      const message = await refusal(
        forgeZip({
          entries: [
            shared,
            { ...shared, centralOnly: true, central: { offset: 0 } },
            { name: 'b.txt', data: 'b' },
          ],
        }),
      );

      expect(message).toContain('overlap');
    });
  });

  describe('entry data', () => {
    it('refuses a directory entry that holds data', async () => {
      const message = await refusal(
        forgeZip({ entries: [{ name: 'config/', data: 'DB_PASSWORD=hunter2\n' }] }),
      );

      expect(message).toContain('entry "config/" is a directory that holds data');
    });

    it.each([
      ['stored', false],
      ['deflated', true],
    ])('refuses a %s entry whose bytes do not match its CRC-32', async (_, compress) => {
      const wrong = crc32('not the data');
      const entry = { name: 'a.txt', data: 'the data', compress };

      const message = await refusal(
        forgeZip({ entries: [{ ...entry, central: { crc: wrong }, local: { crc: wrong } }] }),
      );

      expect(message).toContain('entry "a.txt" does not match its CRC-32');
    });

    it('refuses a stored entry whose compressed size is short (its CRC-32 that of the short part)', async () => {
      const short = { csize: 5, usize: 5, crc: crc32('hello') };

      const message = await refusal(
        forgeZip({
          entries: [
            { name: 'a.txt', data: 'hello world', compress: false, central: short, local: short },
            { name: 'b.txt', data: 'b' },
          ],
        }),
      );

      expect(message).toContain('6 bytes before entry "b.txt" belong to no entry');
    });

    it('refuses a stored entry whose compressed size is short (its CRC-32 that of all its bytes)', async () => {
      const short = { csize: 5, usize: 5 };

      const message = await refusal(
        forgeZip({
          entries: [
            { name: 'a.txt', data: 'hello world', compress: false, central: short, local: short },
          ],
        }),
      );

      expect(message).toContain('6 bytes before the central directory belong to no entry');
    });

    it('refuses a stored entry whose compressed and uncompressed sizes differ', async () => {
      const message = await refusal(
        forgeZip({
          entries: [
            {
              name: 'a.txt',
              data: 'hello world',
              compress: false,
              central: { usize: 5 },
              local: { usize: 5 },
            },
          ],
        }),
      );

      expect(message).toContain(
        'stored uncompressed but its compressed size (11) is not its size (5)',
      );
    });

    it.each([
      ['larger', 400],
      ['smaller', 100],
    ])('refuses a deflated entry whose uncompressed size is %s than its data', async (_, usize) => {
      const entry = { name: 'a.txt', data: 'z'.repeat(250), central: { usize }, local: { usize } };

      const message = await refusal(forgeZip({ entries: [entry] }));

      expect(message).toMatch(/entry "a.txt" holds (250 bytes|more than)/);
    });

    it('refuses a deflated entry whose compressed size runs past the end of its deflate stream', async () => {
      // Bytes after the deflate stream, counted in the compressed size, that no inflater reads.
      const entry = { name: 'a.txt', data: 'q'.repeat(300), trailing: Buffer.from('JUNK') };

      const message = await refusal(forgeZip({ entries: [entry] }));

      expect(message).toContain('its deflated data ends before its compressed size');
    });
  });

  describe('zip64', () => {
    const zip64Two = TWO.map((entry) => ({ ...entry, zip64: true }));

    it('refuses a zip64 end record that counts fewer entries than the central directory holds', async () => {
      const message = await refusal(
        forgeZip({ entries: zip64Two, zip64End: true, zip64EndFields: { count: 1 } }),
      );

      expect(message).toContain('counts 1 entries, the central directory holds 2');
    });

    it('refuses a classic end record whose count is neither the zip64 count nor the mark', async () => {
      const message = await refusal(
        forgeZip({ entries: zip64Two, zip64End: true, end: { count: 1 } }),
      );

      expect(message).toContain('end-of-central-directory record and its zip64 record disagree');
    });

    it('refuses bytes between the zip64 end record and its locator', async () => {
      const message = await refusal(
        forgeZip({ entries: zip64Two, zip64End: true, afterZip64End: Buffer.alloc(8) }),
      );

      expect(message).toContain('does not end where its locator begins');
    });

    it('refuses a zip64 extra field whose size is not the local header’s', async () => {
      const [first, second] = zip64Two;

      const message = await refusal(
        forgeZip({
          entries: [{ ...first, local: { usize: 1 } } as ForgedEntry, second as ForgedEntry],
          zip64End: true,
        }),
      );

      expect(message).toContain('CRC-32 or sizes');
    });

    it('refuses a central record marked zip64 with no zip64 extra field', async () => {
      const archive = forgeZip({ entries: [{ name: 'a.txt', data: 'a' }] });
      // Mark the central record's compressed size as "in the zip64 field", which is absent.
      const central = archive.length - 22 - (46 + 5);
      archive.writeUInt32LE(0xffffffff, central + 20);

      const message = await refusal(archive);

      expect(message).toContain('no zip64 extra field');
    });
  });
});

describe('ZipArchive', () => {
  it('fails when the central directory changes between its check and its reading', async () => {
    const work = await mkdtemp(join(tmpdir(), 'zip-archive-'));
    const file = join(work, 'a.zip');
    const archive = forgeZip({ entries: TWO });
    await writeFile(file, archive);
    const opened = await ZipArchive.open(file);
    try {
      await opened.verify();
      // The first central record's local header offset, rewritten in place.
      const handle = await open(file, 'r+');
      await handle.write(
        Buffer.from([9, 0, 0, 0]),
        0,
        4,
        archive.readUInt32LE(archive.length - 6) + 42,
      );
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
      await rm(work, { recursive: true, force: true });
    }
  });
});

describe('extractZip: archives written by other tools', () => {
  let work: string;
  let source: string;

  const FILES: Record<string, string> = {
    'README.md': '# app\n',
    'src/main.js': 'run();\n'.repeat(2000),
    'src/deep/util.js': 'export const x = 1;\n',
    'bin/empty.txt': '',
  };

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'zip-tools-'));
    source = join(work, 'source');
    for (const [name, text] of Object.entries(FILES)) {
      await mkdir(join(source, name, '..'), { recursive: true });
      await writeFile(join(source, name), text);
    }
    await symlink('src/main.js', join(source, 'main'));
  });
  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  let count = 0;
  async function extracted(archive: Buffer): Promise<Record<string, string>> {
    count++;
    const file = join(work, `archive-${count}.zip`);
    const destination = join(work, `out-${count}`);
    await writeFile(file, archive);
    await extractZip(file, destination, {
      label: LABEL,
      artifactName: 'SourceOutput',
      maxBytes: 64 * 1024 * 1024,
      maxEntries: 100_000,
    });
    const files: Record<string, string> = {};
    for (const entry of await readdir(destination, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() && !entry.isSymbolicLink()) continue;
      const path = join(entry.parentPath, entry.name);
      files[path.slice(destination.length + 1)] = await readFile(path, 'utf8');
    }
    return files;
  }

  const withLink = () => ({ ...FILES, main: FILES['src/main.js'] });

  /** Runs a shell command in the source directory and reads the archive it wrote to stdout. */
  const shell = (command: string) =>
    execFileSync('sh', ['-c', command], { cwd: source, maxBuffer: 64 * 1024 * 1024 });

  it.each([
    ['zip -r', 'zip -qry - . > ../info.zip && cat ../info.zip'],
    ['zip -r -fz (zip64 extra fields)', 'zip -qry -fz - . > ../info64.zip && cat ../info64.zip'],
    ['zip -r to a pipe (data descriptors)', 'zip -qr - . | cat'],
    ['zip -r -0 (stored)', 'zip -qry0 - . > ../info0.zip && cat ../info0.zip'],
  ])('extracts what Info-ZIP writes: %s', async (_, command) => {
    const files = await extracted(shell(command));

    expect(files).toEqual(withLink());
  });

  const PYTHON = `
import io, sys, zipfile
mode = sys.argv[1]
class Pipe(io.RawIOBase):
    def __init__(self): self.data = bytearray()
    def writable(self): return True
    def write(self, b): self.data += b; return len(b)
out = Pipe() if mode == 'stream' else io.BytesIO()
method = zipfile.ZIP_STORED if mode == 'stored' else zipfile.ZIP_DEFLATED
with zipfile.ZipFile(out, 'w', method) as z:
    for name in ['README.md', 'src/main.js', 'src/deep/util.js', 'bin/empty.txt']:
        with z.open(name, 'w', force_zip64=(mode in ('zip64', 'stream'))) as f:
            f.write(open(name, 'rb').read())
    z.comment = b'written by zipfile'
sys.stdout.buffer.write(out.getvalue() if mode != 'stream' else bytes(out.data))
`;

  it.each([
    ['deflated', 'deflated'],
    ['stored', 'stored'],
    ['force_zip64 (zip64 extra fields in local headers)', 'zip64'],
    ['to an unseekable stream (data descriptors, zip64)', 'stream'],
  ])("extracts what Python's zipfile writes: %s", async (_, mode) => {
    const archive = execFileSync('python3', ['-c', PYTHON, mode], {
      cwd: source,
      maxBuffer: 64 * 1024 * 1024,
    });

    const files = await extracted(archive);

    expect(files).toEqual(FILES);
  });

  it("extracts what uploadDirectory writes (the package's zip writer)", async () => {
    const archive = await collect(
      zipDirectory(source, { compress: true, label: 'Output', artifactName: 'Output' }),
    );

    expect(await extracted(archive)).toEqual(withLink());
  });

  it('extracts what yazl writes with zip64 forced (zip64 data descriptors and end records)', async () => {
    const zip = new yazl.ZipFile();
    for (const name of Object.keys(FILES)) {
      zip.addReadStream(Readable.from([Buffer.from(FILES[name] ?? '')]), name, {
        forceZip64Format: true,
      });
    }
    zip.addBuffer(Buffer.from('known'), 'known.txt', { forceZip64Format: true });
    zip.end({ forceZip64Format: true, comment: '' });

    const files = await extracted(await collect(zip.outputStream as Readable));

    expect(files).toEqual({ ...FILES, 'known.txt': 'known' });
  });
});

describe('the artifact policy on an archive whose end record hides two entries', () => {
  let store: ArtifactStoreFixture;

  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());

  it('fails with ArtifactFormatError instead of passing five of seven files', async () => {
    await store.s3.putObject(BUCKET, INPUT_KEY, forgeZip({ entries: SEVEN, end: { count: 5 } }));
    const job = parsedJob({ configuration: {} });

    const failure = await artifactPolicy()
      .process(job, store.context())
      .then(
        () => undefined,
        (error: unknown) => error,
      );

    expect(failure).toBeInstanceOf(ArtifactFormatError);
    expect((failure as Error).message).toContain('counts 5 entries, the central directory holds 7');
  });
});
