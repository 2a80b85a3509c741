/**
 * What a job's input artifact holds when the emulator has an artifact store: files given by
 * their path in the archive and their contents, a local directory, or ready zip bytes. Read
 * and checked when the job is enqueued (so that a bad one is a 400 at once), zipped when the
 * job's inputs are written to the store.
 */
import { statSync } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import yazl from 'yazl';
import { EmulatorInputError } from './protocol.js';
import { asString, asStringMap, type JsonObject } from './validation.js';

/** The contents of one input artifact, as the emulator will zip them. */
export type InputSource =
  | {
      readonly kind: 'files';
      /** Path in the archive to contents (text is stored as UTF-8). */
      readonly files: Readonly<Record<string, string | Buffer>>;
    }
  | { readonly kind: 'directory'; readonly directory: string }
  | { readonly kind: 'zip'; readonly bytes: Buffer }
  | { readonly kind: 'empty' };

/** The fields of an input artifact that give its contents (at most one of them). */
export const CONTENT_FIELDS = ['files', 'directory', 'zipBase64'] as const;

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A path that yazl accepts and extraction would keep inside its directory. */
function checkEntryPath(path: string, where: string): void {
  const segments = path.split('/');
  if (path === '' || path.startsWith('/') || path.includes('\\') || segments.includes('..')) {
    throw new EmulatorInputError(
      `${where}: '${path}' must be a relative path with / separators and no '..' (give ready zip bytes in zipBase64 for an archive that breaks this rule)`,
    );
  }
}

/**
 * The contents an input artifact item gives, or undefined when it gives none.
 *
 * @param item - one element of `inputArtifacts`
 * @param where - how messages name it, e.g. `inputArtifacts.1`
 * @throws EmulatorInputError for two content fields at once, contents with a `location`, a
 *   directory that is not one, a path outside the archive, or bytes that are not base64
 */
export function readInputSource(item: JsonObject, where: string): InputSource | undefined {
  const given = CONTENT_FIELDS.filter((field) => item[field] !== undefined && item[field] !== null);
  if (given.length === 0) return undefined;
  if (given.length > 1) {
    throw new EmulatorInputError(`${where}: give one of ${CONTENT_FIELDS.join(', ')}, not several`);
  }
  if (item.location !== undefined && item.location !== null) {
    throw new EmulatorInputError(
      `${where}: give either a location (an object you stored) or contents to store, not both`,
    );
  }
  const files = asStringMap(item.files, `${where}.files`);
  if (files !== undefined) {
    for (const path of Object.keys(files)) checkEntryPath(path, `${where}.files`);
    return { kind: 'files', files: { ...files } };
  }
  const directory = asString(item.directory, `${where}.directory`);
  if (directory !== undefined) {
    const absolute = resolve(directory);
    const stats = statSync(absolute, { throwIfNoEntry: false });
    if (!stats?.isDirectory()) {
      throw new EmulatorInputError(`${where}.directory: ${absolute} is not a directory`);
    }
    return { kind: 'directory', directory: absolute };
  }
  const encoded = (asString(item.zipBase64, `${where}.zipBase64`) ?? '').replace(/\s+/g, '');
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) {
    throw new EmulatorInputError(`${where}.zipBase64 must be base64`);
  }
  return { kind: 'zip', bytes: Buffer.from(encoded, 'base64') };
}

/** Adds a directory's contents to `zip`, in name order: files, empty folders and links as links. */
async function addDirectory(zip: yazl.ZipFile, root: string, relative = ''): Promise<void> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (entries.length === 0 && relative !== '') zip.addEmptyDirectory(relative);
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    const full = join(root, path);
    if (entry.isDirectory()) {
      await addDirectory(zip, root, path);
    } else if (entry.isFile()) {
      zip.addFile(full, path, { mode: (await lstat(full)).mode });
    } else if (entry.isSymbolicLink()) {
      // Source trees carry links; storing them as links keeps the tree as it is on disk.
      zip.addBuffer(Buffer.from(await readlink(full)), path, { mode: 0o120777 });
    }
  }
}

/** The zip archive of an input source (the bytes as given for `zip`). */
export async function zipSource(source: InputSource): Promise<Buffer> {
  if (source.kind === 'zip') return source.bytes;
  const zip = new yazl.ZipFile();
  const collected = new Promise<Buffer>((done, fail) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('end', () => done(Buffer.concat(chunks)));
    zip.outputStream.on('error', fail);
  });
  if (source.kind === 'files') {
    for (const [path, contents] of Object.entries(source.files)) {
      zip.addBuffer(typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents, path);
    }
  } else if (source.kind === 'directory') {
    await addDirectory(zip, source.directory);
  }
  zip.end();
  return collected;
}
