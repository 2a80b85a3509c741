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
 * U+2066-U+2069) that make text read in another order than it is. The backslash is escaped
 * too, so that an escape cannot be forged by a name that spells one.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const UNSAFE_CHARACTERS = /[\\\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

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
    return new ArtifactStorageError(`${doing}: ${clip((error as Error).message)}`, withCause);
  }
  if (!archive) {
    return new ArtifactError(
      'JobFailed',
      `${doing}: ${error instanceof Error ? clip(error.message) : 'failed'}`,
      withCause,
    );
  }
  const reason = error instanceof Error ? shown(error.message) : 'unreadable';
  return new ArtifactFormatError(`${doing}: not a valid zip archive (${reason})`, withCause);
}
