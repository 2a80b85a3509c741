/**
 * A virtual clock for simulations: it owns `now()` and `sleep(ms)`, and moves time forward only
 * when nothing else can run. Each step lets every pending promise settle (a `setImmediate`
 * turn: Node empties the microtask queue before it), then jumps to the earliest due sleep and
 * wakes it; sleeps due at the same time wake in the order they were made. Code driven by it
 * must do no real I/O and wait on no real timer: only then does "nothing runnable" mean that
 * everything waits for the clock.
 */

interface Sleeper {
  readonly at: number;
  readonly order: number;
  readonly wake: () => void;
}

/** Resolves once every promise that can settle now has settled. */
export const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class VirtualClock {
  #now: number;
  #order = 0;
  /** Pending sleeps, kept sorted by due time, then by order. */
  readonly #sleepers: Sleeper[] = [];

  constructor(start: number) {
    this.#now = start;
  }

  /** The virtual time, epoch ms. */
  readonly now = (): number => this.#now;

  /** Resolves when the clock reaches now + `ms` (at once when `ms` is 0 or less, next step). */
  readonly sleep = (ms: number): Promise<void> =>
    new Promise<void>((wake) => {
      const sleeper = { at: this.#now + Math.max(0, ms), order: this.#order++, wake };
      // Binary search for the first sleeper due after this one.
      let low = 0;
      let high = this.#sleepers.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        const other = this.#sleepers[mid] as Sleeper;
        if (other.at <= sleeper.at) low = mid + 1;
        else high = mid;
      }
      this.#sleepers.splice(low, 0, sleeper);
    });

  /** Sleeps until the virtual time `at`. */
  readonly sleepUntil = (at: number): Promise<void> => this.sleep(at - this.#now);

  /** Sleeps not yet woken. */
  get pending(): number {
    return this.#sleepers.length;
  }

  /**
   * Runs until `done()` holds once everything has settled, or no sleep is left: each step
   * settles every promise, then wakes the earliest sleep and moves the clock to its time.
   *
   * @returns whether `done()` held (false: nothing was left to wake)
   */
  async run(done: () => boolean = () => false): Promise<boolean> {
    for (;;) {
      await settled();
      if (done()) return true;
      const next = this.#sleepers.shift();
      if (!next) return false;
      this.#now = Math.max(this.#now, next.at);
      next.wake();
    }
  }
}

/** A seeded PRNG (mulberry32): the emulator's, the same draws for the same seed. */
export { seededRandom } from '../local/emulator/random.js';
