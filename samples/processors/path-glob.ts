/**
 * File-name globs for the artifact policy, matched the way `.gitignore` matches them: a
 * pattern without `/` matches a name at any depth, one with `/` matches from the artifact's
 * root; a pattern that matches a folder matches everything in it. Case is ignored, so that
 * `*.key` also catches `DEPLOY.KEY`.
 */

/** Characters these globs do not give a meaning to, refused so that nobody relies on one. */
export const UNSUPPORTED_GLOB_CHARACTERS = /[[\]{}\\]/;

/** A compiled glob. */
export interface PathGlob {
  /** The pattern as written. */
  readonly pattern: string;
  /** Whether `path` (relative, `/`-separated) or one of the folders it lies in matches. */
  matches(path: string): boolean;
}

function toRegExp(body: string): RegExp {
  let source = '';
  for (let i = 0; i < body.length; i++) {
    const char = body.charAt(i);
    if (char === '*' && body.charAt(i + 1) === '*') {
      const slash = body.charAt(i + 2) === '/';
      source += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^$()|]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`, 'i');
}

/**
 * Compiles a glob: `*` is any run of characters but `/`, `?` one of them, `**` any run of
 * folders (`**\/x` matches `x` at any depth).
 *
 * @param pattern - trimmed, non-empty, without {@link UNSUPPORTED_GLOB_CHARACTERS}
 */
export function compileGlob(pattern: string): PathGlob {
  const trimmed = pattern.replace(/^\/+|\/+$/g, '');
  const anchored = pattern.replace(/\/+$/, '').includes('/');
  const regExp = toRegExp(trimmed);
  return {
    pattern,
    matches(path) {
      const segments = path.split('/');
      if (!anchored) return segments.some((segment) => regExp.test(segment));
      for (let end = 1; end <= segments.length; end++) {
        if (regExp.test(segments.slice(0, end).join('/'))) return true;
      }
      return false;
    },
  };
}
