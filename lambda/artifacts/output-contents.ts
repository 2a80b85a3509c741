/**
 * A small output artifact given as a value (a JSON value, a text, or a map of files) and
 * zipped in memory: what most processors otherwise write to a directory to upload it.
 */
import { Readable } from 'node:stream';
import { OutputArtifactError, UnsafeArchiveError } from './errors.js';
import { bufferData } from './zip-file-data.js';
import { ZipWriter } from './zip-writer.js';

/** The file a `{ json }` output is written to in its archive, unless `path` says otherwise. */
export const DEFAULT_JSON_PATH = 'output.json';
/** The file a `{ text }` output is written to in its archive, unless `path` says otherwise. */
export const DEFAULT_TEXT_PATH = 'output.txt';

/**
 * What `writeOutput` writes: exactly one of `json` (serialised with 2-space indentation),
 * `text` (UTF-8) and `files` (path inside the archive, `/`-separated, to contents).
 */
export type OutputContents =
  | { readonly json: unknown; readonly path?: string }
  | { readonly text: string; readonly path?: string }
  | { readonly files: Readonly<Record<string, string | Uint8Array>> };

/** Why a path may not name a file of the archive, or undefined when it may. */
function pathProblem(path: string): string | undefined {
  if (path === '') return 'is empty';
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path)) return 'is absolute';
  if (/[\\\0]/.test(path)) return 'holds a backslash or a NUL character';
  const segments = path.split('/');
  if (segments.some((segment) => segment === '..' || segment === '.' || segment === '')) {
    return 'is not a plain relative path (no empty, "." or ".." part)';
  }
  return undefined;
}

/**
 * The archive's files, checked.
 *
 * @param about - the output as messages name it
 * @throws OutputArtifactError when the contents are not exactly one of the three, or the JSON
 *   value has no JSON text; UnsafeArchiveError naming a path that is not a plain relative one
 */
export function outputFiles(
  contents: OutputContents,
  about: string,
  artifactName: string,
): Map<string, Buffer> {
  const given = (['json', 'text', 'files'] as const).filter((field) => field in contents);
  if (given.length !== 1) {
    throw new OutputArtifactError(
      `${about}: writeOutput takes exactly one of json, text and files (given: ${given.join(', ') || 'none'})`,
      { artifactName },
    );
  }
  let files: [string, Buffer][];
  if ('files' in contents) {
    files = Object.entries(contents.files).map(([path, body]) => [path, Buffer.from(body)]);
    if (files.length === 0) {
      throw new OutputArtifactError(`${about}: writeOutput was given no file`, { artifactName });
    }
  } else if ('json' in contents) {
    let text: string | undefined;
    try {
      text = JSON.stringify(contents.json, null, 2);
    } catch (error) {
      throw new OutputArtifactError(`${about}: the value cannot be written as JSON`, {
        artifactName,
        cause: error,
      });
    }
    if (text === undefined) {
      throw new OutputArtifactError(
        `${about}: the value has no JSON text (undefined, a function)`,
        {
          artifactName,
        },
      );
    }
    files = [[contents.path ?? DEFAULT_JSON_PATH, Buffer.from(`${text}\n`)]];
  } else {
    files = [[contents.path ?? DEFAULT_TEXT_PATH, Buffer.from(contents.text)]];
  }
  for (const [path] of files) {
    const problem = pathProblem(path);
    if (problem) {
      throw new UnsafeArchiveError(`${about}: the file path ${JSON.stringify(path)} ${problem}`, {
        artifactName,
      });
    }
  }
  return new Map(files);
}

/** The archive's bytes, an entry at a time. */
async function* zipChunks(files: ReadonlyMap<string, Buffer>): AsyncGenerator<Buffer> {
  const chunks: Buffer[] = [];
  const writer = new ZipWriter((chunk) => chunks.push(chunk));
  const mtimeMs = Date.now();
  for (const [path, body] of files) {
    writer.addWhole({ name: path, mode: 0o100644, mtimeMs }, await bufferData(body, true));
    yield* chunks.splice(0);
  }
  writer.finish();
  yield* chunks.splice(0);
}

/**
 * The files as a zip archive's stream, each a regular file of mode 0644, deflated when that
 * shrinks it.
 */
export function zipFiles(files: ReadonlyMap<string, Buffer>): Readable {
  return Readable.from(zipChunks(files), { objectMode: false });
}
