/**
 * Small files of a listing read (and deflated) ahead of the zip writer, several at a time,
 * claimed in listing order, within a bound on the bytes held.
 */
import { BLOCK_BYTES, type ListedFile, TINY_BYTES } from './zip-file-data.js';
import type { ZipWholeData } from './zip-writer.js';

/** Files whose reading may be under way at once. */
const READERS = 8;
/** Bytes of small files (above {@link TINY_BYTES}) read (and deflated) ahead of the entry being written. */
const AHEAD_BYTES = 16 * 1024 * 1024;
/** What each file read ahead counts for besides its bytes: bounds the entries ahead. */
const ENTRY_COST = 16 * 1024;
/** Bytes that may be held at once, given out in the order asked for. */
class ByteBudget {
  readonly #limit: number;
  #used = 0;
  readonly #waiting: { bytes: number; grant: () => void }[] = [];

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Resolves once `bytes` are granted (at once when nothing is held, whatever their size). */
  acquire(bytes: number): Promise<void> {
    if (this.#waiting.length === 0 && this.#fits(bytes)) {
      this.#used += bytes;
      return Promise.resolve();
    }
    return new Promise((grant) => this.#waiting.push({ bytes, grant }));
  }

  release(bytes: number): void {
    this.#used -= bytes;
    for (let first = this.#waiting[0]; first && this.#fits(first.bytes); first = this.#waiting[0]) {
      this.#waiting.shift();
      this.#used += first.bytes;
      first.grant();
    }
  }

  /** Grants every request waiting: the run is over, and what waits must see it. */
  releaseAll(): void {
    for (const waiting of this.#waiting.splice(0)) waiting.grant();
  }

  #fits(bytes: number): boolean {
    return this.#used === 0 || this.#used + bytes <= this.#limit;
  }
}

/** A small file's data, read ahead, awaited by the writer. */
interface Slot {
  readonly data: Promise<ZipWholeData>;
  readonly resolve: (data: ZipWholeData) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Reads the small files of `listed` ahead of the writer, several at a time and in listing
 * order, within {@link AHEAD_BYTES}; the writer takes each file's data with {@link take}.
 */
export class ReadAhead {
  readonly #count: number;
  readonly #fileAt: (index: number) => ListedFile | undefined;
  readonly #read: (file: ListedFile) => Promise<ZipWholeData>;
  readonly #budget = new ByteBudget(AHEAD_BYTES);
  readonly #slots = new Map<number, Slot>();
  #next = 0;
  #stopped = false;

  /**
   * @param count - the entries of the listing
   * @param fileAt - the file at an index of the listing, undefined for another kind of entry
   * @param read - reads a file's data
   */
  constructor(
    count: number,
    fileAt: (index: number) => ListedFile | undefined,
    read: (file: ListedFile) => Promise<ZipWholeData>,
  ) {
    this.#count = count;
    this.#fileAt = fileAt;
    this.#read = read;
    for (let reader = 0; reader < READERS; reader++) void this.#work();
  }

  /** The data of the small file at `index` of the listing. */
  async take(index: number, file: ListedFile): Promise<ZipWholeData> {
    const slot = this.#slot(index);
    try {
      return await slot.data;
    } finally {
      this.#slots.delete(index);
      this.#budget.release(cost(file));
    }
  }

  /** Stops reading ahead (the run failed or its reader went away). */
  stop(): void {
    this.#stopped = true;
    this.#budget.releaseAll();
  }

  async #work(): Promise<void> {
    while (!this.#stopped) {
      const claimed = this.#claim();
      if (claimed === undefined) return;
      const { index, file } = claimed;
      await this.#budget.acquire(cost(file));
      if (this.#stopped) return;
      const slot = this.#slot(index);
      await this.#read(file).then(slot.resolve, slot.reject);
    }
  }

  /** The slot of the file at `index`, made by whichever of the reader and the writer comes first. */
  #slot(index: number): Slot {
    let slot = this.#slots.get(index);
    if (!slot) {
      let resolve: Slot['resolve'] = () => undefined;
      let reject: Slot['reject'] = () => undefined;
      const data = new Promise<ZipWholeData>((yes, no) => {
        resolve = yes;
        reject = no;
      });
      // Read ahead: its failure is the writer's to report, when it reaches this file.
      data.catch(() => undefined);
      slot = { data, resolve, reject };
      this.#slots.set(index, slot);
    }
    return slot;
  }

  /** The next small file's index (claimed in listing order), or undefined at the end. */
  #claim(): { index: number; file: ListedFile } | undefined {
    while (this.#next < this.#count) {
      const index = this.#next++;
      const file = this.#fileAt(index);
      if (file && isSmall(file)) return { index, file };
    }
    return undefined;
  }
}

function cost(file: ListedFile): number {
  return file.size + ENTRY_COST;
}

/** Whether a file is read ahead: above {@link TINY_BYTES}, at most {@link BLOCK_BYTES}. */
function isSmall(file: ListedFile): boolean {
  return file.size > TINY_BYTES && file.size <= BLOCK_BYTES;
}
