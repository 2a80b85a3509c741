/**
 * The documented local commands, run as a user runs them: `npm start` and `npm run invoke`
 * (with `--create-table` and the sample STARTED event file).
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');

async function script(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(TSX, args, {
      env: { ...process.env, ...env },
      timeout: 120_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm start', () => {
  it('runs a realistic mix of jobs end to end and reports them all finished once', async () => {
    const { code, stdout } = await script(['samples/local/start.ts', '--jobs', '6', '--json']);

    const totals = JSON.parse(stdout) as Record<string, number | boolean>;
    expect(code).toBe(0);
    // 6 bake-time gate jobs, and the artifact policy's 3: clean, a leaked key, a bad setting.
    expect(totals).toMatchObject({
      ok: true,
      jobs: 9,
      succeeded: 6,
      failed: 3,
      unfinished: 0,
      processedTwice: 0,
      reportedTwice: 0,
      secretsInLogs: 0,
      failedInvocations: 0,
    });
    // Every job of every chain (the continuations included) had its processor started once.
    expect(totals.processorRuns).toBe(Number(totals.jobs) + Number(totals.continued));
    expect(totals.continued).toBeGreaterThanOrEqual(1);
    expect(totals.redispatches).toBeGreaterThanOrEqual(1);
  }, 120_000);

  it('refuses a bad flag with a usage line and exit status 2', async () => {
    const { code, stderr } = await script(['samples/local/start.ts', '--jobs', 'many']);

    expect(code).toBe(2);
    expect(stderr).toContain('--jobs must be an integer');
    expect(stderr).toContain('usage: npm start');
  });
});

describe('--help', () => {
  it.each([
    ['npm start', '--help', 'samples/local/start.ts', 'usage: npm start --'],
    ['npm start', '-h', 'samples/local/start.ts', 'usage: npm start --'],
    ['npm run invoke', '--help', 'samples/local/invoke.ts', 'usage: npm run invoke --'],
    ['npm run invoke', '-h', 'samples/local/invoke.ts', 'usage: npm run invoke --'],
  ])('%s -- %s: prints the usage on stdout, exit 0', async (_, flag, file, usage) => {
    const { code, stdout, stderr } = await script([file, flag]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.startsWith(usage)).toBe(true);
  });
});

describe('npm run invoke', () => {
  let stack: LocalStack;
  let env: Record<string, string>;

  beforeAll(async () => {
    stack = await startLocalStack();
    env = {
      AWS_ENDPOINT_URL_CODEPIPELINE: stack.emulator.url,
      AWS_ENDPOINT_URL_DYNAMODB: stack.dynamo.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: stack.emulator.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: stack.emulator.credentials.secretAccessKey,
      ACTION_CATEGORY: 'Test',
      ACTION_PROVIDER: 'BakeTimeGate',
      ACTION_VERSION: '1',
      LEDGER_TABLE_NAME: stack.tableName,
      SECRET_CONFIGURATION_KEYS: 'NotifyToken',
    };
  });
  afterAll(() => stack.close());

  it('runs the handler once against the endpoints the environment names', async () => {
    const id = stack.enqueue({ BakeTimeSeconds: '0' });

    const { code, stdout } = await script(
      ['samples/local/invoke.ts', '--timeout-ms', '30000'],
      env,
    );

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, result: { succeeded: 1 } });
    expect(stack.emulator.getJob(id)?.status).toBe('Succeeded');
  });

  it('prints the result alone on stdout, one JSON line, and the logs and metrics on stderr', async () => {
    stack.enqueue({ BakeTimeSeconds: '0' });
    const loud = { ...env, POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'false' };

    const { code, stdout, stderr } = await script(['samples/local/invoke.ts'], loud);

    expect(code).toBe(0);
    expect(stdout.split('\n')).toEqual([expect.any(String), '']);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, result: { succeeded: 1 } });
    const logLines = stderr
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(logLines).toContainEqual(expect.objectContaining({ message: 'invocation finished' }));
    expect(logLines).toContainEqual(expect.objectContaining({ JobsSucceeded: 1 }));
  });

  it('creates the ledger table named by LEDGER_TABLE_NAME, then answers the sample STARTED event', async () => {
    const id = stack.enqueue({ BakeTimeSeconds: '0' });
    const fresh = { ...env, LEDGER_TABLE_NAME: `ledger-from-invoke-${process.pid}` };
    const args = [
      'samples/local/invoke.ts',
      '--create-table',
      '--event-file',
      'local/events/action-started.json',
    ];

    const first = await script(args, fresh);
    const second = await script(args, fresh);

    expect(first.code).toBe(0);
    expect(first.stderr).toContain(`ledger table ${fresh.LEDGER_TABLE_NAME}: created`);
    expect(JSON.parse(first.stdout)).toMatchObject({ ok: true, result: { succeeded: 1 } });
    expect(stack.emulator.getJob(id)?.status).toBe('Succeeded');
    expect(second.code).toBe(0);
    expect(second.stderr).toContain(`ledger table ${fresh.LEDGER_TABLE_NAME}: exists`);
  });

  it('exits non-zero and prints the error when the handler throws', async () => {
    const eventFile = join(tmpdir(), `invoke-event-${process.pid}.json`);
    writeFileSync(eventFile, JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created' }));

    const { code, stdout } = await script(
      ['samples/local/invoke.ts', '--event-file', eventFile],
      env,
    );

    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, error: { name: 'InvalidEventError' } });
  });

  it('fails at cold start naming the missing variable', async () => {
    const { code, stderr } = await script(['samples/local/invoke.ts'], {
      ...env,
      LEDGER_TABLE_NAME: '',
    });

    expect(code).toBe(1);
    expect(stderr).toContain('LEDGER_TABLE_NAME is required');
  });
});
