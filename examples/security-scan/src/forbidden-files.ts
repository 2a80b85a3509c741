/**
 * Files a build artifact must not carry: secrets that would be deployed or published with it.
 * Matched by file name at any depth, ignoring case.
 */
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

const FORBIDDEN_NAMES = new Set(['.env', 'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519']);
const FORBIDDEN_EXTENSIONS = ['.pem', '.key', '.p12', '.pfx'];

/** Whether the file at `path` (a relative path with `/` separators) is forbidden. */
export function isForbidden(path: string): boolean {
  const name = (path.split('/').at(-1) ?? '').toLowerCase();
  return FORBIDDEN_NAMES.has(name) || FORBIDDEN_EXTENSIONS.some((ext) => name.endsWith(ext));
}

/**
 * Every file and link under `directory`, as relative paths with `/` separators, sorted so that
 * the same artifact always gives the same findings. Links count by their own name.
 */
export async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)).split(sep).join('/'))
    .sort();
}
