/**
 * The documentation's relative links resolve: every file a link of README.md, docs/*.md or an
 * example's README names exists, and every `#anchor` is a heading of the file it points into.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  anchorsOf,
  type DocumentSource,
  linkProblems,
  linksOf,
  slugOf,
} from '../helpers/markdown-links.js';

const ROOT = join(import.meta.dirname, '../..');

const repository: DocumentSource = {
  read: (path) => {
    const file = join(ROOT, path);
    return existsSync(file) && statSync(file).isFile() ? readFileSync(file, 'utf8') : undefined;
  },
  exists: (path) => existsSync(join(ROOT, path)),
};

/** A repository held in memory: files by path; directories are the paths' parents. */
function inMemory(files: Record<string, string>): DocumentSource {
  const paths = Object.keys(files).map((path) => normalize(path));
  return {
    read: (path) => files[normalize(path)],
    exists: (path) => {
      const wanted = normalize(path).replace(/\/$/, '');
      return paths.some((file) => file === wanted || file.startsWith(`${wanted}/`));
    },
  };
}

const DOCUMENTS = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  ...readdirSync(join(ROOT, 'examples'))
    .map((name) => `examples/${name}/README.md`)
    .filter((path) => existsSync(join(ROOT, path))),
];

describe('the documentation', () => {
  it('has a README, pages under docs/ and the examples’ READMEs to check', () => {
    expect(DOCUMENTS).toContain('README.md');
    expect(DOCUMENTS.filter((path) => path.startsWith('docs/')).length).toBeGreaterThan(3);
  });

  it.each(DOCUMENTS)('%s: every relative link and anchor resolves', (document) => {
    expect(linkProblems(document, repository)).toEqual([]);
  });

  it('links every page under docs/ from the README', () => {
    const linked = new Set(
      linksOf(repository.read('README.md') ?? '').map(({ target }) => target.split('#')[0]),
    );
    const pages = DOCUMENTS.filter((path) => path.startsWith('docs/'));

    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });
});

describe('slugOf', () => {
  it.each([
    ['Quick start', 'quick-start'],
    ["The function's environment", 'the-functions-environment'],
    ['Why these choices', 'why-these-choices'],
    ['`run` and `invoke`: exit status', 'run-and-invoke-exit-status'],
    ['Limits (and untrusted archives)', 'limits-and-untrusted-archives'],
    ['A [linked](other.md) heading', 'a-linked-heading'],
    ['snake_case and kebab-case', 'snake_case-and-kebab-case'],
  ])('turns "%s" into "%s"', (heading, slug) => {
    expect(slugOf(heading)).toBe(slug);
  });

  it('suffixes a repeated heading as GitHub does', () => {
    expect(anchorsOf('# Notes\n## Notes\n### Notes\n')).toEqual(
      new Set(['notes', 'notes-1', 'notes-2']),
    );
  });
});

describe('linkProblems', () => {
  const source = inMemory({
    'README.md': [
      '# Tool',
      '## Quick start',
      'See [the guide](docs/guide.md#write-a-processor), [setup](#quick-start),',
      '[the app](examples/app/) and [the site](https://example.com/#nothing).',
      '```sh',
      'echo "[not a link](missing.md)"',
      '```',
      'Inline `[code](missing.md)` is not a link either.',
    ].join('\n'),
    'docs/guide.md': '# Guide\n## Write a processor\nBack to [the README](../README.md#tool).\n',
    'examples/app/README.md': '# App\n',
  });

  it('accepts links to files, directories and headings that exist, outside code only', () => {
    expect(linkProblems('README.md', source)).toEqual([]);
    expect(linkProblems('docs/guide.md', source)).toEqual([]);
  });

  it('names a link to a file that does not exist', () => {
    const broken = inMemory({ 'README.md': '# Tool\nSee [ops](docs/operations.md).\n' });

    expect(linkProblems('README.md', broken)).toEqual([
      'README.md:2: docs/operations.md (no such file)',
    ]);
  });

  it('names an anchor that is no heading, in the same file or another', () => {
    const broken = inMemory({
      'README.md': '# Tool\n[a](#quick-start) and [b](docs/guide.md#write-processors)\n',
      'docs/guide.md': '# Guide\n## Write a processor\n',
    });

    expect(linkProblems('README.md', broken)).toEqual([
      'README.md:2: #quick-start (no such heading)',
      'README.md:2: docs/guide.md#write-processors (no such heading)',
    ]);
  });

  it('names a link that leaves the repository', () => {
    const broken = inMemory({ 'README.md': '# Tool\n[up](../other/README.md)\n' });

    expect(linkProblems('README.md', broken)).toEqual([
      'README.md:2: ../other/README.md (no such file)',
    ]);
  });
});
