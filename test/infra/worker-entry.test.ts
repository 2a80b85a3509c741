import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { ActionCategory } from 'aws-cdk-lib/aws-codepipeline';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CustomActionJobWorker } from '../../lib/custom-action-job-worker.js';
import { resolveWorkerEntry } from '../../lib/worker-entry.js';

/** A throw-away app folder: files by relative path, written under a temp root. */
function app(files: Record<string, string>): string {
  const root = mkdtempSync(path.join(tmpdir(), 'consumer-app-'));
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

const HANDLER = 'export const handler = async () => ({ ok: true });\n';

describe('resolveWorkerEntry', () => {
  let root: string;
  beforeEach(() => {
    root = app({
      'package-lock.json': '{}',
      'src/handler.ts': HANDLER,
      'src/reexport.ts': "export * from './handler.js';\n",
      'src/other.ts': 'export const main = 1;\nexport default 2;\n',
      'src/broken.ts': 'export const handler = (;\n',
      'src/uses-packages.ts':
        "import { S3Client } from '@aws-sdk/client-s3';\nexport const handler = () => new S3Client({});\n",
    });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the lock file above the entry and takes its folder as the root', () => {
    const { entry, problems } = resolveWorkerEntry({ entry: path.join(root, 'src/handler.ts') });

    expect(problems).toEqual([]);
    expect(entry).toEqual({
      entry: path.join(root, 'src/handler.ts'),
      handler: 'handler',
      projectRoot: root,
      depsLockFilePath: path.join(root, 'package-lock.json'),
    });
  });

  it('follows re-exports of the app own files, and leaves packages unresolved', () => {
    expect(resolveWorkerEntry({ entry: path.join(root, 'src/reexport.ts') }).problems).toEqual([]);
    expect(resolveWorkerEntry({ entry: path.join(root, 'src/uses-packages.ts') }).problems).toEqual(
      [],
    );
  });

  it('names a missing entry file', () => {
    const missing = path.join(root, 'src/hanlder.ts');

    expect(resolveWorkerEntry({ entry: missing }).problems).toEqual([
      { setting: 'entry', problem: `${missing} does not exist` },
    ]);
  });

  it('names an entry that does not export the handler, and what it exports', () => {
    const file = path.join(root, 'src/other.ts');

    const [problem] = resolveWorkerEntry({ entry: file }).problems;

    expect(problem?.setting).toBe('entry');
    expect(problem?.problem).toBe(
      `${file} does not export 'handler' (it exports default, main): export const handler = createJobWorkerHandler(processor)`,
    );
  });

  it('accepts another export name when told', () => {
    const file = path.join(root, 'src/other.ts');

    expect(resolveWorkerEntry({ entry: file, handler: 'main' }).problems).toEqual([]);
  });

  it('reports an entry that cannot be parsed on one line, with the position', () => {
    const file = path.join(root, 'src/broken.ts');

    const [problem] = resolveWorkerEntry({ entry: file }).problems;

    expect(problem?.problem).toMatch(
      new RegExp(
        `^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} cannot be read: .*broken\\.ts:1:\\d+: `,
      ),
    );
    expect(problem?.problem).not.toContain('\n');
  });

  it('refuses a file that is not JavaScript or TypeScript', () => {
    const [problem] = resolveWorkerEntry({ entry: path.join(root, 'package-lock.json') }).problems;

    expect(problem?.problem).toMatch(/must be a JavaScript or TypeScript file/);
  });

  it('names the missing lock file', () => {
    const bare = app({ 'handler.ts': HANDLER });
    try {
      const [problem] = resolveWorkerEntry({ entry: path.join(bare, 'handler.ts') }).problems;

      expect(problem?.setting).toBe('depsLockFilePath');
      expect(problem?.problem).toMatch(/^no lock file .* in .*: run npm install/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it('refuses an entry outside the app root', () => {
    const [problem] = resolveWorkerEntry({
      entry: path.join(root, 'src/handler.ts'),
      projectRoot: path.join(root, 'elsewhere'),
    }).problems;

    expect(problem?.problem).toMatch(/is outside the app's root .*elsewhere: set projectRoot/);
  });
});

describe('CustomActionJobWorker entry', () => {
  let root: string;
  beforeEach(() => {
    root = app({ 'package-lock.json': '{}', 'src/handler.ts': HANDLER });
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const worker = (entry: string) =>
    new CustomActionJobWorker(
      new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S'),
      'W',
      { category: ActionCategory.TEST, provider: 'Scan', entry },
    );
  const errors = (built: CustomActionJobWorker) =>
    built.node.metadata.filter((m) => m.type === 'aws:cdk:error').map((m) => String(m.data));

  it('bundles the entry from the app root that holds it', () => {
    const built = worker(path.join(root, 'src/handler.ts'));

    expect(errors(built)).toEqual([]);
    expect(built.workerFunction).toBeInstanceOf(nodejs.NodejsFunction);
  });

  it('reports a missing entry as one synth error and builds the rest of the worker', () => {
    const built = worker(path.join(root, 'src/missing.ts'));

    expect(errors(built)).toEqual([`entry ${path.join(root, 'src/missing.ts')} does not exist`]);
    expect(built.workerFunction).not.toBeInstanceOf(nodejs.NodejsFunction);
    expect(built.ledgerTable).toBeDefined();
  });
});
