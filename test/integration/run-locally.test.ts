/**
 * runLocally (`codepipeline-job-worker/testing`): a processor end to end through the emulator
 * and dynalite, with the report read from the emulator's own record of every call.
 */

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it, vi } from 'vitest';
import { jobArtifacts } from '../../lambda/artifacts/index.js';
import { continueLater, failure, success } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { EntryError, LocalRunPlanError, runLocally, runReport } from '../../local/testing/index.js';

const ACTION_TYPE = {
  category: 'Deploy',
  provider: 'StepDeploy',
  version: '3',
  configurationProperties: [
    { name: 'Mode', required: true, key: true },
    { name: 'Token', required: false, secret: true },
  ],
} as const;

/** Continues once, then succeeds; `Mode: broken` fails as a configuration error. */
const stepDeploy: JobProcessor = {
  name: 'step-deploy',
  async process(job) {
    if (job.configuration.Mode === 'broken') return failure('ConfigurationError', 'Mode is broken');
    if (job.continuationToken === undefined)
      return continueLater('step-1', { percentComplete: 50 });
    return success({
      summary: `deployed after ${job.continuationToken}`,
      outputVariables: { Step: job.continuationToken },
    });
  },
};

const listeningServers = () =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'TCPServerWrap').length;

describe('runLocally', () => {
  it('runs every job to its end and reports continuations, abandoned dispatches and results', async () => {
    const envBefore = { ...process.env };
    const serversBefore = listeningServers();

    const result = await runLocally({
      processor: stepDeploy,
      actionType: ACTION_TYPE,
      env: { CONCURRENCY: '4' },
      jobs: [
        { name: 'steps', configuration: { Mode: 'ok', Token: 'tok-0123456789' }, repeat: 2 },
        { name: 'broken', configuration: { Mode: 'broken' } },
        { name: 'resumed', configuration: { Mode: 'ok' }, continuationToken: 'step-0' },
        { name: 'abandoned', configuration: { Mode: 'broken' }, firstDispatchAbandoned: true },
      ],
    });

    expect(result.ok).toBe(true);
    expect(
      result.jobs.map((j) => [j.name, j.outcome, j.failureType, j.jobs, j.results, j.nonces]),
    ).toEqual([
      ['steps', 'Succeeded', undefined, 2, 2, 2],
      ['steps', 'Succeeded', undefined, 2, 2, 2],
      ['broken', 'Failed', 'ConfigurationError', 1, 1, 1],
      ['resumed', 'Succeeded', undefined, 1, 1, 1],
      ['abandoned', 'Failed', 'ConfigurationError', 1, 1, 2],
    ]);
    expect(result.jobs[0]).toMatchObject({
      continuations: 1,
      continuationTokens: ['step-1'],
      summary: 'deployed after step-1',
      outputVariables: { Step: 'step-1' },
    });
    expect(result.jobs[2]?.failureMessage).toBe('Mode is broken');
    expect(result.jobs[3]?.summary).toBe('deployed after step-0');
    expect(result.totals).toMatchObject({
      jobs: 5,
      succeeded: 3,
      failed: 2,
      continued: 2,
      unfinished: 0,
      processedTwice: 0,
      secretsInLogs: 0,
      failedInvocations: 0,
    });
    expect(result.totals.redispatches).toBeGreaterThanOrEqual(1);
    expect(process.env).toEqual(envBefore);
    // A closed server's handle is released on a later turn of the event loop.
    await vi.waitFor(() => expect(listeningServers()).toBe(serversBefore));
  }, 60_000);

  it('counts the log lines, on stdout or stderr, that carry a secret value, and is then not ok', async () => {
    const leaky: JobProcessor = {
      name: 'leaky',
      async process(job) {
        process.stdout.write(`debugging with ${job.secrets.Token?.reveal()}\n`);
        process.stderr.write(`still debugging with ${job.secrets.Token?.reveal()}\n`);
        return success();
      },
    };

    const result = await runLocally({
      processor: leaky,
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { Mode: 'ok', Token: 'tok-leaked-0123' } }],
      duplicateRate: 0,
    });

    expect(result.totals.secretsInLogs).toBe(2);
    expect(result.ok).toBe(false);
  }, 60_000);

  it('prints invocation errors without the secret values, in any form the worker removes, and without raw controls', async () => {
    const token = 'tok-invocation-0123';
    const hex = Buffer.from(token).toString('hex');
    const scratch = await mkdtemp(join(tmpdir(), 'run-locally-entry-'));
    const entry = join(scratch, 'throwing.mjs');
    // The first invocation throws; the worker's own handler finishes the job after it.
    const createHandler = pathToFileURL(join(process.cwd(), 'lambda/create-handler.ts')).href;
    await writeFile(
      entry,
      `import { createJobWorkerHandler } from ${JSON.stringify(createHandler)};
      const worker = createJobWorkerHandler({ name: 'ok', process: async () => ({ kind: 'success' }) });
      let calls = 0;
      export async function handler(event, context) {
        if (calls++ === 0) {
          throw new Error(${JSON.stringify(`bad ${token.toUpperCase()} / ${hex}\u001b[2J\rOK: every job finished exactly once.`)});
        }
        return worker(event, context);
      }\n`,
    );
    try {
      const result = await runLocally({
        entry,
        actionType: ACTION_TYPE,
        jobs: [{ configuration: { Mode: 'ok', Token: token } }],
        pollers: 1,
        tickMs: 100,
        duplicateRate: 0,
      });

      const report = runReport(result);

      expect(result.invocationErrors).toEqual([
        'bad [REDACTED] / [REDACTED]\u001b[2J\rOK: every job finished exactly once.',
      ]);
      expect(report).toContain(
        'invocation failed: bad [REDACTED] / [REDACTED]\\x1b[2J\\rOK: every job finished exactly once.',
      );
      expect(report).not.toContain('\u001b');
      expect(report).not.toContain('\r');
      expect(report.toLowerCase()).not.toContain(hex);
      expect(report.toLowerCase()).not.toContain(token);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  }, 60_000);

  it('writes input artifacts to its S3 store and reports what each job uploaded, under the job key', async () => {
    const lister: JobProcessor = {
      name: 'lister',
      async process(job, context) {
        const artifacts = jobArtifacts(job, context);
        const files = await readdir(await artifacts.extract(), { recursive: true });
        const report = join(context.workDirectory, 'files.txt');
        await writeFile(report, [...files].sort().join('\n'));
        await artifacts.uploadFile('Listing', report);
        return success({ outputVariables: { Files: String(files.length) } });
      },
    };

    const result = await runLocally({
      processor: lister,
      actionType: { ...ACTION_TYPE, minInputArtifacts: 1, maxOutputArtifacts: 1 },
      jobs: [
        {
          name: 'listed',
          configuration: { Mode: 'ok' },
          inputArtifacts: [{ name: 'Source', files: { 'a.txt': 'a', 'src/b.txt': 'b' } }],
          outputArtifacts: [{ name: 'Listing' }],
        },
        {
          name: 'forgot',
          configuration: { Mode: 'ok' },
          inputArtifacts: [{ name: 'Source', files: { 'a.txt': 'a' } }],
          outputArtifacts: [{ name: 'Other' }],
        },
      ],
      duplicateRate: 0,
    });

    expect(result.jobs[0]).toMatchObject({
      outcome: 'Succeeded',
      outputVariables: { Files: '3' },
      outputs: {
        Listing: {
          serverSideEncryption: 'aws:kms',
          kmsKeyId: expect.stringMatching(/^arn:aws:kms:us-east-1:\d{12}:key\//),
        },
      },
    });
    expect(result.jobs[0]?.outputs.Listing?.bytes).toBe('a.txt\nsrc\nsrc/b.txt'.length);
    // An output the job does not declare is refused, and the declared one is reported unwritten.
    expect(result.jobs[1]).toMatchObject({
      outcome: 'Failed',
      failureType: 'ConfigurationError',
      outputs: { Other: { bytes: 0, entries: [] } },
    });
  }, 60_000);

  it('refuses calls to AWS services it does not emulate, on this machine, with a message that says so', async () => {
    const reader: JobProcessor = {
      name: 'reader',
      async process() {
        const client = new SecretsManagerClient({ maxAttempts: 1 });
        try {
          await client.send(new GetSecretValueCommand({ SecretId: 'deploy-token' }));
          return success();
        } finally {
          client.destroy();
        }
      },
    };

    const result = await runLocally({
      processor: reader,
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { Mode: 'ok' } }],
      duplicateRate: 0,
    });

    expect(result.jobs[0]).toMatchObject({ outcome: 'Failed', failureType: 'JobFailed' });
    expect(result.jobs[0]?.failureMessage).toContain(
      'No stand-in answers Secrets Manager GetSecretValue in this local run',
    );
    expect(result.ok).toBe(false);
    expect(result.standIns.failures).toEqual([
      expect.objectContaining({
        service: 'Secrets Manager',
        operation: 'GetSecretValue',
        variable: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
      }),
    ]);
  }, 60_000);

  it('names an entry that does not exist before starting any server', async () => {
    const serversBefore = listeningServers();

    const run = runLocally({
      entry: 'src/no-such-handler.ts',
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { Mode: 'ok' } }],
    });

    await expect(run).rejects.toThrow(/entry \S+src\/no-such-handler\.ts does not exist/);
    await expect(run).rejects.toMatchObject({ name: 'EntryError', problem: 'missing' });
    expect(listeningServers()).toBe(serversBefore);
  });

  it('names an entry without the handler export, and stops its servers and restores the environment', async () => {
    const envBefore = { ...process.env };
    const serversBefore = listeningServers();

    const run = runLocally({
      entry: 'samples/handlers/bake-time-gate.ts',
      handler: 'main',
      actionType: ACTION_TYPE,
      jobs: [{ configuration: { Mode: 'ok' } }],
    });

    await expect(run).rejects.toThrow(EntryError);
    await expect(run).rejects.toThrow("does not export a function 'main' (it exports handler)");
    await expect(run).rejects.toMatchObject({ problem: 'no-handler' });
    expect(process.env).toEqual(envBefore);
    // A closed server's handle is released on a later turn of the event loop.
    await vi.waitFor(() => expect(listeningServers()).toBe(serversBefore));
  }, 60_000);

  it('refuses a bad plan, or both a processor and an entry, before starting anything', async () => {
    await expect(
      runLocally({ processor: stepDeploy, actionType: ACTION_TYPE, jobs: [{ configuration: {} }] }),
    ).rejects.toThrow(LocalRunPlanError);
    await expect(
      runLocally({
        processor: stepDeploy,
        entry: 'samples/handlers/bake-time-gate.ts',
        actionType: ACTION_TYPE,
        jobs: [{ configuration: { Mode: 'ok' } }],
      }),
    ).rejects.toThrow('exactly one of processor and entry');
  });

  it('names the job whose configuration CodePipeline would refuse', async () => {
    const queryable = {
      category: 'Test',
      provider: 'Queried',
      configurationProperties: [{ name: 'Team', required: true, key: true, queryable: true }],
    } as const;

    const run = runLocally({
      processor: stepDeploy,
      actionType: queryable,
      jobs: [{ configuration: { Team: 'core' } }, { configuration: { Team: 'has spaces' } }],
    });

    await expect(run).rejects.toThrow(LocalRunPlanError);
    await expect(run).rejects.toThrow(/jobs\[1\]: .*queryable 'Team'/);
  });
});
