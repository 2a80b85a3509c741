/**
 * The relative links of Markdown documents, checked as GitHub renders them: the file a link
 * names must exist, and its `#anchor` must be the slug of one of that file's headings.
 */
import { dirname, join, normalize } from 'node:path';

/** What the checker may ask of the repository (a real one, or one held in memory). */
export interface DocumentSource {
  /** The text of a file, or undefined when there is no such file (or it is a directory). */
  read(path: string): string | undefined;
  /** Whether a file or directory exists at `path`. */
  exists(path: string): boolean;
}

/** A link found in a document: where it is and what it points to. */
export interface MarkdownLink {
  readonly line: number;
  readonly target: string;
}

/** The document with fenced code blocks and inline code spans blanked (lines kept). */
function proseOf(text: string): string[] {
  let fence: string | undefined;
  return text.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker?.startsWith(fence)) fence = undefined;
      return '';
    }
    if (marker !== undefined) {
      fence = marker;
      return '';
    }
    return line.replace(/(`+)[^`]*?\1/g, '');
  });
}

/**
 * GitHub's heading anchor: the heading's text (code spans and links reduced to their text),
 * lowercased, punctuation removed (letters, digits, `_`, `-` and spaces stay), spaces to `-`.
 */
export function slugOf(heading: string): string {
  return heading
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** Every anchor of a document: each heading's slug, repeats suffixed `-1`, `-2`, ... */
export function anchorsOf(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  let fence: string | undefined;
  for (const line of text.split('\n')) {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker?.startsWith(fence)) fence = undefined;
      continue;
    }
    if (marker !== undefined) {
      fence = marker;
      continue;
    }
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = slugOf(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Every inline link and image of a document outside code, with its line number. */
export function linksOf(text: string): MarkdownLink[] {
  return proseOf(text).flatMap((line, index) =>
    [...line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => ({
      line: index + 1,
      target: match[1] as string,
    })),
  );
}

/** Whether a link leaves the repository (a URL, a mail address): not checked here. */
const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/**
 * Every broken relative link of `file`, as `file:line: target (why)`.
 *
 * @param file - the document's path, relative to the repository's root
 * @param source - reads the repository
 */
export function linkProblems(file: string, source: DocumentSource): string[] {
  const text = source.read(file);
  if (text === undefined) return [`${file}: no such document`];
  return linksOf(text).flatMap(({ line, target }) => {
    if (isExternal(target)) return [];
    const [pathPart = '', anchor] = target.split('#', 2) as [string, string | undefined];
    const where = `${file}:${line}: ${target}`;
    const linked = pathPart === '' ? file : normalize(join(dirname(file), pathPart));
    if (linked.startsWith('..') || !source.exists(linked)) return [`${where} (no such file)`];
    if (anchor === undefined || anchor === '') return [];
    const linkedText = source.read(linked);
    if (linkedText === undefined) return [`${where} (an anchor into a directory)`];
    if (!/\.md$/i.test(linked)) return [];
    return anchorsOf(linkedText).has(anchor) ? [] : [`${where} (no such heading)`];
  });
}
