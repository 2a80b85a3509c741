/**
 * Stands in for `cls-hooked` and `cls-hooked/context` in the deployed bundle (see
 * `lib/bundle-substitutes.ts`): the continuation-local storage the X-Ray SDK keeps the
 * current segment in, and that a processor may use itself, built on Node's
 * `AsyncLocalStorage` instead of `async_hooks`.
 *
 * `cls-hooked` installs an async hook with a destroy callback for every namespace as soon as
 * it is created (the X-Ray SDK creates one when it loads), so every promise the process
 * creates is tracked until it is garbage-collected, whether or not a trace is being recorded:
 * about a quarter of the worker's CPU per job. Here nothing is tracked: a context is handed
 * on by `AsyncLocalStorage`, and in Lambda, where the X-Ray SDK enters one context at
 * start-up and the tracer then only reads and writes it, nothing ever is.
 *
 * Both import paths resolve to this one module, so every importer shares one registry of
 * namespaces, as they share `process.namespaces` with the real package. The whole public API
 * of `cls-hooked/context` is here, with its behaviour (a test runs the same scenarios against
 * both): a context entered and not exited stays current for what follows, as with
 * `cls-hooked`'s stack of contexts. Where the two differ is only in what `cls-hooked` lets
 * leak: a context entered (and never exited) inside a callback that runs in another context
 * stays, here, with that callback and what it starts, where `cls-hooked` leaves it current
 * for whatever callback runs next.
 */
import type { AssertionError } from 'node:assert';
import { AsyncLocalStorage, executionAsyncId } from 'node:async_hooks';
import { type BindableEmitter, bindEmitterTo, type Context } from './bound-emitters.js';

export type { Context } from './bound-emitters.js';

/** The property an error thrown in a context carries it in (`cls-hooked`'s name). */
export const ERROR_SYMBOL = 'error@context';

/** A context and those entered before it: what exiting it goes back to. */
interface Frame {
  readonly context: Context;
  readonly below: Frame | undefined;
}

/** Fails as `cls-hooked`'s `assert.ok` does; `node:assert` is loaded only then. */
function assertOk(value: unknown, message: string): void {
  if (value) return;
  const assert = process.getBuiltinModule('node:assert') as {
    AssertionError: new (options: object) => AssertionError;
  };
  throw new assert.AssertionError({ message, actual: value, expected: true, operator: '==' });
}

/** Marks an error with the context it was thrown in, as `cls-hooked` does (strict mode). */
function mark(error: unknown, context: Context): void {
  (error as Record<string, unknown>)[ERROR_SYMBOL] = context;
}

/** Frame `frame` without the first one holding `context`, or `undefined` if none holds it. */
function without(frame: Frame | undefined, context: Context): { rest: Frame | undefined } | null {
  if (frame === undefined) return null;
  if (frame.context === context) return { rest: frame.below };
  const below = without(frame.below, context);
  return below && { rest: { context: frame.context, below: below.rest } };
}

export class Namespace {
  readonly name: string;
  readonly #storage = new AsyncLocalStorage<Frame | undefined>();
  /**
   * The frame of code that runs in no context of its own: callbacks of work started before
   * anything was entered. A context entered there stays current everywhere, as the X-Ray
   * SDK's facade segment does in Lambda.
   */
  #background: Frame | undefined;

  constructor(name: string) {
    this.name = name;
  }

  get #frame(): Frame | undefined {
    return this.#storage.getStore() ?? this.#background;
  }

  /** The current context, or `null` outside of any. */
  get active(): Context | null {
    return this.#frame?.context ?? null;
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
    context.id = executionAsyncId();
    return context;
  }

  /** Makes `context` current for the rest of this execution and the work it starts. */
  enter(context: Context): void {
    assertOk(context, 'context must be provided for entering');
    this.#move({ context, below: this.#frame });
  }

  /**
   * Leaves `context`: the one current before it becomes current again if it is on top,
   * otherwise it is taken out from below the top.
   */
  exit(context: Context): void {
    assertOk(context, 'context must be provided for exiting');
    const rest = without(this.#frame, context);
    if (!rest) {
      assertOk(false, "context not currently entered; can't exit. \n");
      return;
    }
    this.#move(rest.rest);
  }

  /** Runs `fn` in a new context that inherits the current one; returns that context. */
  run(fn: (context: Context) => void): Context {
    const context = this.createContext();
    this.enter(context);
    try {
      fn(context);
      return context;
    } catch (error) {
      if (error) mark(error, context);
      throw error;
    } finally {
      this.exit(context);
    }
  }

  /** {@link run}, returning what `fn` returns. */
  runAndReturn<T>(fn: (context: Context) => T): T {
    let value: T | undefined;
    this.run((context) => {
      value = fn(context);
    });
    return value as T;
  }

  /**
   * Runs `fn` in a new context that stays current until the promise it returns settles; a
   * rejection carries the context.
   */
  runPromise<T>(fn: (context: Context) => Promise<T>): Promise<T> {
    const context = this.createContext();
    this.enter(context);
    const promise = fn(context);
    if (!promise?.then || !promise.catch) throw new Error('fn must return a promise.');
    return promise
      .then((result) => {
        this.exit(context);
        return result;
      })
      .catch((error: unknown) => {
        mark(error, context);
        this.exit(context);
        throw error;
      });
  }

  /** `fn` bound to `context` (by default the current one, or a new one outside of any). */
  bind<F extends (...args: never[]) => unknown>(fn: F, context?: Context): F {
    const bound = context || this.active || this.createContext();
    const namespace = this;
    return function (this: unknown, ...args: Parameters<F>) {
      namespace.enter(bound);
      try {
        return fn.apply(this, args);
      } catch (error) {
        if (error) mark(error, bound);
        throw error;
      } finally {
        namespace.exit(bound);
      }
    } as F;
  }

  /**
   * Runs each listener that is added to `emitter` from now on in the context current when it
   * was added (or, if none was, in the one current when the event is emitted).
   */
  bindEmitter(emitter: BindableEmitter): void {
    const { on, addListener, emit } = emitter as Partial<BindableEmitter>;
    assertOk(on && addListener && emit, 'can only bind real EEs');
    bindEmitterTo(emitter, this);
  }

  /** The context an error thrown in this namespace was thrown in. */
  fromException(error: unknown): Context | undefined {
    return (error as Record<string, Context | undefined>)[ERROR_SYMBOL];
  }

  /**
   * Makes `frame` current. The frame of code outside any context follows when it is the one
   * being changed, so that what is entered there stays current everywhere.
   */
  #move(frame: Frame | undefined): void {
    if (this.#frame === this.#background) this.#background = frame;
    this.#storage.enterWith(frame);
  }
}

// The registry. A destroyed name maps to `null`, as in `cls-hooked`.
let namespaces = new Map<string, Namespace | null>();

/** The namespace created under `name`: `undefined` if none was, `null` once destroyed. */
export function getNamespace(name: string): Namespace | null | undefined {
  return namespaces.get(name);
}

/** Creates a namespace and registers it under `name`, replacing any other. */
export function createNamespace(name: string): Namespace {
  assertOk(name, 'namespace must be given a name.');
  const namespace = new Namespace(name);
  namespaces.set(name, namespace);
  return namespace;
}

/** Removes `name` from the registry (its namespace keeps working for those who hold it). */
export function destroyNamespace(name: string): void {
  assertOk(getNamespace(name), `can't delete nonexistent namespace! "${name}"`);
  namespaces.set(name, null);
}

/**
 * Destroys every namespace and starts a new registry. As in `cls-hooked`, a name destroyed
 * before makes it throw.
 */
export function reset(): void {
  for (const name of namespaces.keys()) destroyNamespace(name);
  namespaces = new Map();
}

/** The module as `require('cls-hooked')` gives it, for default imports of the package. */
export default { getNamespace, createNamespace, destroyNamespace, reset, ERROR_SYMBOL };
