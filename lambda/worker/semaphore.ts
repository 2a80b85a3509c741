/**
 * A counting semaphore whose waits end at a signal: a bound on how many calls of one kind are
 * under way at once, for work that must give up waiting at a deadline rather than wait forever.
 */

/** At most `permits` holders at once; the others wait, first come first served. */
export class Semaphore {
  #free: number;
  /** Each waiter's grant, in arrival order; a waiter whose signal aborts leaves it. */
  readonly #waiting = new Set<() => void>();

  /**
   * @param permits - how many may hold it at once, at least 1
   */
  constructor(permits: number) {
    if (!Number.isSafeInteger(permits) || permits < 1) {
      throw new RangeError(`a semaphore needs at least 1 permit (got ${permits})`);
    }
    this.#free = permits;
  }

  /** How many wait for a permit now. */
  get waiting(): number {
    return this.#waiting.size;
  }

  /**
   * Takes a permit, waiting for one if none is free, until `signal` aborts.
   *
   * @param signal - ends the wait: no permit is taken once it has aborted
   * @returns true with a permit (give it back with {@link release}), false without one
   * @example
   * if (await sending.acquire(signal)) {
   *   try { await send(); } finally { sending.release(); }
   * }
   */
  acquire(signal: AbortSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const grant = () => {
        signal.removeEventListener('abort', giveUp);
        resolve(true);
      };
      const giveUp = () => {
        this.#waiting.delete(grant);
        resolve(false);
      };
      this.#waiting.add(grant);
      signal.addEventListener('abort', giveUp, { once: true });
    });
  }

  /** Gives a permit back: to the first waiter, or to the free ones. */
  release(): void {
    const [next] = this.#waiting;
    if (next === undefined) {
      this.#free++;
      return;
    }
    this.#waiting.delete(next);
    next();
  }
}
