/**
 * The artifact policy's checks over an extracted artifact: every file's path against the
 * forbidden patterns, its size against the limit, and its contents for private key blocks;
 * the total size last. Files are visited in name order, so a report is the same every time.
 */
import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactPolicy } from './artifact-policy-config.js';

/** What a rule found. `path` is relative to the artifact's root, `/`-separated. */
export type Finding =
  | { readonly rule: 'forbidden-pattern'; readonly path: string; readonly pattern: string }
  | { readonly rule: 'private-key'; readonly path: string; readonly line: number }
  | {
      readonly rule: 'file-too-large' | 'total-too-large';
      readonly path: string;
      readonly bytes: number;
      readonly limit: number;
    };

/** What a scan saw and found. */
export interface ScanResult {
  /** Regular files checked (exempt ones not counted). */
  readonly filesScanned: number;
  /** Files and links no per-file rule applied to. */
  readonly filesExempt: number;
  /** Bytes of every regular file, exempt ones included. */
  readonly totalBytes: number;
  readonly findings: readonly Finding[];
}

/**
 * A PEM or OpenSSH private key block's first line: `PRIVATE KEY`, `RSA PRIVATE KEY`,
 * `ENCRYPTED PRIVATE KEY`, `OPENSSH PRIVATE KEY`, `PGP PRIVATE KEY BLOCK`, and the like.
 */
const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]{1,16} ){0,3}PRIVATE KEY(?: BLOCK)?-----/;
/** Longer than any match of {@link PRIVATE_KEY}: kept between chunks so no match is split. */
const CARRY = 128;

function countLines(text: string): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}

/** The 1-based line of the first private key block in `file`, or undefined. */
async function privateKeyLine(file: string, signal: AbortSignal): Promise<number | undefined> {
  let carry = '';
  let linesBefore = 0;
  // latin1 maps every byte to one character: binary files are scanned as safely as text.
  for await (const chunk of createReadStream(file, { signal })) {
    const text = carry + (chunk as Buffer).toString('latin1');
    const match = PRIVATE_KEY.exec(text);
    if (match) return linesBefore + countLines(text.slice(0, match.index)) + 1;
    const kept = Math.min(text.length, CARRY);
    linesBefore += countLines(text.slice(0, text.length - kept));
    carry = text.slice(text.length - kept);
  }
  return undefined;
}

/**
 * The 1-based line of a private key block in a link's text, or undefined: a tool that ignores
 * modes writes that text as a file.
 */
async function linkKeyLine(link: string): Promise<number | undefined> {
  const text = (await readlink(link, { encoding: 'buffer' })).toString('latin1');
  const match = PRIVATE_KEY.exec(text);
  return match ? countLines(text.slice(0, match.index)) + 1 : undefined;
}

/** Every file and link under `root`, as `/`-separated relative paths, in name order. */
async function* walk(root: string, relative = ''): AsyncGenerator<string> {
  const entries = await readdir(join(root, relative), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
    if (entry.isDirectory()) yield* walk(root, path);
    else yield path;
  }
}

/**
 * Checks an extracted artifact against `policy`. Links are checked by name, and their text
 * for private key blocks (a tool that ignores modes writes it as a file); what they point to
 * inside the artifact is checked where it lies (extraction refuses the others).
 *
 * @param root - the artifact's extracted directory
 * @param signal - stops the scan (the job's deadline)
 */
export async function scanArtifact(
  root: string,
  policy: ArtifactPolicy,
  signal: AbortSignal,
): Promise<ScanResult> {
  const findings: Finding[] = [];
  let filesScanned = 0;
  let filesExempt = 0;
  let totalBytes = 0;
  for await (const path of walk(root)) {
    signal.throwIfAborted();
    const stats = await lstat(join(root, path));
    if (stats.isFile()) totalBytes += stats.size;
    if (policy.exempt.some((glob) => glob.matches(path))) {
      filesExempt++;
      continue;
    }
    const forbidden = policy.forbidden.find((glob) => glob.matches(path));
    if (forbidden) findings.push({ rule: 'forbidden-pattern', path, pattern: forbidden.pattern });
    if (stats.isSymbolicLink() && policy.detectPrivateKeys) {
      const line = await linkKeyLine(join(root, path));
      if (line !== undefined) findings.push({ rule: 'private-key', path, line });
    }
    if (!stats.isFile()) continue;
    filesScanned++;
    if (stats.size > policy.maxFileBytes) {
      findings.push({
        rule: 'file-too-large',
        path,
        bytes: stats.size,
        limit: policy.maxFileBytes,
      });
    }
    if (policy.detectPrivateKeys) {
      const line = await privateKeyLine(join(root, path), signal);
      if (line !== undefined) findings.push({ rule: 'private-key', path, line });
    }
  }
  if (policy.maxTotalBytes !== undefined && totalBytes > policy.maxTotalBytes) {
    findings.push({
      rule: 'total-too-large',
      path: '.',
      bytes: totalBytes,
      limit: policy.maxTotalBytes,
    });
  }
  return { filesScanned, filesExempt, totalBytes, findings };
}
