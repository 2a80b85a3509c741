/**
 * Symbolic links of an extracted archive. They are created after every file, so that no file
 * is ever written through one, and each is judged by its text against a rule that holds for
 * the tree as it will be, not as it is: a processor creates directories and files after the
 * extraction (`mkdir build`), and a target that was harmless over the archive's tree alone
 * (`build/../up/../..`) can leave it once they exist.
 *
 * The rule: a target is relative and holds no control character; after its `.` and empty components, it is some `..`
 * followed only by names (never a `..` after a name); its `..`s climb no higher than the
 * extraction directory; and no component it passes through (every name but the last) is
 * another link of the archive.
 *
 * Why it is sound, whatever directories and files are created later: the link's own
 * directory and its ancestors are real directories (no entry lies under a link, and links
 * are made last), so each leading `..` moves to a real parent inside the directory. Each
 * name but the last is then not an archive link: it is a directory, a file, or nothing yet,
 * and whatever a processor creates there (other than a link of its own) is a real directory
 * or a file, so the walk goes down one real level, still inside. The last name is reached
 * inside too; if it is itself an archive link, the kernel follows it, and it obeys the same
 * rule from its own directory, so every hop of a chain stays inside (a chain that loops
 * fails with ELOOP, leading nowhere). A `..` after a name is refused because the kernel
 * resolves the name first: through a link made later it would land anywhere.
 */
import { mkdir, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';

/** C0 controls and DEL, which no path a tool writes holds. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding them is the point
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A link entry, read but not yet created. */
export interface PendingLink {
  /** The entry's name in the archive, for messages. */
  readonly entry: string;
  /** Its path relative to the extraction directory. */
  readonly path: string;
  /** The link's text. */
  readonly target: string;
}

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

/**
 * Why `link` is refused under the rule above, or undefined when it is kept.
 *
 * @param link - the link, its path relative to the extraction directory
 * @param links - the paths of every link of the archive
 */
export function linkProblem(link: PendingLink, links: ReadonlySet<string>): string | undefined {
  const { target } = link;
  if (target === '' || target.includes('\0')) return 'it is a symbolic link without a valid target';
  // A path has no line breaks or other controls; a reader that writes links as files (modes
  // ignored) would write this text as a file's contents, which a scan of links never reads.
  if (CONTROL.test(target)) return 'it is a symbolic link whose target holds control characters';
  if (isAbsolute(target) || /^[A-Za-z]:/.test(target)) {
    return 'it is a symbolic link to an absolute path';
  }
  const own = link.path.split('/');
  for (let depth = 1; depth < own.length; depth++) {
    if (links.has(own.slice(0, depth).join('/'))) {
      return 'it lies under another symbolic link of the archive';
    }
  }
  const parts = target.split('/').filter((part) => part !== '' && part !== '.');
  const ups = parts.findIndex((part) => part !== '..');
  const climbs = ups === -1 ? parts.length : ups;
  const names = parts.slice(climbs);
  if (names.includes('..')) {
    return 'it is a symbolic link whose target has ".." after a name';
  }
  const base = own.slice(0, own.length - 1);
  if (climbs > base.length) {
    return 'it is a symbolic link that leads outside the directory';
  }
  const at = base.slice(0, base.length - climbs);
  for (const name of names.slice(0, -1)) {
    at.push(name);
    if (links.has(at.join('/'))) {
      return 'it is a symbolic link that passes through another symbolic link of the archive';
    }
  }
  return undefined;
}

/**
 * Checks `links` by the rule above, then creates them under `root`.
 *
 * @throws RefusedLink when a link breaks the rule (nothing is created then)
 */
export async function createLinks(root: string, links: readonly PendingLink[]): Promise<void> {
  const paths = new Set(links.map((link) => link.path));
  for (const link of links) {
    const problem = linkProblem(link, paths);
    if (problem) throw new RefusedLink(link, problem);
  }
  for (const link of links) {
    const path = join(root, link.path);
    await mkdir(dirname(path), { recursive: true });
    await symlink(link.target, path);
  }
}
