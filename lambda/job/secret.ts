/**
 * Secret values as a processor receives them: wrapped, so that no serialiser prints them.
 */

export const REDACTED = '[REDACTED]';

/**
 * The shortest secret value the worker accepts. A job whose secret configuration value is
 * shorter (and not empty) is failed with a `ConfigurationError` before its processor runs: so
 * short a value cannot be removed from free text without mangling it (a 4-digit value is part
 * of every timestamp), and its encoded forms are too short to be told from other text. Eight
 * is also the shortest secret NIST SP 800-63B allows. Artifact credentials are far longer.
 */
export const MIN_SECRET_LENGTH = 8;

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
