/**
 * Secret handling: values are wrapped on the way in, so that no serialiser can print them,
 * and every value currently held is known to a scrubber that cleans free text (error
 * messages, log lines) before it leaves the process, in the forms a value takes when it leaks
 * (escaped in JSON, in a URL, in base64 or hex, upper- or lower-cased).
 */
import { MIN_SECRET_LENGTH, REDACTED } from '../job/secret.js';
import { stringReplacer } from './safe-text.js';

/** How many first characters of a form index it: no form is shorter than this. */
const PREFIX_LENGTH = 4;

/**
 * The forms in which `value` may appear in text, the value itself first: upper- and
 * lower-cased; escaped in a JSON string (as it is, with non-ASCII characters and `/` escaped,
 * and escaped twice, for JSON inside a JSON string); URL-encoded (as a path segment and as a
 * form value, with upper- or lower-case hex digits); its UTF-8 bytes in hex, lower- and
 * upper-case (a digest input, a dump of a buffer: hex gives each byte two characters, so the
 * value's hex is the same wherever its bytes fall); and in base64 and base64url. Base64
 * encodes three bytes in four characters, so the value's characters depend on where its bytes
 * fall in the encoded data (`user:secret` in a Basic-auth header): for each of the three
 * alignments, the form is the run of characters that only the value's bytes decide.
 * Forms shorter than {@link MIN_SECRET_LENGTH} are left out: they would match other text.
 *
 * @param value - a secret value
 */
export function secretForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const asciiJson = /[\u0080-\uffff]/.test(json)
    ? json.replace(
        /[\u0080-\uffff]/g,
        (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
      )
    : json;
  // A lone surrogate cannot be URL-encoded (encodeURIComponent throws): UTF-8 makes it U+FFFD,
  // as URLSearchParams does.
  const url = encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));
  const formValue = new URLSearchParams([['', value]]).toString().slice(1);
  const lowerHex = (text: string) =>
    text.includes('%') ? text.replace(/%[0-9A-F]{2}/g, (hex) => hex.toLowerCase()) : text;
  const bytes = Buffer.from(value, 'utf8');
  const hex = bytes.toString('hex');
  const forms = [
    value,
    value.toUpperCase(),
    value.toLowerCase(),
    json,
    asciiJson,
    json.replaceAll('/', '\\/'),
    JSON.stringify(json).slice(1, -1),
    url,
    lowerHex(url),
    formValue,
    lowerHex(formValue),
    hex,
    hex.toUpperCase(),
    ...base64Forms(bytes),
  ];
  return [...new Set(forms)].filter(
    (form, index) => index === 0 || form.length >= MIN_SECRET_LENGTH,
  );
}

/** The base64 and base64url characters `bytes` alone decide, at each of the three alignments. */
function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  const data = Buffer.alloc(bytes.length + 2);
  for (let offset = 0; offset < 3; offset++) {
    data.fill(0, 0, offset);
    bytes.copy(data, offset);
    const encoded = data.subarray(0, offset + bytes.length).toString('base64');
    // Character i holds bits 6i to 6i+6 of the data; the value's bytes hold bits 8 * offset
    // to 8 * (offset + length).
    const first = Math.ceil((8 * offset) / 6);
    const end = Math.floor((8 * (offset + bytes.length)) / 6);
    const stable = encoded.slice(first, end);
    forms.push(stable, stable.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return forms;
}

/**
 * Knows the secret values held by the process right now and removes them, in every form
 * {@link secretForms} gives, from text. Values are reference-counted: the same credential may
 * belong to several jobs; its forms are made once, when it is first held.
 *
 * Forms are indexed by their first characters rather than compiled into one regular
 * expression: jobs start and finish all the time, and recompiling an alternation of every
 * held value at each change cost more CPU per job than the job's own API calls.
 */
export class SecretScrubber {
  /** Held values, with how many holders each has and its forms. */
  readonly #held = new Map<string, { count: number; readonly forms: readonly string[] }>();
  /** How many held values have each form (two values may share one). */
  readonly #formCounts = new Map<string, number>();
  /** Forms by their first {@link PREFIX_LENGTH} characters, longest first. */
  readonly #byPrefix = new Map<string, string[]>();

  /**
   * Registers values; returns a function that forgets them again. Values shorter than
   * {@link MIN_SECRET_LENGTH} are not held (the worker refuses a job that has one).
   */
  hold(values: Iterable<string>): () => void {
    const held = [...values].filter((value) => value.length >= MIN_SECRET_LENGTH);
    for (const value of held) {
      const entry = this.#held.get(value);
      if (entry) {
        entry.count++;
        continue;
      }
      const forms = secretForms(value);
      this.#held.set(value, { count: 1, forms });
      for (const form of forms) this.#addForm(form);
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const value of held) {
        const entry = this.#held.get(value);
        if (!entry) continue;
        if (--entry.count > 0) continue;
        this.#held.delete(value);
        for (const form of entry.forms) this.#removeForm(form);
      }
    };
  }

  /** How many distinct values are held. */
  get size(): number {
    return this.#held.size;
  }

  /**
   * Replaces every held secret value, in every form, in `text` with `[REDACTED]`. Scanning
   * left to right, a match starts at the first position where a form occurs; forms that
   * start inside the match and reach past its end extend it (two values that overlap in the
   * text, `ghp_AAAA1111` and `1111BBBB…`), so one `[REDACTED]` replaces the whole run and no
   * part of either value is left.
   */
  scrub(text: string): string {
    // No form is shorter than MIN_SECRET_LENGTH: shorter text (most keys) holds none.
    if (this.#held.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
    let scrubbed: string | undefined;
    let copied = 0;
    for (let at = 0; at <= text.length - MIN_SECRET_LENGTH; ) {
      let end = this.#matchEnd(text, at);
      if (end === undefined) {
        at++;
        continue;
      }
      for (let inner = at + 1; inner < end; inner++) {
        end = Math.max(end, this.#matchEnd(text, inner) ?? end);
      }
      scrubbed = `${scrubbed ?? ''}${text.slice(copied, at)}${REDACTED}`;
      at = end;
      copied = end;
    }
    return scrubbed === undefined ? text : scrubbed + text.slice(copied);
  }

  /** Where the longest held form that starts at `at` in `text` ends, if one does. */
  #matchEnd(text: string, at: number): number | undefined {
    const candidates = this.#byPrefix.get(text.slice(at, at + PREFIX_LENGTH));
    const found = candidates?.find((form) => text.startsWith(form, at));
    return found === undefined ? undefined : at + found.length;
  }

  /**
   * A `JSON.stringify` replacer that scrubs every string it meets, and every key: an object
   * with a key that holds a secret value is written as a copy whose key is scrubbed.
   */
  readonly jsonReplacer = stringReplacer((text) => this.scrub(text));

  #addForm(form: string): void {
    const count = this.#formCounts.get(form) ?? 0;
    this.#formCounts.set(form, count + 1);
    if (count > 0) return;
    const prefix = form.slice(0, PREFIX_LENGTH);
    const bucket = this.#byPrefix.get(prefix) ?? [];
    bucket.push(form);
    bucket.sort((a, b) => b.length - a.length);
    this.#byPrefix.set(prefix, bucket);
  }

  #removeForm(form: string): void {
    const count = (this.#formCounts.get(form) ?? 1) - 1;
    if (count > 0) {
      this.#formCounts.set(form, count);
      return;
    }
    this.#formCounts.delete(form);
    const prefix = form.slice(0, PREFIX_LENGTH);
    const bucket = this.#byPrefix.get(prefix)?.filter((held) => held !== form) ?? [];
    if (bucket.length > 0) this.#byPrefix.set(prefix, bucket);
    else this.#byPrefix.delete(prefix);
  }
}
