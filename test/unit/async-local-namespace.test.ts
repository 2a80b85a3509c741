/**
 * The AsyncLocalStorage namespace that the deployed bundle uses instead of `cls-hooked`:
 * every scenario runs against both, and what each observes must be the same.
 */
import { createRequire } from 'node:module';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import * as substitute from '../../lambda/bundle/async-local-namespace.js';

interface Ns {
  readonly active: unknown;
  get(key: string): unknown;
  set<T>(key: string, value: T): T;
  createContext(): Record<string, unknown>;
  enter(context: object): void;
  run(fn: (context: Record<string, unknown>) => void): Record<string, unknown>;
  bind<F extends (...args: never[]) => unknown>(fn: F, context?: object): F;
}
interface Cls {
  getNamespace(name: string): Ns | null | undefined;
  createNamespace(name: string): Ns;
  destroyNamespace(name: string): void;
}

const real = createRequire(import.meta.url)('cls-hooked/context') as Cls;
const implementations: Record<string, Cls> = {
  'cls-hooked': real,
  'async-local-namespace': substitute as unknown as Cls,
};

let namespaces = 0;
/** Runs `scenario` against both implementations, each with a namespace of its own. */
async function observe(scenario: (ns: Ns, log: (value: unknown) => void) => Promise<void> | void) {
  const seen: Record<string, unknown[]> = {};
  for (const [name, cls] of Object.entries(implementations)) {
    const log: unknown[] = [];
    const ns = cls.createNamespace(`test-${++namespaces}`);
    await scenario(ns, (value) => log.push(value));
    seen[name] = log;
  }
  return seen;
}

function expectSame(seen: Record<string, unknown[]>, expected: unknown[]) {
  expect(seen['cls-hooked']).toEqual(expected);
  expect(seen['async-local-namespace']).toEqual(expected);
}

const errorOf = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return (error as Error).message;
  }
};

describe('async-local-namespace behaves as cls-hooked', () => {
  it('has no context outside of run: get gives nothing, set throws', async () => {
    const seen = await observe((ns, log) => {
      log(ns.active ?? null);
      log(ns.get('segment'));
      log(errorOf(() => ns.set('segment', 1)));
    });
    expectSame(seen, [
      null,
      undefined,
      'No context available. ns.run() or ns.bind() must be called first.',
    ]);
  });

  it('runs in a context that inherits from the current one, and leaves it after', async () => {
    const seen = await observe((ns, log) => {
      const outer = ns.run(() => {
        log(ns.set('a', 1));
        ns.run((inner) => {
          log(ns.get('a'));
          ns.set('a', 2);
          log(inner.a);
        });
        log(ns.get('a'));
      });
      log(outer.a);
      log(ns.get('a'));
    });
    expectSame(seen, [1, 1, 2, 1, 1, undefined]);
  });

  it('carries a context across timers, promises and awaits started in it', async () => {
    const seen = await observe(async (ns, log) => {
      const done: Promise<unknown>[] = [];
      ns.run(() => {
        ns.set('x', 'in run');
        done.push(sleep(5).then(() => log(['timer', ns.get('x')])));
        done.push(
          (async () => {
            await sleep(1);
            log(['await', ns.get('x')]);
          })(),
        );
        done.push(Promise.resolve().then(() => log(['then', ns.get('x')])));
      });
      done.push(sleep(3).then(() => log(['outside', ns.get('x')])));
      await Promise.all(done);
    });
    for (const log of Object.values(seen)) {
      expect(log).toHaveLength(4);
      expect(log).toEqual(
        expect.arrayContaining([
          ['timer', 'in run'],
          ['await', 'in run'],
          ['then', 'in run'],
          ['outside', undefined],
        ]),
      );
    }
  });

  it('keeps a context entered outside of run active everywhere, as the X-Ray SDK enters it in Lambda', async () => {
    const seen = await observe(async (ns, log) => {
      // Started before the context is entered, as the runtime's loop is before the handler loads.
      const early = sleep(5).then(() => log(['early', ns.get('segment')]));
      ns.enter(ns.createContext());
      log(ns.set('segment', 'facade'));
      await sleep(1);
      log(['after await', ns.get('segment')]);
      await early;
      ns.run(() => {
        log(['run inherits', ns.get('segment')]);
        ns.set('segment', 'subsegment');
        log(['run', ns.get('segment')]);
      });
      log(['after run', ns.get('segment')]);
      // The tracer swaps the segment in the entered context itself, and back.
      ns.set('segment', 'handler');
      await sleep(1);
      log(['swapped', ns.get('segment')]);
    });
    expectSame(seen, [
      'facade',
      ['after await', 'facade'],
      ['early', 'facade'],
      ['run inherits', 'facade'],
      ['run', 'subsegment'],
      ['after run', 'facade'],
      ['swapped', 'handler'],
    ]);
  });

  it('binds functions to the current context, to a given one, or to a new one', async () => {
    const seen = await observe((ns, log) => {
      let bound: () => unknown = () => undefined;
      ns.run(() => {
        ns.set('x', 'bound');
        bound = ns.bind(() => ns.get('x'));
      });
      log(bound());
      const given = ns.createContext();
      given.x = 'given';
      log(ns.bind(() => ns.get('x'), given)());
      log(ns.bind(() => ns.set('y', 'set in a new context'))());
      log(ns.get('y'));
      const withThis = ns.bind(function (this: { n: number }, add: number) {
        return this.n + add;
      });
      log(withThis.call({ n: 1 }, 2));
    });
    expectSame(seen, ['bound', 'given', 'set in a new context', undefined, 3]);
  });

  it('passes on an error thrown in run and leaves its context', async () => {
    const seen = await observe((ns, log) => {
      try {
        ns.run(() => {
          ns.set('x', 'failing');
          throw new Error('boom');
        });
      } catch (error) {
        log((error as Error).message);
      }
      log(ns.get('x'));
    });
    expectSame(seen, ['boom', undefined]);
  });

  it('creates contexts that inherit values and name their namespace', async () => {
    const seen = await observe((ns, log) => {
      ns.run(() => {
        ns.set('x', 1);
        const child = ns.createContext();
        log(child.x);
        log(Object.hasOwn(child, 'x'));
        log(typeof child._ns_name);
      });
    });
    expectSame(seen, [1, false, 'string']);
  });

  it('registers, finds and destroys namespaces by name', () => {
    for (const cls of Object.values(implementations)) {
      const name = `registry-${++namespaces}`;
      expect(cls.getNamespace(name) ?? null).toBeNull();
      const ns = cls.createNamespace(name);
      expect(cls.getNamespace(name)).toBe(ns);
      cls.destroyNamespace(name);
      expect(cls.getNamespace(name) ?? null).toBeNull();
      expect(() => cls.destroyNamespace(name)).toThrow(/nonexistent namespace/);
    }
  });
});
