/**
 * The worker end to end on this machine: the real handler, the CodePipeline emulator, its
 * local S3 artifact store, a local DynamoDB ledger, and CodeBuild standing in (`stand-ins.ts`),
 * answered in CodeBuild's own protocol to the processor's real client.
 */
import { runLocally } from 'codepipeline-job-worker/testing';
import { describe, expect, it } from 'vitest';
import { CODEBUILD_RUNNER_ACTION } from '../src/action.js';
import { BUILD_FILE } from '../src/configuration.js';
import standIns from '../stand-ins.js';

describe('the CodeBuild runner, run locally', () => {
  it('waits for each build through continuations, and ends as the build ended', async () => {
    const result = await runLocally({
      entry: 'src/handler.ts',
      actionType: CODEBUILD_RUNNER_ACTION,
      standIns,
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
      ],
    });

    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.jobs.map((job) => [job.name, job.outcome, job.failureType, job.jobs])).toEqual([
      // StartBuild, a first check (IN_PROGRESS), a second (ended): three jobs in the chain.
      ['build', 'Succeeded', undefined, 3],
      ['broken', 'Failed', 'JobFailed', 3],
      ['missing', 'Failed', 'ConfigurationError', 1],
    ]);
    const [build, broken] = result.jobs;
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
    const started = result.standIns.calls.filter((call) => call.operation === 'StartBuild');
    expect(started.map((call) => call.input)).toContainEqual(
      expect.objectContaining({
        projectName: 'app-build',
        environmentVariablesOverride: [{ name: 'STAGE', value: 'test', type: 'PLAINTEXT' }],
      }),
    );
  }, 120_000);
});
