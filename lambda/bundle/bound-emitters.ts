/**
 * `bindEmitter` of the `cls-hooked` substitute (`async-local-namespace.ts`): a listener added
 * to a bound emitter is remembered with the context each bound namespace had then, and is run
 * in those contexts whenever the event is emitted. As in `cls-hooked`, the emitter's own
 * `on`, `addListener` and `emit` are replaced, and while an event is emitted its listeners
 * are swapped for bound ones in the emitter's listener store, so that Node's emit loop,
 * `once` and the removal of a listener keep working on the listeners as they were added.
 */

/** The values a namespace holds for one context, as `cls-hooked` keeps them. */
export type Context = Record<string | symbol, unknown>;

type Listener = (...args: unknown[]) => unknown;
type Stored = Listener | Listener[] | undefined;

/** What a namespace does for a bound emitter. */
interface Binder {
  readonly active: Context | null;
  bind<F extends (...args: never[]) => unknown>(fn: F, context?: Context): F;
}

/** What binding needs of an emitter: Node's `EventEmitter` and its `_events` store. */
export interface BindableEmitter {
  on: (event: string | symbol, listener: Listener) => unknown;
  addListener: (event: string | symbol, listener: Listener) => unknown;
  emit: (event: string | symbol, ...args: unknown[]) => boolean;
  removeListener?: (event: string | symbol, listener: Listener) => unknown;
  _events?: Record<string | symbol, Stored>;
}

/** The namespaces each bound emitter runs its listeners in. */
const emitterBinders = new WeakMap<object, Set<Binder>>();
/** For each listener added to a bound emitter: the context of each namespace at that time. */
const listenerContexts = new WeakMap<Listener, Map<Binder, Context | null>>();

const asList = (stored: Stored): Listener[] =>
  stored === undefined ? [] : typeof stored === 'function' ? [stored] : stored;

const mapStored = (stored: Stored, map: (listener: Listener) => Listener): Stored =>
  stored === undefined ? undefined : typeof stored === 'function' ? map(stored) : stored.map(map);

/** `listener` wrapped to run in the contexts remembered for it, if any. */
function inContexts(listener: Listener): Listener {
  let wrapped = listener;
  for (const [binder, context] of listenerContexts.get(listener) ?? []) {
    wrapped = binder.bind(wrapped, context ?? undefined);
  }
  return wrapped;
}

/** Binds `emitter` to `binder`; an emitter already bound to another namespace gains one more. */
export function bindEmitterTo(emitter: BindableEmitter, binder: Binder): void {
  if (!emitter.removeListener) throw new Error('can only wrap real EEs');
  const binders = emitterBinders.get(emitter);
  if (binders) {
    binders.add(binder);
    return;
  }
  const bound = new Set([binder]);
  emitterBinders.set(emitter, bound);
  for (const method of ['on', 'addListener'] as const) {
    const add = emitter[method];
    emitter[method] = function (this: BindableEmitter, event, listener) {
      const before = asList(this._events?.[event]);
      const result = add.call(this, event, listener);
      for (const added of asList(this._events?.[event])) {
        if (before.includes(added)) continue;
        const contexts = listenerContexts.get(added) ?? new Map<Binder, Context | null>();
        for (const each of bound) contexts.set(each, each.active);
        listenerContexts.set(added, contexts);
      }
      return result;
    };
  }
  const emit = emitter.emit;
  emitter.emit = function (this: BindableEmitter, event, ...args) {
    if (!this._events?.[event]) return emit.call(this, event, ...args);
    return emitInContexts(this, event, () => emit.call(this, event, ...args));
  };
}

/**
 * Runs `emit` with the listeners of `event` swapped for bound ones; a listener removed or
 * added meanwhile is removed or kept once the swap is undone.
 */
function emitInContexts<T>(emitter: BindableEmitter, event: string | symbol, emit: () => T): T {
  const originals = new Map<Listener, Listener>();
  const bind = (stored: Stored) =>
    mapStored(stored, (listener) => {
      const wrapped = inContexts(listener);
      if (wrapped !== listener) originals.set(wrapped, listener);
      return wrapped;
    });
  const unbind = (stored: Stored) =>
    mapStored(stored, (listener) => originals.get(listener) ?? listener);
  const swap = (map: (stored: Stored) => Stored) => {
    const events = emitter._events;
    if (events?.[event]) events[event] = map(events[event]);
  };
  const restore = overrideRemovers(emitter, (remove) => {
    swap(unbind);
    try {
      return remove();
    } finally {
      swap(bind);
    }
  });
  swap(bind);
  try {
    return emit();
  } finally {
    restore();
    swap(unbind);
  }
}

/**
 * Makes `removeListener` and `off` of `emitter` work on the listeners as they were added
 * while an event is emitted; returns what undoes it.
 */
function overrideRemovers(
  emitter: BindableEmitter,
  around: (remove: () => unknown) => unknown,
): () => void {
  const target = emitter as unknown as Record<string, unknown>;
  const saved = ['removeListener', 'off'].map((name) => {
    const own = Object.getOwnPropertyDescriptor(target, name);
    const remove = target[name];
    if (typeof remove === 'function') {
      target[name] = function (this: unknown, ...args: unknown[]) {
        return around(() => remove.apply(this, args));
      };
    }
    return { name, own };
  });
  return () => {
    for (const { name, own } of saved) {
      if (own) Object.defineProperty(target, name, own);
      else delete target[name];
    }
  };
}
