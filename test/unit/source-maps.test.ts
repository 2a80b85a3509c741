import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  commonFolder,
  formatStack,
  type LoadedMap,
  loadMap,
  mapStackTracesLazily,
} from '../../lambda/source-maps.js';

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

describe('formatStack', () => {
  const bundle = 'file:///var/task/index.mjs';
  // One generated line. Columns 0, 10 and 20 (0-based) map to a.ts 1:1 named `handle`,
  // a.ts 1:3 named `parse`, and b.ts 1:5 without a name.
  const loaded: LoadedMap = {
    map: new SourceMap({
      version: 3,
      file: 'index.mjs',
      sources: ['../../project/lambda/a.ts', '../../project/lambda/b.ts'],
      names: ['handle', 'parse'],
      mappings: 'AAAAA,UAAEC,UCAE',
      sourceRoot: '',
      sourcesContent: [],
    }),
    root: '../../project/',
  };

  /** A call site whose methods answer `overrides` (`text` is what `toString` answers). */
  function frame(overrides: Record<string, unknown>): NodeJS.CallSite {
    const values = new Map<string | symbol, unknown>(
      Object.entries({
        getFileName: bundle,
        getLineNumber: 1,
        getColumnNumber: 1,
        getEnclosingLineNumber: null,
        getEnclosingColumnNumber: null,
        getFunctionName: 'x',
        isAsync: false,
        isConstructor: false,
        text: 'unmapped frame',
        ...overrides,
      }),
    );
    values.set('toString', values.get('text'));
    return new Proxy({} as NodeJS.CallSite, {
      get: (_target, key) => (values.has(key) ? () => values.get(key) : undefined),
    });
  }

  it('maps frames of the bundle to source, line, column and original name', () => {
    const stack = formatStack(
      new TypeError('bad'),
      [
        // Named where its function starts.
        frame({ getColumnNumber: 21, getEnclosingLineNumber: 1, getEnclosingColumnNumber: 11 }),
        // Named where the next frame calls it.
        frame({ getColumnNumber: 1, isAsync: true }),
        frame({ getColumnNumber: 1, getFunctionName: 'Zz' }),
        frame({ getFileName: 'node:internal/x', text: 'node:internal/x:1:1' }),
      ],
      bundle,
      () => loaded,
    );

    expect(stack).toBe(
      [
        'TypeError: bad',
        '    at parse (lambda/b.ts:1:5)',
        '    at async handle (lambda/a.ts:1:1)',
        '    at Zz (lambda/a.ts:1:1)',
        '    at node:internal/x:1:1',
      ].join('\n'),
    );
  });

  it('keeps the minified name where the map has none, and marks constructors', () => {
    const stack = formatStack(
      new Error('boom'),
      [frame({ getColumnNumber: 21, getFunctionName: 'Qx', isConstructor: true })],
      bundle,
      () => loaded,
    );

    expect(stack).toBe('Error: boom\n    at new Qx (lambda/b.ts:1:5)');
  });

  it('leaves frames as V8 prints them without a map', () => {
    expect(formatStack(new Error('boom'), [frame({})], bundle, () => undefined)).toBe(
      'Error: boom\n    at unmapped frame',
    );
  });
});
