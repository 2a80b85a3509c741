import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { relativeEntryPath } from '../../lambda/artifacts/zip-entries.js';

/** The rule written out whole: every name split into its parts, none taken on trust. */
function byParts(name: string): { path: string } | { refused: string } {
  if (name.includes('\0')) return { refused: 'its name contains a NUL character' };
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) {
    return { refused: 'it is an absolute path' };
  }
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { refused: 'it climbs out of the directory with ".."' };
  return { path: parts.join('/') };
}

describe('relativeEntryPath', () => {
  it('gives every name the path or the refusal its parts give, usual names included', () => {
    const name = fc
      .array(fc.constantFrom('/', '.', '..', 'a', 'b.c', 'C:', '\0', '.d'), { maxLength: 8 })
      .map((pieces) => pieces.join(''));

    fc.assert(
      fc.property(name, (text) => {
        expect(relativeEntryPath(text)).toEqual(byParts(text));
      }),
      { numRuns: 5_000 },
    );
  });

  it.each([
    ['a/../../b', { refused: 'it climbs out of the directory with ".."' }],
    ['a/./b//c/', { path: 'a/b/c' }],
    ['src/index.ts', { path: 'src/index.ts' }],
    ['src/', { path: 'src' }],
    ['..', { refused: 'it climbs out of the directory with ".."' }],
  ])('reads %j as %j', (text, expected) => {
    expect(relativeEntryPath(text)).toEqual(expected);
  });
});
