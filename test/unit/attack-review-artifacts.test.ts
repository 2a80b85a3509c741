/**
 * Hostile archives against `extract()` and the limits, through the public artifact API: each
 * test is an attack and asserts the safe behaviour, so it fails if the attack gets through.
 */
import { mkdir, readFile, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ArtifactError,
  ArtifactFormatError,
  ArtifactLimitError,
  UnsafeArchiveError,
} from '../../lambda/artifacts/index.js';
import { defaultArtifactLimits } from '../../lambda/artifacts/settings.js';
import { type ArtifactStoreFixture, artifactStore } from '../helpers/artifact-store.js';
import { extractInput, extractRefusal, linksLeaving, treeOf } from '../helpers/attack-artifacts.js';
import { forgeZip } from '../helpers/zip-forge.js';
import { rawZip, UNIX_DIRECTORY, UNIX_LINK, unicodePathField } from '../helpers/zip-raw.js';

const MIB = 1024 * 1024;
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
    expect(error.message).toContain('\\x1b[2J\\x0d\\x0aOK\\u202etxt.exe');
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
