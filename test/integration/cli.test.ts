/**
 * The package's bin, `codepipeline-job-worker`, run as a user runs it (here from the sources,
 * through tsx; .ci/consumer-app.sh runs the built one installed from the packed tarball).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const TSX = join(process.cwd(), 'node_modules', '.bin', 'tsx');
const SAMPLE_ENTRY = 'samples/handlers/bake-time-gate.ts';

async function bin(args: string[], env: NodeJS.ProcessEnv = process.env) {
  try {
    const { stdout, stderr } = await run(TSX, ['local/cli.ts', ...args], {
      timeout: 120_000,
      env,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const ACTION_TYPE = {
  category: 'Test',
  provider: 'BakeTimeGate',
  configurationProperties: [
    { name: 'BakeTimeSeconds', required: true, key: true, type: 'Number' },
    { name: 'NotifyToken', required: false, secret: true },
  ],
};

describe('codepipeline-job-worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cli-jobs-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const jobsFile = (plan: unknown) => {
    const file = join(dir, `jobs-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(plan));
    return file;
  };

  it('run: runs a jobs file through an entry and prints the table, exit 0', async () => {
    const file = jobsFile({
      actionType: ACTION_TYPE,
      jobs: [
        {
          name: 'quick',
          configuration: { BakeTimeSeconds: '0', NotifyToken: 'ntk-12345678' },
          repeat: 2,
        },
        { name: 'bad', configuration: { BakeTimeSeconds: 'ten' } },
        {
          name: 'resumed',
          configuration: { BakeTimeSeconds: '0' },
          continuationToken: '{"v":1,"startedAt":0}',
        },
      ],
    });

    const { code, stdout } = await bin(['run', '--entry', SAMPLE_ENTRY, '--jobs', file]);

    expect(code).toBe(0);
    expect(stdout).toMatch(
      /^job\s+kind\s+outcome\s+jobs\s+acks\s+nonces\s+results\s+runs\s+time\s+message$/m,
    );
    expect(stdout).toMatch(
      /^\w{8}\s+bad\s+Failed \(ConfigurationError\)\s+1\s+1\s+1\s+1\s+1\s+[\d.]+ s\s+BakeTimeSeconds must be/m,
    );
    expect(stdout.match(/^\w{8}\s+(quick|resumed)\s+Succeeded\s/gm)).toHaveLength(3);
    expect(stdout).toContain('OK: every job finished exactly once.');
  }, 120_000);

  it('run --json: prints the totals only', async () => {
    const file = jobsFile({
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { BakeTimeSeconds: '0' } }],
    });

    const { code, stdout } = await bin(['run', '--entry', SAMPLE_ENTRY, '--jobs', file, '--json']);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ ok: true, jobs: 1, succeeded: 1, unfinished: 0 });
  }, 120_000);

  const CODEBUILD_ENTRY = 'test/helpers/codebuild-runner-entry.ts';
  const CODEBUILD_TYPE = {
    category: 'Build',
    provider: 'CodeBuildRunner',
    configurationProperties: [{ name: 'Project', required: false }],
  };

  it('run: a call to a service nothing stands in for fails the run, exit 1, named at the top of the output', async () => {
    const file = jobsFile({
      actionType: CODEBUILD_TYPE,
      jobs: [{ name: 'build', configuration: { Project: 'app' } }],
    });

    const { code, stdout } = await bin(['run', '--entry', CODEBUILD_ENTRY, '--jobs', file]);

    expect(code).toBe(1);
    const [first, second] = stdout.split('\n');
    expect(first).toBe('FAILED (2 problems):');
    expect(second).toMatch(
      /^ {2}- No stand-in answers CodeBuild StartBuild in this local run: .*AWS_ENDPOINT_URL_CODEBUILD/,
    );
    expect(stdout.indexOf('AWS_ENDPOINT_URL_CODEBUILD')).toBeLessThan(stdout.indexOf('kind'));
    expect(stdout).toMatch(
      /^\w{8}\s+build\s+Failed \(JobFailed\)\s.*! The job processor failed: No stand-in/m,
    );
    expect(stdout).toContain('FAILED: see the problems at the top.');
  }, 120_000);

  it('run --stand-ins --env: the stand-ins answer, the variables reach the worker, exit 0; --json carries each job', async () => {
    const file = jobsFile({
      actionType: CODEBUILD_TYPE,
      jobs: [{ name: 'build', configuration: {}, expect: { outcome: 'success' } }],
    });
    const args = ['run', '--entry', CODEBUILD_ENTRY, '--jobs', file, '--json'];

    const { code, stdout } = await bin([
      ...args,
      '--stand-ins',
      'test/helpers/codebuild-stand-ins.ts',
      '--env',
      'PROJECT_NAME=from-env',
    ]);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({
      ok: true,
      problems: [],
      standInCalls: 3,
      jobReports: [
        { name: 'build', outcome: 'Succeeded', message: 'build from-env:build-1 succeeded' },
      ],
    });
  }, 120_000);

  it('run: the jobs file names its stand-ins module and its env; an unmet expect fails the run, exit 1', async () => {
    const file = jobsFile({
      actionType: CODEBUILD_TYPE,
      standIns: join(process.cwd(), 'test/helpers/codebuild-stand-ins.ts'),
      env: { PROJECT_NAME: 'from-file' },
      jobs: [{ name: 'build', configuration: {}, expect: { outcome: 'failure' } }],
    });

    const { code, stdout } = await bin(['run', '--entry', CODEBUILD_ENTRY, '--jobs', file]);

    expect(code).toBe(1);
    expect(stdout).toMatch(
      /^FAILED \(1 problem\):\n {2}- job build \(\w{8}\): expected Failed, ended Succeeded: build from-file:build-1 succeeded\n/,
    );
  }, 120_000);

  it('run: refuses an --env that is not KEY=VALUE, exit 2', async () => {
    const file = jobsFile({ actionType: CODEBUILD_TYPE, jobs: [{ configuration: {} }] });

    const { code, stderr } = await bin([
      'run',
      '--entry',
      CODEBUILD_ENTRY,
      '--jobs',
      file,
      '--env',
      'NO_VALUE',
    ]);

    expect(code).toBe(2);
    expect(stderr).toContain('--env must be KEY=VALUE');
  });

  it('run: names each wrong field of the jobs file, exit 2, before starting anything', async () => {
    const file = jobsFile({
      actionType: { ...ACTION_TYPE, category: 'Tests' },
      jobs: [{ configuration: { NotifyToken: 'x' }, repeats: 2 }],
    });

    const { code, stderr } = await bin(['run', '--entry', SAMPLE_ENTRY, '--jobs', file]);

    expect(code).toBe(2);
    expect(stderr).toContain(`${file} is not a valid local run:`);
    expect(stderr).toContain('actionType.category must be one of');
    expect(stderr).toContain(
      'jobs[0].configuration.BakeTimeSeconds is required by the action type',
    );
    expect(stderr).toContain('jobs[0].repeats is not a known field');
  });

  it('run: names an entry without the handler export, exit 2', async () => {
    const file = jobsFile({
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { BakeTimeSeconds: '0' } }],
    });

    const { code, stderr } = await bin(['run', '--entry', 'lambda/index.ts', '--jobs', file]);

    expect(code).toBe(2);
    expect(stderr).toContain("does not export a function 'handler'");
  }, 120_000);

  it('run: names a --handler the entry does not export, exit 2', async () => {
    const file = jobsFile({
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { BakeTimeSeconds: '0' } }],
    });
    const args = ['run', '--entry', SAMPLE_ENTRY, '--handler', 'main', '--jobs', file];

    const { code, stderr } = await bin(args);

    expect(code).toBe(2);
    expect(stderr).toContain("does not export a function 'main' (it exports handler)");
  }, 120_000);

  it('run and invoke: name an --entry that does not exist, exit 2', async () => {
    const file = jobsFile({
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { BakeTimeSeconds: '0' } }],
    });

    const run = await bin(['run', '--entry', 'src/no-such-handler.ts', '--jobs', file]);
    const invoke = await bin(['invoke', '--entry', 'src/no-such-handler.ts']);

    for (const { code, stderr } of [run, invoke]) {
      expect(code).toBe(2);
      expect(stderr).toMatch(/entry \S+src\/no-such-handler\.ts does not exist/);
    }
  });

  it('invoke: an entry that throws while loading is a failure, exit 1', async () => {
    const entry = join(dir, 'throws-at-load.ts');
    writeFileSync(
      entry,
      "throw new Error('cold start failed');\nexport const handler = () => 0;\n",
    );

    const { code, stderr } = await bin(['invoke', '--entry', entry]);

    expect(code).toBe(1);
    expect(stderr).toContain('failed to load: cold start failed');
  });

  it('refuses an unknown command or a missing flag with its usage, exit 2', async () => {
    const unknown = await bin(['deploy']);
    const missing = await bin(['run', '--entry', SAMPLE_ENTRY]);

    expect(unknown).toMatchObject({ code: 2 });
    expect(unknown.stderr).toContain("unknown command 'deploy'");
    expect(unknown.stderr).toContain('usage: codepipeline-job-worker <command>');
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain('--jobs is required');
  });

  it('invoke: requires --entry, which npm run invoke defaults to the sample', async () => {
    const { code, stderr } = await bin(['invoke']);

    expect(code).toBe(2);
    expect(stderr).toContain('--entry is required');
  });

  it.each([
    ['run', '--help', 'usage: codepipeline-job-worker run --entry FILE --jobs JOBS.json'],
    ['run', '-h', 'usage: codepipeline-job-worker run --entry FILE --jobs JOBS.json'],
    ['invoke', '--help', 'usage: codepipeline-job-worker invoke --entry FILE'],
    ['invoke', '-h', 'usage: codepipeline-job-worker invoke --entry FILE'],
    ['emulator', '--help', 'Usage: codepipeline-job-worker emulator [options]'],
    ['emulator', '-h', 'Usage: codepipeline-job-worker emulator [options]'],
  ])('%s %s: prints its usage on stdout, exit 0', async (command, flag, usage) => {
    const { code, stdout, stderr } = await bin([command, flag]);

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout.startsWith(usage)).toBe(true);
  });

  it('run --help: prints the usage even beside other flags, before checking them', async () => {
    const { code, stdout } = await bin(['run', '--json', '--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('usage: codepipeline-job-worker run');
  });

  it('--help: prints the usage of every command, exit 0', async () => {
    const { code, stdout } = await bin(['--help']);

    expect(code).toBe(0);
    expect(stdout).toContain('usage: codepipeline-job-worker <command>');
    expect(stdout).toContain('<command> --help (or -h)');
  });

  it("run: prints no Node.js version warning of the SDK's on Node.js 20", async () => {
    const file = jobsFile({
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { BakeTimeSeconds: '0' } }],
    });
    const { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: _, ...env } = process.env;

    const { code, stderr } = await bin(['run', '--entry', SAMPLE_ENTRY, '--jobs', file], env);

    expect(code).toBe(0);
    expect(stderr).not.toContain('NodeVersionSupportWarning');
  }, 120_000);
});
