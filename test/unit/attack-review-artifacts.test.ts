/**
 * Hostile archives against `extract()` and the limits, through the public artifact API: each
 * test is an attack and asserts the safe behaviour, so it fails if the attack gets through.
 */
import { mkdir, mkdtemp, readFile, readlink, realpath, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ArtifactError,
  ArtifactFormatError,
  ArtifactLimitError,
  jobArtifacts,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import { defaultArtifactLimits } from '../../lambda/artifacts/settings.js';
import { describeError } from '../../lambda/worker/logging.js';
import { failureReport } from '../../lambda/worker/report.js';
import { SecretScrubber } from '../../lambda/worker/secrets.js';
import { artifactPolicy } from '../../samples/processors/artifact-policy.js';
import {
  type ArtifactStoreFixture,
  artifactJob,
  artifactStore,
  BUCKET,
  INPUT_KEY,
} from '../helpers/artifact-store.js';
import {
  extractInput,
  extractRefusal,
  jobWithInputs,
  linksLeaving,
  patientContext,
  treeOf,
} from '../helpers/attack-artifacts.js';
import { parsedJob } from '../helpers/jobs.js';
import { forgeZip } from '../helpers/zip-forge.js';
import { rawZip, UNIX_DIRECTORY, UNIX_LINK, unicodePathField } from '../helpers/zip-raw.js';

const MIB = 1024 * 1024;
const RSA_KEY =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7example/abc+def\n-----END RSA PRIVATE KEY-----\n';

const link = (name: string, target: string) => ({ name, data: target, mode: UNIX_LINK });
const file = (name: string, data = 'x') => ({ name, data });

describe('attacks on extract(): links', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());

  it('reads the hand-built archives of these attacks when they are honest', async () => {
    const zip = rawZip([
      file('src/a.txt', 'a'),
      { name: 'empty/', mode: UNIX_DIRECTORY },
      link('src/l', 'a.txt'),
      {
        name: 'b.txt',
        data: 'b',
        compress: true,
        centralExtra: unicodePathField('b.txt', 'b.txt'),
      },
    ]);

    const root = await extractInput(store, zip);

    expect(await treeOf(root)).toEqual(['b.txt', 'empty', 'src', 'src/a.txt', 'src/l']);
    expect(await readFile(join(root, 'src/l'), 'utf8')).toBe('a');
    expect(await readFile(join(root, 'b.txt'), 'utf8')).toBe('b');
  });

  it('refuses the original trap: a climb to the root, then a target through a later directory', async () => {
    const deep = Array.from({ length: 10 }, (_, i) => `d${i + 1}`).join('/');
    const ups = Array(10).fill('..').join('/');
    const zip = rawZip([
      link(`${deep}/up`, ups),
      link('leak', `build/../${deep}/up/${ups}/etc/passwd`),
    ]);

    const error = await extractRefusal(store, zip);

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error.message).toContain('"leak" is refused');
  });

  it('keeps a chain of links through last components inside, even after the processor creates every missing directory', async () => {
    const zip = rawZip([
      link('a/b/up', '../..'),
      link('l1', 'a/b/up'),
      link('l2', 'l1'),
      link('c/l3', '../l2'),
      link('c/d/l4', '../../missing/deeper/name'),
    ]);

    const root = await extractInput(store, zip);
    // What a build step does next.
    await mkdir(join(root, 'missing/deeper'), { recursive: true });
    await mkdir(join(root, 'build/out'), { recursive: true });

    expect(await linksLeaving(root)).toEqual([]);
    expect(await realpath(join(root, 'c/l3'))).toBe(await realpath(root));
  });

  it.each([
    ['a ".." after a name', 'l', 'x/../..'],
    ['".." hidden behind "." and empty components', 'a/l', './/..//./..'],
    ['a target through another link of the archive', 'm', 'l1/etc'],
    ['a climb from the root', 'l', './..'],
    ['an absolute target', 'l', '/etc/passwd'],
    ['a drive-letter target', 'l', 'C:/Windows'],
  ])('refuses a link with %s', async (_, name, target) => {
    const zip = rawZip([link('l1', '.'), link(name, target)]);

    const error = await extractRefusal(store, zip);

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error.message).toContain(`"${name}" is refused`);
  });

  it('refuses a link that lies under another link, whatever the order of the entries', async () => {
    const first = rawZip([link('l/inner', '../..'), link('l', 'sub')]);
    const second = rawZip([link('l', 'sub'), link('l/inner', '../..')]);

    expect(await extractRefusal(store, first)).toBeInstanceOf(UnsafeArchiveError);
    expect(await extractRefusal(store, second)).toBeInstanceOf(UnsafeArchiveError);
  });

  it.each([
    ['a link named like a later directory', [link('build', 'src'), file('build/x')]],
    [
      'a directory entry after a link of the same name',
      [link('d', '.'), { name: 'd/', mode: UNIX_DIRECTORY }],
    ],
    ['a file entry, then a link with the same path', [file('x'), link('x', 'y')]],
    ['a link, then a file entry with the same path', [link('x', 'y'), file('x')]],
    ['two links with the same path', [link('x', 'a'), link('x', 'b')]],
    ['two files with the same path', [file('x', 'one'), file('x', 'two')]],
    ['two names that normalise to the same path', [file('a//b', 'one'), file('./a/b', 'two')]],
    ['a link whose name normalises to a file of the archive', [file('a/b'), link('a/./b', 'c')]],
  ])('refuses %s (nothing is written through a link, nothing overwritten)', async (_, entries) => {
    const error = await extractRefusal(store, rawZip(entries));

    expect(error).toBeInstanceOf(ArtifactError);
    expect(error.message).toContain('claim the same path');
  });

  it('refuses a link-mode entry whose name ends with a slash (a directory that holds a target)', async () => {
    const zip = rawZip([{ name: 'evil/', data: '../../../..', mode: UNIX_LINK }]);

    const error = await extractRefusal(store, zip);

    expect(error).toBeInstanceOf(ArtifactFormatError);
  });

  it('escapes control and direction characters of an entry name in the refusal message', async () => {
    const zip = rawZip([file('\u001b[2J\r\nOK\u202etxt.exe/../../x')]);

    const error = await extractRefusal(store, zip);

    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error.message).toContain('\\u001b[2J\\r\\nOK\\u202etxt.exe');
    expect(error.message).not.toMatch(/[\r\n\u202e]/);
    expect(error.message.includes(String.fromCharCode(0x1b))).toBe(false);
  });

  it('reads backslashes as separators before judging a name or a link path', async () => {
    const climbing = rawZip([file('..\\..\\escaped.txt')]);
    const underLink = rawZip([link('l', 'sub'), link('l\\inner', 'x')]);

    expect((await extractRefusal(store, climbing)).message).toContain('climbs out');
    expect((await extractRefusal(store, underLink)).message).toContain(
      'lies under another symbolic link',
    );
  });
});

describe('attacks on extract(): one reading of the archive', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());

  it('refuses a data descriptor that disagrees with the central directory, signed or not', async () => {
    const signed = forgeZip({
      entries: [{ name: 'a.txt', data: 'hello', descriptor: { crc: 1 } }],
    });
    const zip64 = forgeZip({
      entries: [{ name: 'a.txt', data: 'hello', zip64: true, descriptor: { usize: 4 } }],
    });

    expect(await extractRefusal(store, signed)).toBeInstanceOf(ArtifactFormatError);
    expect(await extractRefusal(store, zip64)).toBeInstanceOf(ArtifactFormatError);
  });

  it('refuses a zip64 entry whose extra field is cut short', async () => {
    const honest = forgeZip({ entries: [{ name: 'a.txt', data: 'hello', zip64: true }] });
    // The central record's zip64 field claims 24 bytes; say 16, so the offset is missing.
    const at = honest.lastIndexOf(Buffer.from([0x01, 0x00, 0x18, 0x00]));
    const cut = Buffer.from(honest);
    cut.writeUInt16LE(16, at + 2);

    expect(await extractRefusal(store, cut)).toBeInstanceOf(ArtifactFormatError);
  });

  it('refuses an entry count the zip64 end record and the classic one disagree on', async () => {
    const zip = forgeZip({
      entries: [file('a.txt'), file('b.txt'), file('.env', 'TOKEN=1')],
      zip64End: true,
      end: { count: 2 },
    });

    expect(await extractRefusal(store, zip)).toBeInstanceOf(ArtifactFormatError);
  });

  it('refuses a bad CRC-32 on an empty file (its bytes are checked even when there are none)', async () => {
    const zip = forgeZip({
      entries: [{ name: 'empty', data: '', central: { crc: 7 }, local: { crc: 7 } }],
    });

    expect(await extractRefusal(store, zip)).toBeInstanceOf(ArtifactFormatError);
  });
});

describe('attacks on extract(): what it creates', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());

  it('counts empty files, links and the directories deep paths imply against maxEntries', async () => {
    const empties = rawZip(Array.from({ length: 9 }, (_, i) => file(`f${i}`, '')));
    const links = rawZip(Array.from({ length: 9 }, (_, i) => link(`l${i}`, 'target')));
    const deep = rawZip([file(`${Array.from({ length: 8 }, (_, i) => `d${i}`).join('/')}/f`)]);

    for (const zip of [empties, links, deep]) {
      const error = await extractRefusal(store, zip, { maxEntries: 8 });
      expect(error).toBeInstanceOf(ArtifactLimitError);
    }
  });

  it('counts a block for each empty file against maxExtractedBytes', async () => {
    const zip = rawZip(Array.from({ length: 40 }, (_, i) => file(`f${i}`, '')));

    const error = await extractRefusal(store, zip, { maxExtractedBytes: 100_000 });

    expect(error).toBeInstanceOf(ArtifactLimitError);
  });

  it('takes names of 255 bytes and refuses 256 as an archive error without the local path', async () => {
    const ok = rawZip([file('n'.repeat(255))]);
    const tooLong = rawZip([file('n'.repeat(256))]);

    const root = await extractInput(store, ok);
    const error = await extractRefusal(store, tooLong);

    expect(await treeOf(root)).toEqual(['n'.repeat(255)]);
    expect(error).toBeInstanceOf(UnsafeArchiveError);
    expect(error.message).not.toMatch(/\/tmp\//);
  });

  it('sizes the defaults from garbage settings as from none: every job reaching its limits still fits', () => {
    const garbage = [
      '',
      ' ',
      '1e3',
      '0x200',
      '-512',
      '512.5',
      'Infinity',
      'NaN',
      '99999999999999999999',
      '10240abc',
    ];
    const none = defaultArtifactLimits({});

    for (const value of garbage) {
      expect(defaultArtifactLimits({ EPHEMERAL_STORAGE_MIB: value })).toEqual(none);
      expect(defaultArtifactLimits({ CONCURRENCY: value })).toEqual(none);
    }
    for (const storage of [512, 513, 1000, 10240]) {
      for (const concurrency of [1, 3, 7, 10, 99, 100]) {
        const limits = defaultArtifactLimits({
          EPHEMERAL_STORAGE_MIB: String(storage),
          CONCURRENCY: String(concurrency),
        });
        const perJob = limits.maxInputBytes + limits.maxExtractedBytes;
        expect(perJob * concurrency).toBeLessThanOrEqual(storage * MIB);
        expect(limits.maxEntries * 4096).toBeLessThanOrEqual(limits.maxExtractedBytes);
      }
    }
  });
});

describe('attacks on the artifact policy sample: what it sees differs from what other tools extract', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());

  /** The policy sample's outcome on `zip` (or the refusal of `extract()`). */
  async function policyOn(zip: Buffer) {
    await store.s3.putObject(BUCKET, INPUT_KEY, zip);
    const job = parsedJob({
      configuration: {
        BakeTimeSeconds: undefined,
        Environment: undefined,
        ApiToken: undefined,
        WebhookSecret: undefined,
      } as unknown as Record<string, string>,
    });
    const context = patientContext(store);
    return Promise.resolve()
      .then(async () => context.checked(await artifactPolicy().process(job, context)))
      .then(
        (outcome) => outcome,
        (error: unknown) => ({ kind: 'refused' as const, error }),
      );
  }

  it('does not let a Unicode path field (0x7075) rename ".env" for extract() alone', async () => {
    // Python's zipfile and most tools read the raw name; yauzl's decoder takes the field.
    const zip = rawZip([
      { name: 'README.md', data: '# app\n' },
      {
        name: '.env',
        data: 'TOKEN=prod-token\n',
        centralExtra: unicodePathField('.env', 'notes.txt'),
      },
    ]);

    const honest = rawZip([
      { name: 'README.md', data: '# app\n' },
      { name: '.env', data: 'TOKEN=prod-token\n' },
    ]);

    const outcome = await policyOn(zip);

    expect((await policyOn(honest)).kind).toBe('failure');
    expect(outcome.kind).not.toBe('success');
  });

  it("refuses a local header whose Unicode path field is not the central record's", async () => {
    // Streaming readers (the local headers only) name the entry ".env".
    const zip = rawZip([
      {
        name: 'notes.txt',
        data: 'TOKEN=prod-token\n',
        localExtra: unicodePathField('notes.txt', '.env'),
        centralExtra: Buffer.alloc(0),
      },
    ]);

    const error = await extractRefusal(store, zip);

    expect(error).toBeInstanceOf(ArtifactFormatError);
  });

  it('does not pass a private key carried as a link target (a file for tools that ignore modes)', async () => {
    const zip = rawZip([
      { name: 'README.md', data: '# app\n' },
      { name: 'deploy/notes.txt', data: RSA_KEY, mode: UNIX_LINK },
    ]);

    const asFile = rawZip([
      { name: 'README.md', data: '# app\n' },
      { name: 'deploy/notes.txt', data: RSA_KEY },
    ]);

    const outcome = await policyOn(zip);

    expect((await policyOn(asFile)).kind).toBe('failure');
    expect(outcome.kind).not.toBe('success');
  });
});

describe('attacks on extract(): bytes hidden in a deflated directory entry', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());

  /**
   * A directory entry whose deflated data is an empty deflate block, then a data descriptor
   * and a whole local entry ".env" that no central record lists: a streaming reader (Java's
   * ZipInputStream, `jar x < archive.zip`) inflates the two bytes, reads that descriptor, and
   * extracts ".env"; readers of the central directory never see it.
   */
  function smuggling(): Buffer {
    const u32 = (value: number) => {
      const buffer = Buffer.alloc(4);
      buffer.writeUInt32LE(value >>> 0);
      return buffer;
    };
    const u16 = (value: number) => {
      const buffer = Buffer.alloc(2);
      buffer.writeUInt16LE(value);
      return buffer;
    };
    const data = Buffer.from('TOKEN=prod-token\n');
    const name = Buffer.from('.env');
    const hidden = Buffer.concat([
      u32(0x04034b50),
      u16(20),
      u16(0x0800),
      u16(0),
      u16(0),
      u16(0x21),
      u32(crc32(data)),
      u32(data.length),
      u32(data.length),
      u16(name.length),
      u16(0),
      name,
      data,
    ]);
    const emptyDeflate = Buffer.from([0x03, 0x00]);
    const bytes = Buffer.concat([emptyDeflate, u32(0x08074b50), u32(0), u32(2), u32(0), hidden]);
    return rawZip([
      { name: 'README.md', data: '# app\n' },
      { name: 'assets/', deflated: { bytes, crc: 0, usize: 0 }, descriptor: true },
      { name: 'src/main.js', data: 'run();\n' },
    ]);
  }

  it('refuses a directory entry whose deflated data holds more than an empty deflate stream', async () => {
    const error = await extractRefusal(store, smuggling());

    expect(error).toBeInstanceOf(ArtifactFormatError);
  });
});

describe('attacks on uploadDirectory(): a tree that extraction refuses', () => {
  let store: ArtifactStoreFixture;
  let scratch: string;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(() => store.close());
  afterEach(() => rm(scratch, { recursive: true, force: true }));

  it('refuses to upload the trap links that escape once the next stage runs mkdir build', async () => {
    scratch = await mkdtemp(join(tmpdir(), 'attack-upload-'));
    const deep = Array.from({ length: 10 }, (_, i) => `d${i + 1}`).join('/');
    const ups = Array(10).fill('..').join('/');
    await mkdir(join(scratch, deep), { recursive: true });
    await symlink(ups, join(scratch, deep, 'up'));
    await symlink(`build/../${deep}/up/${ups}/etc/passwd`, join(scratch, 'leak'));
    const artifacts = jobArtifacts(artifactJob(), patientContext(store));

    const result = await artifacts.uploadDirectory('BakedOutput', scratch).then(
      () => 'uploaded',
      (error: unknown) => error,
    );
    artifacts.destroy();

    expect(result).toBeInstanceOf(UnsafeArchiveError);
  });
});

describe('attacks on the limits: a job of several inputs', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await store.close();
  });

  it('keeps a job within its share of the storage when it extracts each of its inputs', async () => {
    // 512 MiB for 100 jobs: a share of 5.12 MiB, 2 MiB of it for one extracted input.
    vi.stubEnv('EPHEMERAL_STORAGE_MIB', '512');
    vi.stubEnv('CONCURRENCY', '100');
    const share = (512 * 1024 * 1024) / 100;
    const names = ['A', 'B', 'C'];
    const job = jobWithInputs(names);
    const nearLimit = rawZip([
      { name: 'fill.bin', data: Buffer.alloc(2 * 1024 * 1024 - 3 * 4096), compress: true },
    ]);
    for (const input of job.inputArtifacts) {
      await store.s3.putObject(BUCKET, input.objectKey ?? '', nearLimit);
    }
    const artifacts = jobArtifacts(job, patientContext(store));

    let extractedBytes = 0;
    let refused: unknown;
    for (const name of names) {
      try {
        await artifacts.extract(name);
        extractedBytes += 2 * 1024 * 1024 - 3 * 4096;
      } catch (error) {
        refused = error;
        break;
      }
    }
    artifacts.destroy();

    expect(extractedBytes <= share / 2 || refused instanceof ArtifactLimitError).toBe(true);
  });
});

describe('attacks on the scrubbing of archive messages', () => {
  const SECRET = 'ghp_Z1x2C3v4B5n6M7';

  it('removes no part of a secret from an archive error message that clipped it', async () => {
    const store = await artifactStore();
    try {
      const scrubber = new SecretScrubber();
      scrubber.hold([SECRET]);
      const name = `${'a'.repeat(185)}${SECRET}/../x`;

      const error = await extractRefusal(store, rawZip([{ name, data: 'x' }]));
      const report = failureReport('JobFailed', describeError(error, scrubber).message);

      expect(report.message).not.toContain(SECRET.slice(0, 10));
    } finally {
      await store.close();
    }
  });
});

describe('attacks on the guards added against the attacks above', () => {
  let store: ArtifactStoreFixture;
  beforeAll(async () => {
    store = await artifactStore();
  });
  afterAll(async () => {
    vi.unstubAllEnvs();
    await store.close();
  });

  it('reads the mode of a link only from an archive written on Unix or macOS', async () => {
    // An MS-DOS host's high attribute bits are not a Unix mode: the entry is a file.
    const zip = rawZip([
      { name: 'dos-link', data: 'target.txt', mode: UNIX_LINK, host: 0 },
      { name: 'mac-link', data: 'target.txt', mode: UNIX_LINK, host: 19 },
      file('target.txt', 't'),
    ]);

    const root = await extractInput(store, zip);

    expect(await readFile(join(root, 'dos-link'), 'utf8')).toBe('target.txt');
    expect(await readlink(join(root, 'mac-link'))).toBe('target.txt');
  });

  it('reads a Unicode path field that repeats a UTF-8 name written without flag 11, as Info-ZIP does', async () => {
    const zip = rawZip([
      {
        name: 'café.txt',
        data: 'c',
        flags: 0,
        centralExtra: unicodePathField('café.txt', 'café.txt'),
      },
    ]);

    const root = await extractInput(store, zip);

    expect(await treeOf(root)).toEqual(['café.txt']);
  });

  it('refuses a Unicode path field of an unknown version, which another reader may take', async () => {
    const field = unicodePathField('notes.txt', '.env');
    field.writeUInt8(2, 4);
    const zip = rawZip([{ name: 'notes.txt', data: 'x', centralExtra: field }]);

    const error = await extractRefusal(store, zip);

    expect(error).toBeInstanceOf(ArtifactFormatError);
  });

  it('keeps a directory entry deflated as an empty deflate stream, as Java writes it', async () => {
    const zip = rawZip([
      { name: 'assets/', deflated: { bytes: Buffer.from([0x03, 0x00]), crc: 0, usize: 0 } },
      file('assets/a.txt', 'a'),
    ]);

    const root = await extractInput(store, zip);

    expect(await treeOf(root)).toEqual(['assets', 'assets/a.txt']);
  });

  it('refuses a directory entry whose two bytes of deflated data are not an empty stream', async () => {
    const zip = rawZip([
      { name: 'assets/', deflated: { bytes: Buffer.from([0x01, 0x00]), crc: 0, usize: 0 } },
    ]);

    const error = await extractRefusal(store, zip);

    expect(error).toBeInstanceOf(ArtifactFormatError);
  });

  it('counts every input the job downloads against one maxInputBytes', async () => {
    const job = jobWithInputs(['A', 'B']);
    const half = rawZip([{ name: 'fill.bin', data: Buffer.alloc(600 * 1024) }]);
    for (const input of job.inputArtifacts) {
      await store.s3.putObject(BUCKET, input.objectKey ?? '', half);
    }
    const artifacts = jobArtifacts(job, patientContext(store), { maxInputBytes: MIB });

    const first = await artifacts.download('A');
    const second = await artifacts.download('B').then(
      () => 'downloaded',
      (error: unknown) => error,
    );
    artifacts.destroy();

    expect(await readFile(first)).toHaveLength(half.length);
    expect(second).toBeInstanceOf(ArtifactLimitError);
    expect((second as Error).message).toContain('maxInputBytes');
  });

  it('gives an input the bytes an earlier extraction of the job left, and no more', async () => {
    const job = jobWithInputs(['A', 'B']);
    const entry = rawZip([{ name: 'a.txt', data: 'a' }]);
    for (const input of job.inputArtifacts) {
      await store.s3.putObject(BUCKET, input.objectKey ?? '', entry);
    }
    // One file is one block and one byte: a second extraction does not fit.
    const artifacts = jobArtifacts(job, patientContext(store), { maxExtractedBytes: 4097 + 10 });

    await artifacts.extract('A');
    const second = await artifacts.extract('B').then(
      () => 'extracted',
      (error: unknown) => error,
    );
    artifacts.destroy();

    expect(second).toBeInstanceOf(ArtifactLimitError);
    expect((second as Error).message).toContain("10 bytes left of the job's limit");
  });

  it('finds a private key header carried on one line as a link target', async () => {
    await store.s3.putObject(
      BUCKET,
      INPUT_KEY,
      rawZip([file('README.md', '# app\n'), link('deploy/key', '-----BEGIN RSA PRIVATE KEY-----')]),
    );
    const job = parsedJob({
      configuration: {
        BakeTimeSeconds: undefined,
        Environment: undefined,
        ApiToken: undefined,
        WebhookSecret: undefined,
      } as unknown as Record<string, string>,
    });
    const context = patientContext(store);

    const outcome = await context.checked(await artifactPolicy().process(job, context));

    expect(outcome.kind).toBe('failure');
  });

  it('removes a secret holding a tab from a refusal that shows it in an entry name', async () => {
    const secret = 'ghp_Z1x2\tC3v4B5n6M7';
    const scrubber = new SecretScrubber();
    scrubber.hold([secret]);

    const error = await extractRefusal(store, rawZip([{ name: `${secret}/../../x`, data: 'x' }]));
    const message = describeError(error, scrubber).message;

    expect(message).toContain('is refused');
    expect(message).not.toContain('C3v4B5n6M7');
  });
});
