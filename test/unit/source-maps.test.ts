import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { commonFolder, loadMap, mapStackTracesLazily } from '../../lambda/source-maps.js';

describe('commonFolder', () => {
  it.each([
    [['../../lambda/a.ts', '../../node_modules/x/index.js'], '../../'],
    [['../../../work/p/lambda/a.ts', '../../../work/p/node_modules/x/i.js'], '../../../work/p/'],
    [
      ['../../../work/p/lambda/a.ts', '../../../work/p/lambda/worker/b.ts'],
      '../../../work/p/lambda/',
    ],
    [['lambda/a.ts', 'bench/b.ts'], ''],
    [['a.ts'], ''],
    [[], ''],
  ])('of %j is %j', (paths, expected) => {
    expect(commonFolder(paths)).toBe(expected);
  });

  it('never cuts a folder name in two', () => {
    expect(commonFolder(['../src/lambda/a.ts', '../src/lambdas/b.ts'])).toBe('../src/');
  });
});

describe('loadMap', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a map and the folder its sources share', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'source-map-'));
    const file = path.join(dir, 'index.mjs.map');
    writeFileSync(
      file,
      JSON.stringify({
        version: 3,
        sources: ['../../p/lambda/a.ts', '../../p/lambda/b.ts'],
        names: [],
        mappings: 'AAAA',
      }),
    );

    const loaded = loadMap(file);

    expect(loaded?.root).toBe('../../p/lambda/');
    expect(loaded?.map.findEntry(0, 0)).toMatchObject({ originalSource: '../../p/lambda/a.ts' });
  });

  it('gives nothing for a missing or broken map', () => {
    dir = mkdtempSync(path.join(tmpdir(), 'source-map-'));
    writeFileSync(path.join(dir, 'broken.map'), '{"version": 3, "sour');

    expect(loadMap(path.join(dir, 'missing.map'))).toBeUndefined();
    expect(loadMap(path.join(dir, 'broken.map'))).toBeUndefined();
  });
});

describe('mapStackTracesLazily', () => {
  const original = Error.prepareStackTrace;
  afterEach(() => {
    Error.prepareStackTrace = original;
  });

  it('leaves stack traces alone where there is no map next to the module', () => {
    mapStackTracesLazily(import.meta.url);
    mapStackTracesLazily(undefined);
    mapStackTracesLazily('data:text/javascript,export {}');

    expect(Error.prepareStackTrace).toBe(original);
  });

  it('installs the mapping where the module has a map, without reading it yet', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'source-map-'));
    try {
      writeFileSync(path.join(dir, 'index.mjs'), 'export {};');
      // Not a valid map: reading it now would be noticed below.
      writeFileSync(path.join(dir, 'index.mjs.map'), 'not read until a trace is printed');

      mapStackTracesLazily(pathToFileURL(path.join(dir, 'index.mjs')).href);

      expect(Error.prepareStackTrace).toBeTypeOf('function');
      expect(Error.prepareStackTrace).not.toBe(original);
      // No frame of this trace is in the bundle: the trace reads as Node prints it.
      const error = new Error('boom');
      expect(error.stack).toMatch(/^Error: boom\n {4}at /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
