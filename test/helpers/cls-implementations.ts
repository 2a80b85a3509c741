/**
 * The two implementations of `cls-hooked/context` the tests compare: the real package and the
 * AsyncLocalStorage module the deployed bundle uses instead. A scenario runs against each
 * with a namespace of its own, and what each observes must be the same.
 */
import type { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import * as substitute from '../../lambda/bundle/async-local-namespace.js';

export type ClsContext = Record<string, unknown>;

/** A namespace, as `cls-hooked` documents it. */
export interface Ns {
  readonly name: string;
  readonly active: ClsContext | null;
  get(key: string): unknown;
  set<T>(key: string, value: T): T;
  createContext(): ClsContext;
  enter(context: object | undefined): void;
  exit(context: object | undefined): void;
  run(fn: (context: ClsContext) => void): ClsContext;
  runAndReturn<T>(fn: (context: ClsContext) => T): T;
  runPromise<T>(fn: (context: ClsContext) => Promise<T>): Promise<T>;
  bind<F extends (...args: never[]) => unknown>(fn: F, context?: object): F;
  bindEmitter(emitter: EventEmitter): void;
  fromException(error: unknown): ClsContext | undefined;
}

/** The module, as `cls-hooked` and `cls-hooked/context` export it. */
export interface Cls {
  getNamespace(name: string): Ns | null | undefined;
  createNamespace(name: string): Ns;
  destroyNamespace(name: string): void;
  reset(): void;
  readonly ERROR_SYMBOL: string;
}

export const realCls = createRequire(import.meta.url)('cls-hooked/context') as Cls;

export const CLS_IMPLEMENTATIONS: Readonly<Record<'cls-hooked' | 'async-local-namespace', Cls>> = {
  'cls-hooked': realCls,
  'async-local-namespace': substitute as unknown as Cls,
};

let namespaces = 0;

/** A namespace name no test has used yet. */
export const freshName = (prefix = 'test') => `${prefix}-${++namespaces}`;

/** Runs `scenario` against both implementations, each with a namespace of its own. */
export async function observe(
  scenario: (ns: Ns, log: (value: unknown) => void, cls: Cls) => Promise<void> | void,
): Promise<Record<string, unknown[]>> {
  const seen: Record<string, unknown[]> = {};
  for (const [name, cls] of Object.entries(CLS_IMPLEMENTATIONS)) {
    const log: unknown[] = [];
    await scenario(cls.createNamespace(freshName()), (value) => log.push(value), cls);
    seen[name] = log;
  }
  return seen;
}

/** The error `fn` throws, as `name: message` (or `no error`). */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (error) {
    return describeError(error);
  }
}

/** An error as `name: message` (its first line), with its assertion code when it has one. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `thrown ${typeof error}: ${String(error)}`;
  const code = (error as { code?: unknown }).code;
  return `${error.name}${code ? ` [${String(code)}]` : ''}: ${error.message.split('\n')[0]?.trimEnd()}`;
}
