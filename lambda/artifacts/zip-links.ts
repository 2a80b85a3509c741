/**
 * Symbolic links of an extracted archive. They are created after every file, so that no file
 * is ever written through one, and each is then followed as the kernel would (through other
 * links, `..` included): a link that leads outside the directory refuses the archive.
 */
import { lstat, mkdir, readlink, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';

/** A link entry, read but not yet created. */
export interface PendingLink {
  /** The entry's name in the archive, for messages. */
  readonly entry: string;
  /** Its path relative to the extraction directory. */
  readonly path: string;
  /** The link's text. */
  readonly target: string;
}

/** Above this many links followed in one resolution, the kernel gives up too (ELOOP). */
const MAX_HOPS = 40;

/** Thrown (then wrapped by the caller) when a link is refused. */
export class RefusedLink extends Error {
  constructor(
    readonly link: PendingLink,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'RefusedLink';
  }
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root + sep);
}

/**
 * Where `target`, read from a link inside the physical directory `from`, leads; undefined
 * when links loop. Missing components are taken as plain directories: a processor may create
 * them later, and they cannot be links the archive made.
 */
async function follow(
  from: string,
  target: string,
  hops: { left: number },
): Promise<string | undefined> {
  let current = isAbsolute(target) ? sep : from;
  const parts = target.split('/');
  for (const [index, part] of parts.entries()) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    const stats = await lstat(next).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ENOTDIR') return undefined;
      throw error;
    });
    if (!stats) return resolve(next, ...parts.slice(index + 1));
    if (!stats.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (--hops.left < 0) return undefined;
    const followed = await follow(current, await readlink(next), hops);
    if (followed === undefined) return undefined;
    current = followed;
  }
  return current;
}

/**
 * Creates `links` under `root` (a real path) and checks where each leads.
 *
 * @throws RefusedLink when a link is absolute, leads outside `root`, lies inside another
 *   link's path, or loops
 */
export async function createLinks(root: string, links: readonly PendingLink[]): Promise<void> {
  const paths = new Set(links.map((link) => link.path));
  for (const link of links) {
    if (link.target === '' || link.target.includes('\0')) {
      throw new RefusedLink(link, 'it is a symbolic link without a valid target');
    }
    if (isAbsolute(link.target) || /^[A-Za-z]:/.test(link.target)) {
      throw new RefusedLink(link, 'it is a symbolic link to an absolute path');
    }
    const parts = link.path.split('/');
    for (let depth = 1; depth < parts.length; depth++) {
      if (paths.has(parts.slice(0, depth).join('/'))) {
        throw new RefusedLink(link, 'it lies under another symbolic link of the archive');
      }
    }
  }
  for (const link of links) {
    const path = join(root, link.path);
    await mkdir(dirname(path), { recursive: true });
    await symlink(link.target, path);
  }
  for (const link of links) {
    const leads = await follow(dirname(join(root, link.path)), link.target, { left: MAX_HOPS });
    if (leads === undefined) throw new RefusedLink(link, 'it is a symbolic link that loops');
    if (!inside(root, leads)) {
      throw new RefusedLink(link, 'it is a symbolic link that leads outside the directory');
    }
  }
}
