/**
 * `reset` of the `cls-hooked` substitute against the real one. In a file of its own: a
 * registry where a name was destroyed can never be reset again, in either implementation.
 */
import { describe, expect, it } from 'vitest';
import { CLS_IMPLEMENTATIONS, errorOf } from '../helpers/cls-implementations.js';

describe('reset of async-local-namespace behaves as cls-hooked', () => {
  it('destroys every namespace, which keeps working for whoever holds it', () => {
    for (const cls of Object.values(CLS_IMPLEMENTATIONS)) {
      const held = cls.createNamespace('first');
      cls.createNamespace('second');

      cls.reset();

      expect(cls.getNamespace('first')).toBeUndefined();
      expect(cls.getNamespace('second')).toBeUndefined();
      expect(held.runAndReturn(() => held.set('still', 'works'))).toBe('works');
    }
  });

  it('fails once a name has been destroyed, as cls-hooked does', () => {
    const seen = Object.values(CLS_IMPLEMENTATIONS).map((cls) => {
      cls.createNamespace('destroyed');
      cls.destroyNamespace('destroyed');
      return [errorOf(() => cls.reset()), errorOf(() => cls.reset())];
    });

    const expected =
      'AssertionError [ERR_ASSERTION]: can\'t delete nonexistent namespace! "destroyed"';
    expect(seen).toEqual([
      [expected, expected],
      [expected, expected],
    ]);
  });
});
