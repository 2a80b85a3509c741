/**
 * Secret handling: values are wrapped on the way in, so that no serialiser can print them,
 * and every value currently held is known to a scrubber that cleans free text (error
 * messages, log lines) before it leaves the process.
 */

export const REDACTED = '[REDACTED]';

/** Secrets shorter than this are not scrubbed from free text: they would mangle it. */
const MIN_SCRUB_LENGTH = 4;

/**
 * A value that serialises as `[REDACTED]` everywhere (JSON, `util.inspect`, string
 * conversion). Only `reveal()` gives the value.
 */
export class Secret<T> {
  readonly #value: T;

  constructor(value: T) {
    this.#value = value;
  }

  /** The wrapped value: call it only where the value is used, never to log it. */
  reveal(): T {
    return this.#value;
  }

  toJSON(): string {
    return REDACTED;
  }

  toString(): string {
    return REDACTED;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${REDACTED})`;
  }
}

/**
 * Knows the secret values held by the process right now and removes them from text.
 * Values are reference-counted: the same credential may belong to several jobs.
 *
 * Values are indexed by their first characters rather than compiled into one regular
 * expression: jobs start and finish all the time, and recompiling an alternation of every
 * held value at each change cost more CPU per job than the job's own API calls.
 */
export class SecretScrubber {
  readonly #counts = new Map<string, number>();
  /** Held values by their first {@link MIN_SCRUB_LENGTH} characters, longest first. */
  readonly #byPrefix = new Map<string, string[]>();

  /** Registers values; returns a function that forgets them again. */
  hold(values: Iterable<string>): () => void {
    const held = [...values].filter((value) => value.length >= MIN_SCRUB_LENGTH);
    for (const value of held) {
      const count = this.#counts.get(value) ?? 0;
      this.#counts.set(value, count + 1);
      if (count === 0) this.#index(value);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const value of held) {
        const count = (this.#counts.get(value) ?? 1) - 1;
        if (count > 0) {
          this.#counts.set(value, count);
          continue;
        }
        this.#counts.delete(value);
        this.#unindex(value);
      }
    };
  }

  /** How many distinct values are held. */
  get size(): number {
    return this.#counts.size;
  }

  /**
   * Replaces every held secret value in `text` with `[REDACTED]`: scanning left to right,
   * the longest value starting at a position wins (as a regex alternation sorted by length).
   */
  scrub(text: string): string {
    if (this.#counts.size === 0 || text.length < MIN_SCRUB_LENGTH) return text;
    let scrubbed: string | undefined;
    let copied = 0;
    for (let at = 0; at <= text.length - MIN_SCRUB_LENGTH; ) {
      const candidates = this.#byPrefix.get(text.slice(at, at + MIN_SCRUB_LENGTH));
      const found = candidates?.find((value) => text.startsWith(value, at));
      if (found === undefined) {
        at++;
        continue;
      }
      scrubbed = `${scrubbed ?? ''}${text.slice(copied, at)}${REDACTED}`;
      at += found.length;
      copied = at;
    }
    return scrubbed === undefined ? text : scrubbed + text.slice(copied);
  }

  /** A `JSON.stringify` replacer that scrubs every string it meets. */
  readonly jsonReplacer = (_key: string, value: unknown): unknown =>
    typeof value === 'string' ? this.scrub(value) : value;

  #index(value: string): void {
    const prefix = value.slice(0, MIN_SCRUB_LENGTH);
    const bucket = this.#byPrefix.get(prefix) ?? [];
    bucket.push(value);
    bucket.sort((a, b) => b.length - a.length);
    this.#byPrefix.set(prefix, bucket);
  }

  #unindex(value: string): void {
    const prefix = value.slice(0, MIN_SCRUB_LENGTH);
    const bucket = this.#byPrefix.get(prefix)?.filter((held) => held !== value) ?? [];
    if (bucket.length > 0) this.#byPrefix.set(prefix, bucket);
    else this.#byPrefix.delete(prefix);
  }
}
