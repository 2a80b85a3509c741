import { describe, expect, it } from 'vitest';
import {
  displayText,
  escapeControls,
  escapeForJson,
  hasControls,
  stringReplacer,
} from '../../lambda/worker/safe-text.js';

describe('escapeControls', () => {
  it.each([
    ['\u001b[31m', '\\x1b[31m'],
    ['a\r\nb', 'a\\r\\nb'],
    ['nul\u0000', 'nul\\x00'],
    ['del\u007f', 'del\\x7f'],
    ['csi\u009b', 'csi\\x9b'],
    ['\u202eexe.txt', '\\u202eexe.txt'],
    ['\u2066isolate\u2069', '\\u2066isolate\\u2069'],
    ['line\u2028sep', 'line\\u2028sep'],
  ])('writes %j as %j', (text, shown) => {
    expect(escapeControls(text)).toBe(shown);
    expect(hasControls(text)).toBe(true);
  });

  it('keeps tab, backslashes, non-Latin text and emoji as they are', () => {
    const text = 'a\tb C:\\build\\out ünïcødé 構建 😀';

    expect(escapeControls(text)).toBe(text);
    expect(hasControls(text)).toBe(false);
  });
});

describe('escapeForJson', () => {
  it('leaves C0 controls to JSON and escapes what JSON writes raw', () => {
    expect(escapeForJson('a\n\u001b\u007f\u0085\u202e')).toBe('a\n\u001b\\x7f\\x85\\u202e');
  });
});

describe('displayText', () => {
  it('cuts between characters, never inside an escape', () => {
    expect(displayText('abc\u001bdef', 8)).toBe('abc...');
    expect(displayText('abcdef\u001b', 9)).toBe('abcdef...');
    expect(displayText('ab\u001b', 6)).toBe('ab\\x1b');
  });

  it('never cuts a surrogate pair', () => {
    expect(displayText('abcd😀efgh', 8)).toBe('abcd...');
  });
});

describe('stringReplacer', () => {
  const upper = stringReplacer((text) => text.replaceAll('secret', 'S'));

  it('renames keys, keeping a key named __proto__ as a key', () => {
    const value = JSON.parse('{"__proto__": 1, "my-secret": 2}');

    expect(JSON.stringify(value, upper)).toBe('{"__proto__":1,"my-S":2}');
  });

  it('keeps an object whose keys stay the same', () => {
    const value = { a: 1 };

    expect(upper('', value)).toBe(value);
  });

  it('writes a Buffer, a typed array and a DataView as their size, never their bytes', () => {
    const bytes = Buffer.from('secret-bytes');
    const value = {
      body: bytes,
      list: [bytes],
      u8: new Uint8Array([115, 101, 99]),
      floats: new Float64Array(2),
      view: new DataView(new ArrayBuffer(5)),
    };

    const json = JSON.stringify(value, upper);

    expect(JSON.parse(json)).toEqual({
      body: '<Buffer 12 bytes>',
      list: ['<Buffer 12 bytes>'],
      u8: '<Uint8Array 3 bytes>',
      floats: '<Float64Array 16 bytes>',
      view: '<DataView 5 bytes>',
    });
    expect(json).not.toContain('115');
  });

  it('takes an object shaped as a serialised Buffer for one, and passes its placeholder through transform', () => {
    const tagged = Object.defineProperty(new Uint8Array(4), Symbol.toStringTag, {
      value: 'my-secret\u001b',
    });

    expect(upper('', { type: 'Buffer', data: [1, 2, 3] })).toBe('<Buffer 3 bytes>');
    expect(upper('', { type: 'Buffer', data: [1], more: 1 })).not.toBeTypeOf('string');
    expect(upper('', tagged)).toBe('<my-S\u001b 4 bytes>');
  });
});
