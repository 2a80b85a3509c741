/**
 * A zip archive's bytes as a readable stream, for {@link ZipWriter}'s output: gathered into
 * chunks of about {@link CHUNK_BYTES}, so that the part assembly downstream (lib-storage
 * copies a part's chunks into one buffer) gets a few large chunks, not many small ones.
 */
import { Readable } from 'node:stream';

/** Bytes gathered before they are passed on: the output's chunks, bar large blocks. */
const CHUNK_BYTES = 1024 * 1024;

/**
 * The archive's bytes as a readable stream, with {@link ArchiveOutput.ready} resolving when
 * the reader wants more.
 */
export class ArchiveOutput {
  readonly stream: Readable;
  #gathered: Buffer[] = [];
  #gatheredBytes = 0;
  #wake: (() => void) | undefined;
  #full = false;
  #stopped = false;

  constructor() {
    this.stream = new Readable({
      highWaterMark: CHUNK_BYTES,
      read: () => this.#resume(),
      destroy: (error, callback) => {
        this.#stopped = true;
        this.#resume();
        callback(error);
      },
    });
  }

  /** Whether the reader went away (the stream was destroyed). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Takes bytes of the archive, in order. */
  emit(chunk: Buffer): void {
    if (chunk.length >= CHUNK_BYTES) {
      this.flush();
      this.#push(chunk);
      return;
    }
    this.#gathered.push(chunk);
    this.#gatheredBytes += chunk.length;
    if (this.#gatheredBytes >= CHUNK_BYTES) this.flush();
  }

  /** Passes on what is gathered. */
  flush(): void {
    if (this.#gatheredBytes === 0) return;
    const chunk =
      this.#gathered.length === 1
        ? (this.#gathered[0] as Buffer)
        : Buffer.concat(this.#gathered, this.#gatheredBytes);
    this.#gathered = [];
    this.#gatheredBytes = 0;
    this.#push(chunk);
  }

  /** Resolves when the reader wants more (or went away). */
  async ready(): Promise<void> {
    while (this.#full && !this.#stopped) {
      await new Promise<void>((wake) => {
        this.#wake = wake;
      });
    }
  }

  end(): void {
    this.flush();
    if (!this.#stopped) this.stream.push(null);
  }

  #push(chunk: Buffer): void {
    if (this.#stopped) return;
    if (!this.stream.push(chunk)) this.#full = true;
  }

  #resume(): void {
    this.#full = false;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
