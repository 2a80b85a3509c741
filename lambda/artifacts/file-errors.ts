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
  const reason = error instanceof Error ? clip(error.message) : 'unreadable';
  return new ArtifactFormatError(`${doing}: not a valid zip archive (${reason})`, withCause);
}
