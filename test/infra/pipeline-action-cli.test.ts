import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './synth.js';

// The real CLI on an app (fixtures/bad-pipeline-app.ts) whose pipeline has three actions of a
// worker's type, each with one mistake; offline, without credentials.
let outdir: string;
let result: { code: number | null; output: string };

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-bad-pipeline-'));
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !name.startsWith('AWS_') && name !== 'NODE_ENV' && !name.startsWith('VITEST'),
    ),
  );
  result = await new Promise((resolve) => {
    execFile(
      path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'),
      [
        'synth',
        '--quiet',
        '-o',
        outdir,
        '--app',
        'npx tsx test/infra/fixtures/bad-pipeline-app.ts',
      ],
      { cwd: REPO_ROOT, env, timeout: 150_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, output: stdout + stderr });
      },
    );
  });
}, 180_000);

afterAll(() => rmSync(outdir, { recursive: true, force: true }));

describe('npx cdk synth of a pipeline with mistaken actions of a worker type', () => {
  it('fails with one line for each mistake, naming the action, without a stack trace', () => {
    const errors = result.output.split('\n').filter((line) => line.startsWith('ERROR '));

    expect(result.code).not.toBe(0);
    expect(errors).toEqual([
      "ERROR configuration must give 'BakeTimeSeconds', a required property of Custom/Test/BakeTimeGate/1 (Annotation)",
      "ERROR configuration property 'Enviroment' is not one of Custom/Test/BakeTimeGate/1's (BakeTimeSeconds, Environment): did you mean 'Environment'? (Annotation)",
      'ERROR inputs must hold 0 to 1 artifacts, as Custom/Test/BakeTimeGate/1 takes (got 2) (Annotation)',
    ]);
    for (const action of ['Missing', 'Unknown', 'TwoInputs']) {
      expect(result.output).toContain(`BadPipeline/Pipeline/Test/${action}`);
    }
    expect(result.output).not.toMatch(/^\s+at /m);
  });
});
