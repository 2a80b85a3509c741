/**
 * Errors of the job's temporary storage (and of reading a damaged archive) turned into the
 * artifact API's errors: a full disk fails the job with a message that says so, it never
 * escapes as an unhandled stream error that would end the invocation.
 */
import {
  ArtifactError,
  type ArtifactErrorOptions,
  ArtifactFormatError,
  ArtifactStorageError,
} from './errors.js';

const FULL = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const CONFLICT = new Set(['EEXIST', 'ENOTDIR', 'EISDIR']);
/** Paths the file system cannot take: too long a name or path, too many levels. */
const UNREACHABLE = new Set(['ENAMETOOLONG', 'ELOOP']);

/**
 * Characters that would act on a terminal or a log viewer rather than show: C0 controls, DEL,
 * C1 controls, and the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069) that make text read in another order than it is. The backslash and the
 * double quote are escaped too, so that an escape or the end of a quoted name cannot be
 * forged by a name that spells one.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const UNSAFE_CHARACTERS = /["\\\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** The same but the quote and the backslash: for text whose names are already escaped. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** The short escapes JSON uses; every other unsafe character is written `\uXXXX`. */
const SHORT_ESCAPES: Readonly<Record<string, string>> = {
  '"': '\\"',
  '\\': '\\\\',
  '\b': '\\b',
  '\t': '\\t',
  '\n': '\\n',
  '\f': '\\f',
  '\r': '\\r',
};

/** Longest untrusted text a message shows; longer text is not shown at all. */
export const MAX_SHOWN_CHARACTERS = 200;

/**
 * Untrusted text with every unsafe character escaped as JSON escapes it (`\t`, `\u001b`, `\"`),
 * so that a held secret in it reads as its JSON form, which the worker's scrubber removes.
 *
 * @param unsafe - the characters escaped (all of the above by default)
 */
export function escaped(text: string, unsafe = UNSAFE_CHARACTERS): string {
  return text.replace(
    unsafe,
    (character) =>
      SHORT_ESCAPES[character] ?? `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * Untrusted text (an entry's name, a file's name) as a message may show it: whole, quoted and
 * {@link escaped}, or, when longer than `max` characters, only its length. It is never cut:
 * the worker's scrubber removes a held secret it recognises whole, and a cut one it cannot.
 */
export function quoted(text: string, max = MAX_SHOWN_CHARACTERS): string {
  return text.length > max
    ? `(a name of ${text.length} characters, too long to show)`
    : `"${escaped(text)}"`;
}

/** A message of another party (a file system error), whole, or undefined when too long. */
function whole(text: string, max = MAX_SHOWN_CHARACTERS): string | undefined {
  return text.length > max ? undefined : text;
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Whether `error` comes from the file system (it names a system call). */
function isFileSystemError(error: unknown): boolean {
  return typeof (error as { syscall?: unknown } | null)?.syscall === 'string';
}

/** Cuts untrusted text (an archive's own messages, entry names) to a readable length. */
export function clip(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/**
 * Untrusted text (an entry's name, a file's name) as it may be shown in a message: clipped,
 * then with every control or direction-changing character escaped (`\x1b`, `\u202e`, `\\`).
 */
export function shown(text: string, max = 200): string {
  return clip(text, max).replace(UNSAFE_CHARACTERS, (character) => {
    if (character === '\\') return '\\\\';
    const code = character.charCodeAt(0);
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * The artifact API's error for a failure while `doing` something with an artifact's files.
 *
 * @param error - what the file system, the zip reader or the inflater threw
 * @param doing - what was being done, starting with the artifact (`Input artifact "X": extracting`)
 * @param options - the artifact's name, for the error
 * @param archive - whether the bytes being read are an archive (else a read error is storage)
 */
export function fileError(
  error: unknown,
  doing: string,
  options: ArtifactErrorOptions,
  archive: boolean,
): ArtifactError {
  if (error instanceof ArtifactError) return error;
  const withCause = { ...options, cause: error };
  const code = codeOf(error);
  if (error instanceof Error && error.name === 'AbortError') {
    return new ArtifactError('JobFailed', `${doing}: stopped, the job was cancelled`, withCause);
  }
  if (code && FULL.has(code)) {
    return new ArtifactStorageError(
      `${doing}: no space left in the job's temporary storage (${code}); give the function more ephemeral storage or lower the artifact limits`,
      withCause,
    );
  }
  if (archive && code && UNREACHABLE.has(code)) {
    // Node's message would carry the local path; the entry is the archive's fault, not ours.
    return new ArtifactFormatError(
      `${doing}: an entry's path is too long or too deep for the file system (${code})`,
      withCause,
    );
  }
  if (archive && code && CONFLICT.has(code)) {
    return new ArtifactFormatError(
      `${doing}: two entries of the archive claim the same path (${code})`,
      withCause,
    );
  }
  if (isFileSystemError(error)) {
    // Node's own message: the code, what failed and the path, e.g. "ENOENT: no such file or
    // directory, open '/tmp/...'".
    // Too long a message (a path deep in an archive's tree) is not cut: its code is shown.
    const syscall = (error as { syscall: string }).syscall;
    const message = whole((error as Error).message) ?? `${code ?? 'error'}, ${syscall}`;
    return new ArtifactStorageError(`${doing}: ${message}`, withCause);
  }
  if (!archive) {
    const message = error instanceof Error ? whole(error.message) : undefined;
    return new ArtifactError('JobFailed', `${doing}: ${message ?? 'failed'}`, withCause);
  }
  // The zip reader's messages show entry names escaped, whole or not at all (describeName):
  // they are not cut, and only characters that would act on a terminal are escaped.
  const reason = error instanceof Error ? escaped(error.message, CONTROL_CHARACTERS) : 'unreadable';
  return new ArtifactFormatError(`${doing}: not a valid zip archive (${reason})`, withCause);
}
