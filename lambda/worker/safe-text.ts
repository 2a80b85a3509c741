/**
 * Text that is safe to show: the characters a terminal or a console acts on instead of
 * printing (C0 and C1 controls, DEL) and those that reorder what is shown (bidirectional
 * embeddings, overrides and isolates, and the Unicode line and paragraph separators) are
 * written out as visible escapes (`\x1b`, `\u202e`). A processor's text and an error's message
 * are untrusted: they reach the pipeline's console and the function's logs.
 *
 * Backslashes are left as they are, so that paths stay readable: an escape in the result may
 * also be text that was written that way, which is harmless to show.
 */

const ELLIPSIS = '...';

/** Whether code unit `code` is shown as an escape in reported text. Tab is kept: it is harmless. */
function unsafe(code: number): boolean {
  return (
    (code < 0x20 && code !== 0x09) ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

/**
 * The same in a log line: `JSON.stringify` already escapes every C0 control (a log line is
 * JSON), so only what it leaves as it is must be escaped.
 */
function unsafeInJson(code: number): boolean {
  return code >= 0x20 && unsafe(code);
}

function escapeCode(code: number): string {
  if (code === 0x0a) return '\\n';
  if (code === 0x0d) return '\\r';
  const hex = code.toString(16);
  return code <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
}

function escapeWith(text: string, isUnsafe: (code: number) => boolean): string {
  let out: string | undefined;
  let copied = 0;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (!isUnsafe(code)) continue;
    out = `${out ?? ''}${text.slice(copied, at)}${escapeCode(code)}`;
    copied = at + 1;
  }
  return out === undefined ? text : out + text.slice(copied);
}

/**
 * `text` with every control character (but tab) and every bidirectional control written out
 * as a visible escape. Line breaks are escaped too (`\n`, `\r`): reported text is shown on one
 * line in the pipeline's console, and a raw CR or LF in a summary, a failure message or a
 * variable value lets untrusted text overwrite or fake lines where it is printed as it is
 * (the CLI, a terminal, a downstream action's command line).
 *
 * @param text - untrusted text about to be reported
 */
export function escapeControls(text: string): string {
  return escapeWith(text, unsafe);
}

/** The escaping of {@link escapeControls} for a string that is written as JSON. */
export function escapeForJson(text: string): string {
  return escapeWith(text, unsafeInJson);
}

/**
 * `text` escaped as {@link escapeControls} does, then cut to `max` characters (marked with
 * `...`) between two characters of the source: never inside an escape, never inside a
 * surrogate pair.
 *
 * @param text - untrusted text about to be reported
 * @param max - the API's limit for the field
 */
export function displayText(text: string, max: number): string {
  const escaped = escapeControls(text);
  if (escaped.length <= max) return escaped;
  const room = max - ELLIPSIS.length;
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    const piece = char.length === 1 && unsafe(code) ? escapeCode(code) : char;
    if (out.length + piece.length > room) break;
    out += piece;
  }
  return `${out}${ELLIPSIS}`;
}

/** Whether `text` holds a character {@link escapeControls} would escape. */
export function hasControls(text: string): boolean {
  for (let at = 0; at < text.length; at++) if (unsafe(text.charCodeAt(at))) return true;
  return false;
}

/**
 * What a buffer of bytes is written as in a log line: `<Buffer 24 bytes>`, never its bytes.
 * `JSON.stringify` writes a Buffer as `{"type":"Buffer","data":[...]}` (its `toJSON` runs
 * before any replacer sees it) and a typed array as `{"0":...,"1":...}`: the bytes as numbers,
 * which no scrubbing of text can match. Decoding them and scrubbing the text instead would
 * still leak: the scrubber knows the forms a value takes as text, while bytes may carry it in
 * any encoding (UTF-16, compressed, a protocol's framing), or hold binary data that is no text
 * at all. So only the kind and the size are written.
 */
function bytesPlaceholder(value: object): string | undefined {
  if (ArrayBuffer.isView(value)) {
    const kind = Object.prototype.toString.call(value).slice('[object '.length, -1);
    return `<${kind} ${value.byteLength} bytes>`;
  }
  // A Buffer, as its toJSON wrote it (or any object of that exact shape).
  const record = value as { type?: unknown; data?: unknown };
  if (record.type === 'Buffer' && Array.isArray(record.data) && Object.keys(value).length === 2) {
    return `<Buffer ${record.data.length} bytes>`;
  }
  return undefined;
}

/**
 * A `JSON.stringify` replacer that passes every string value, and every key of an object,
 * through `transform`. An object whose keys all stay the same is left as it is; one with a
 * key to change is replaced with a plain copy (an error keeps its name, message, stack and
 * cause), so that the key never reaches the output. A Buffer, a typed array or a DataView is
 * written as a placeholder that gives its size, never its bytes (see `bytesPlaceholder`).
 *
 * @param transform - what a string becomes (secret values removed, controls escaped)
 */
export function stringReplacer(
  transform: (text: string) => string,
): (key: string, value: unknown) => unknown {
  return (_key, value) => {
    if (typeof value === 'string') return transform(value);
    if (typeof value !== 'object' || value === null) return value;
    const placeholder = bytesPlaceholder(value);
    // Passed through `transform` too: a typed array's own toStringTag is the caller's text.
    if (placeholder !== undefined) return transform(placeholder);
    if (Array.isArray(value)) return value;
    const keys = Object.keys(value);
    if (keys.every((key) => transform(key) === key)) return value;
    const source = value as Record<string, unknown>;
    const copy = new Map<string, unknown>(
      value instanceof Error
        ? [
            ['name', value.name],
            ['message', value.message],
            ['stack', value.stack],
            ['cause', value.cause],
          ]
        : [],
    );
    for (const key of keys) {
      let renamed = transform(key);
      // Two keys may become the same text: both are kept.
      for (let n = 2; copy.has(renamed); n++) renamed = `${transform(key)}#${n}`;
      copy.set(renamed, source[key]);
    }
    // Defined, not assigned: a key named `__proto__` stays a key.
    return Object.fromEntries(copy);
  };
}
