/**
 * Stands in for `cls-hooked/context` in the deployed bundle (see `lib/bundling.ts`): the
 * continuation-local storage the X-Ray SDK keeps the current segment in, built on Node's
 * `AsyncLocalStorage` instead of `async_hooks`.
 *
 * `cls-hooked` installs an async hook with a destroy callback as soon as the X-Ray SDK loads,
 * so every promise the process creates is tracked until it is garbage-collected, whether or
 * not a trace is being recorded: about a quarter of the worker's CPU per job. Here nothing is
 * tracked until a context is run, and in Lambda, where the X-Ray SDK enters one context at
 * start-up and the tracer then only reads and writes it, nothing ever is.
 *
 * The X-Ray SDK and the Powertools tracer use `createNamespace`, `getNamespace`,
 * `destroyNamespace` and, on a namespace, `get`, `set`, `createContext`, `enter`, `run` and
 * `bind`; they behave as in `cls-hooked` (a test runs the same scenarios against both). A
 * context entered outside any `run` is the process's context from then on, as it is for
 * `cls-hooked`, whose entered context stays active until it is exited.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export type Context = Record<string | symbol, unknown>;

export class Namespace {
  readonly name: string;
  readonly #storage = new AsyncLocalStorage<Context>();
  /** The context entered outside of any `run` or `bind`: active wherever none is running. */
  #entered: Context | undefined;

  constructor(name: string) {
    this.name = name;
  }

  /** The current context, or `undefined` outside of any. */
  get active(): Context | undefined {
    return this.#storage.getStore() ?? this.#entered;
  }

  /** Sets `key` in the current context; throws outside of any context. */
  set<T>(key: string, value: T): T {
    const context = this.active;
    if (!context) {
      throw new Error('No context available. ns.run() or ns.bind() must be called first.');
    }
    context[key] = value;
    return value;
  }

  /** `key` in the current context or those it inherits from; `undefined` outside of any. */
  get(key: string): unknown {
    return this.active?.[key];
  }

  /** A new context that inherits the current one's values. */
  createContext(): Context {
    const context = Object.create(this.active ?? Object.prototype) as Context;
    context._ns_name = this.name;
    return context;
  }

  /** Makes `context` current for the rest of this execution and what it starts. */
  enter(context: Context): void {
    if (this.#storage.getStore() === undefined) this.#entered = context;
    else this.#storage.enterWith(context);
  }

  /** Runs `fn` in a new context that inherits the current one; returns that context. */
  run(fn: (context: Context) => void): Context {
    const context = this.createContext();
    this.#storage.run(context, fn, context);
    return context;
  }

  /** `fn` bound to `context` (by default the current one, or a new one outside of any). */
  bind<F extends (...args: never[]) => unknown>(fn: F, context?: Context): F {
    const bound = context ?? this.active ?? this.createContext();
    const storage = this.#storage;
    return function (this: unknown, ...args: Parameters<F>) {
      return storage.run(bound, () => fn.apply(this, args));
    } as F;
  }
}

const namespaces = new Map<string, Namespace>();

export function getNamespace(name: string): Namespace | undefined {
  return namespaces.get(name);
}

export function createNamespace(name: string): Namespace {
  if (!name) throw new Error('namespace must be given a name.');
  const namespace = new Namespace(name);
  namespaces.set(name, namespace);
  return namespace;
}

export function destroyNamespace(name: string): void {
  if (!namespaces.has(name)) throw new Error(`can't delete nonexistent namespace! "${name}"`);
  namespaces.delete(name);
}
