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
 */
export class SecretScrubber {
  readonly #counts = new Map<string, number>();
  #pattern: RegExp | undefined;

  /** Registers values; returns a function that forgets them again. */
  hold(values: Iterable<string>): () => void {
    const held = [...values].filter((value) => value.length >= MIN_SCRUB_LENGTH);
    for (const value of held) this.#counts.set(value, (this.#counts.get(value) ?? 0) + 1);
    if (held.length > 0) this.#pattern = undefined;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const value of held) {
        const count = (this.#counts.get(value) ?? 1) - 1;
        if (count <= 0) this.#counts.delete(value);
        else this.#counts.set(value, count);
      }
      if (held.length > 0) this.#pattern = undefined;
    };
  }

  /** How many distinct values are held. */
  get size(): number {
    return this.#counts.size;
  }

  /** Replaces every held secret value in `text` with `[REDACTED]`. */
  scrub(text: string): string {
    if (this.#counts.size === 0 || text.length < MIN_SCRUB_LENGTH) return text;
    this.#pattern ??= new RegExp(
      [...this.#counts.keys()]
        .sort((a, b) => b.length - a.length)
        .map((value) => value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('|'),
      'g',
    );
    return text.replace(this.#pattern, REDACTED);
  }

  /** A `JSON.stringify` replacer that scrubs every string it meets. */
  readonly jsonReplacer = (_key: string, value: unknown): unknown =>
    typeof value === 'string' ? this.scrub(value) : value;
}
