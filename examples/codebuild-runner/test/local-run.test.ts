/**
 * The worker end to end on this machine: the real handler, the CodePipeline emulator, its
 * local S3 artifact store, a local DynamoDB ledger, and CodeBuild standing in (`stand-ins.ts`),
 * answered in CodeBuild's own protocol to the processor's real client. Executions are stopped
 * as CodePipeline stops them, and the stop events reach the handler as EventBridge sends them.
 */
import { readFile } from 'node:fs/promises';
import { type LocalRunResult, runLocally } from 'codepipeline-job-worker/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CODEBUILD_RUNNER_ACTION } from '../src/action.js';
import { BUILD_FILE } from '../src/configuration.js';
import standIns from '../stand-ins.js';

/** The worker's log lines with this message, parsed. */
async function logLines(result: LocalRunResult, message: string) {
  const text = await readFile(result.logFile, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.includes(`"message":"${message}"`))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** The stand-ins' calls of one CodeBuild operation. */
function calls(result: LocalRunResult, operation: string) {
  return result.standIns.calls.filter(
    (call) => call.service === 'codebuild' && call.operation === operation,
  );
}

describe('the CodeBuild runner, run locally', () => {
  let result: LocalRunResult;
  beforeAll(async () => {
    result = await runLocally({
      entry: 'src/handler.ts',
      actionType: CODEBUILD_RUNNER_ACTION,
      standIns,
      // A running processor's execution is read for a stop every second (10 s by default).
      env: { CANCEL_CHECK_SECONDS: '1' },
      jobs: [
        {
          name: 'build',
          configuration: { ProjectName: 'app-build', EnvironmentVariables: '{"STAGE":"test"}' },
          outputArtifacts: [{ name: 'BuildInfo' }],
          expect: { outcome: 'success' },
        },
        {
          name: 'broken',
          configuration: { ProjectName: 'app-broken' },
          expect: { outcome: 'failure', failureType: 'JobFailed' },
        },
        {
          name: 'missing',
          configuration: { ProjectName: 'app-missing' },
          expect: { outcome: 'failure', failureType: 'ConfigurationError' },
        },
        {
          // Abandoned once its first continuation is queued: no job of it runs then.
          name: 'stopped-waiting',
          configuration: { ProjectName: 'app-long' },
          stop: { afterContinuations: 1, while: 'waiting', mode: 'abandon' },
          expect: { outcome: 'stopped' },
        },
        {
          // Abandoned 0.5 s into its continuation, while the (3 s) check runs.
          name: 'stopped-running',
          configuration: { ProjectName: 'app-slow' },
          stop: { afterContinuations: 1, while: 'running', mode: 'abandon', delayMs: 500 },
          expect: { outcome: 'stopped' },
        },
        {
          // Superseded 2 s into its first job, while it waits in the invocation for its check.
          name: 'superseded',
          configuration: { ProjectName: 'app-long' },
          stop: { afterContinuations: 0, while: 'running', mode: 'supersede', delayMs: 2_000 },
          expect: { outcome: 'stopped' },
        },
      ],
    });
  }, 120_000);

  it('ends every job as it was meant to, each processed once', () => {
    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(
      result.jobs.map((job) => [job.name, job.outcome, job.endedBy ?? job.failureType, job.jobs]),
    ).toEqual([
      // StartBuild and the first check (IN_PROGRESS) in the first job, the second check (ended)
      // in a continuation: the 30 s wait after the first check does not fit in the invocation.
      ['build', 'Succeeded', undefined, 2],
      ['broken', 'Failed', 'JobFailed', 2],
      ['missing', 'Failed', 'ConfigurationError', 1],
      ['stopped-waiting', 'Failed', 'abandoned', 2],
      ['stopped-running', 'Failed', 'abandoned', 2],
      ['superseded', 'Failed', 'canceled', 1],
    ]);
  });

  it('checks a build again 15 s after it started, in the same job and invocation', async () => {
    const [build, broken] = result.jobs;
    // Three runs of the processor in two jobs: start and the first check in the first job.
    expect(build?.processorRuns).toBe(3);
    const checkedAgain = await logLines(result, 'job checked again');
    const ofBuild = checkedAgain.filter((line) => line.jobId === build?.jobId);
    expect(ofBuild).toEqual([expect.objectContaining({ check: 1 })]);
    expect(ofBuild[0]?.waitedMs).toBeGreaterThanOrEqual(13_000);
    expect(ofBuild[0]?.waitedMs).toBeLessThan(17_000);

    expect(build?.outputVariables).toEqual({
      BuildId: expect.stringMatching(/^app-build:/),
      BuildStatus: 'SUCCEEDED',
    });
    expect(build?.outputs.BuildInfo).toMatchObject({
      entries: [BUILD_FILE],
      serverSideEncryption: 'aws:kms',
    });
    expect(broken?.failureMessage).toMatch(
      /^Build app-broken:\S+ ended FAILED in phase BUILD: Error while executing command: npm test/,
    );
    // The processor's real client reached the stand-in with what the configuration said.
    expect(calls(result, 'StartBuild').map((call) => call.input)).toContainEqual(
      expect.objectContaining({
        projectName: 'app-build',
        environmentVariablesOverride: [{ name: 'STAGE', value: 'test', type: 'PLAINTEXT' }],
      }),
    );
  });

  it('stops the build of each stopped execution once, with StopBuild from cancel', () => {
    const started = calls(result, 'StartBuild').flatMap((call) => {
      const id = (call.output as { build?: { id?: string } } | undefined)?.build?.id;
      return id === undefined ? [] : [id];
    });
    const stopped = calls(result, 'StopBuild');

    // The builds of app-long (twice) and app-slow; none of app-build or app-broken.
    expect(stopped.map((call) => (call.input as { id: string }).id).sort()).toEqual(
      started.filter((id) => /^app-(long|slow):/.test(id)).sort(),
    );
    expect(stopped).toHaveLength(3);
    for (const call of stopped) {
      expect(call.output).toMatchObject({ build: { buildStatus: 'STOPPED' } });
    }
  });

  it('aborts the check that runs when its execution is abandoned, with the reason', async () => {
    const running = result.jobs.find((job) => job.name === 'stopped-running');
    const stoppedChecks = await logLines(
      result,
      'build check stopped: the pipeline stopped the execution',
    );

    expect(stoppedChecks).toEqual([
      expect.objectContaining({
        buildId: expect.stringMatching(/^app-slow:/),
        reason: 'abandoned',
      }),
    ]);
    expect(running?.stopped).toMatchObject({
      mode: 'abandon',
      while: 'running',
      at: expect.any(String),
    });
    // The three stops, and the FAILED events of the two jobs the worker failed itself (broken,
    // missing), for which no build was stopped.
    expect(result.stopEvents).toEqual({ delivered: 5, failed: 0 });
  });
});
