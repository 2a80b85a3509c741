/**
 * The entries of an extraction whose data is being written, several at once within a bound on
 * their number and on the bytes they hold, and the failure that stops the extraction: the one
 * of the earliest entry in archive order, so that the error does not depend on which entry
 * happened to finish first.
 */

/** A failure of the entry at `index` (its position in the archive). */
export interface EntryFailure {
  readonly index: number;
  readonly error: unknown;
}

/** Entries in flight, bounded in number and in bytes held. */
export class EntryPool {
  readonly #running = new Set<Promise<void>>();
  #bytes = 0;
  #failure: EntryFailure | undefined;

  /**
   * @param maxEntries - most entries in flight at once
   * @param maxBytes - most bytes they hold at once (one entry may hold more, alone)
   */
  constructor(
    private readonly maxEntries: number,
    private readonly maxBytes: number,
  ) {}

  /**
   * Waits for room for an entry that holds `bytes`, then starts `work` for it (which runs on
   * while the caller goes on to the next entry).
   *
   * @throws the earliest failure of an entry in flight, once one has failed
   */
  async start(index: number, bytes: number, work: () => Promise<void>): Promise<void> {
    while (
      this.#running.size > 0 &&
      (this.#running.size >= this.maxEntries || this.#bytes + bytes > this.maxBytes)
    ) {
      this.#throwIfFailed();
      await Promise.race(this.#running);
    }
    this.#throwIfFailed();
    this.#bytes += bytes;
    const running: Promise<void> = work().then(
      () => this.#settle(running, bytes),
      (error: unknown) => {
        this.#settle(running, bytes);
        if (!this.#failure || index < this.#failure.index) this.#failure = { index, error };
      },
    );
    this.#running.add(running);
  }

  /**
   * Waits until every entry in flight has settled, then throws the earliest failure, if any.
   */
  async finish(): Promise<void> {
    await this.settled();
    this.#throwIfFailed();
  }

  /** Waits until every entry in flight has settled; the earliest failure among them, if any. */
  async settled(): Promise<EntryFailure | undefined> {
    while (this.#running.size > 0) await Promise.all(this.#running);
    return this.#failure;
  }

  #settle(running: Promise<void>, bytes: number): void {
    this.#running.delete(running);
    this.#bytes -= bytes;
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
