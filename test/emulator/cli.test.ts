import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodePipelineClient, ListActionTypesCommand } from '@aws-sdk/client-codepipeline';
import { afterAll, describe, expect, it } from 'vitest';
import { BAKE_ACTION, rawFetch } from '../helpers/emulator.js';

const CLI = join(import.meta.dirname, '../../local/emulator/cli.ts');

function runCli(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return { child, output: () => output };
}

async function waitFor(
  read: () => string,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(read());
    if (match) return match;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${pattern} in:\n${read()}`);
}

describe('emulator CLI', () => {
  let dir: string | undefined;

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves the API with the given options, logs calls and stops on SIGTERM', async () => {
    dir = await mkdtemp(join(tmpdir(), 'emulator-cli-'));
    const typesFile = join(dir, 'action-types.json');
    await writeFile(typesFile, JSON.stringify([BAKE_ACTION]));
    const { child, output } = runCli([
      '--port',
      '0',
      '--action-types',
      typesFile,
      '--latency-ms',
      '1',
      '--duplicate-rate',
      '0.5',
      '--seed',
      '9',
    ]);
    try {
      const [, url = ''] = await waitFor(output, /listening on (http:\/\/127\.0\.0\.1:\d+)/);
      const client = new CodePipelineClient({
        endpoint: url,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
      });

      const listed = await client.send(new ListActionTypesCommand({ actionOwnerFilter: 'Custom' }));
      const faults = await rawFetch(`${url}/emulator/faults`, { method: 'GET' });
      await waitFor(output, /ListActionTypes 200 200 \d+ms/);
      client.destroy();
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');

      expect(listed.actionTypes?.map((t) => t.id?.provider)).toEqual(['BakeTimeGate']);
      expect(faults.json).toMatchObject({ latencyMs: 1, duplicateRate: 0.5, seed: 9 });
      expect(code).toBe(0);
      expect(output()).toMatch(/SIGTERM: stopping the emulator/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('prints its usage with --help', async () => {
    const { child, output } = runCli(['--help']);

    const [code] = await once(child, 'exit');

    expect(code).toBe(0);
    expect(output()).toMatch(/--dispatch-timeout-ms N/);
  });
});
