import {
  BatchGetBuildsCommand,
  type Build,
  CodeBuildClient,
  ResourceNotFoundException,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type JobFixtureOptions,
  jobFixture,
  type LocalArtifactStore,
  localArtifactStore,
  processingContext,
  type TestProcessingContext,
} from 'codepipeline-job-worker/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { codebuildRunner } from '../src/codebuild-runner.js';
import { BUILD_FILE } from '../src/configuration.js';

const BUILD_ID = 'app-build:0f4e7d2c-9b1a-4c3d-8e5f-6a7b8c9d0e1f';
const TOKEN = JSON.stringify({ buildId: BUILD_ID });

describe('codebuildRunner', () => {
  // Every CodeBuildClient, the one awsClient builds inside the processor included, is answered
  // here; S3 (the output artifact) goes to the local artifact store.
  const codebuild = mockClient(CodeBuildClient);
  let store: LocalArtifactStore;
  const contexts: TestProcessingContext[] = [];
  beforeAll(async () => {
    store = await localArtifactStore();
  });
  afterAll(() => store.close());
  beforeEach(() => codebuild.reset());
  afterEach(() => Promise.all(contexts.splice(0).map((created) => created.end())));

  /** A job of the action: no input artifact, as the action type declares. */
  function job(options: JobFixtureOptions = {}) {
    return jobFixture({ inputArtifacts: [], ...options });
  }

  /** Runs the processor as the worker does: `process`, then the checks it registered. */
  async function run(given: ReturnType<typeof jobFixture>) {
    const context = processingContext();
    contexts.push(context);
    const outcome = await context.checked(await codebuildRunner().process(given, context));
    return { outcome, context };
  }

  function build(fields: Partial<Build>): Build {
    return { id: BUILD_ID, projectName: 'app-build', buildNumber: 7, ...fields };
  }

  describe('the first job', () => {
    it('starts a build with the configured overrides and continues with its id', async () => {
      codebuild.on(StartBuildCommand).resolves({ build: build({ buildStatus: 'IN_PROGRESS' }) });
      const given = job({
        configuration: {
          ProjectName: 'app-build',
          SourceVersion: 'refs/heads/release',
          EnvironmentVariables: '{"STAGE":"test","DEBUG":"1"}',
        },
      });

      const { outcome, context } = await run(given);

      expect(outcome).toEqual({
        kind: 'continue',
        continuationToken: TOKEN,
        externalExecutionId: BUILD_ID,
        summary: `Build ${BUILD_ID} started`,
      });
      expect(codebuild.commandCalls(StartBuildCommand).map((call) => call.args[0].input)).toEqual([
        {
          projectName: 'app-build',
          sourceVersion: 'refs/heads/release',
          environmentVariablesOverride: [
            { name: 'STAGE', value: 'test', type: 'PLAINTEXT' },
            { name: 'DEBUG', value: '1', type: 'PLAINTEXT' },
          ],
          idempotencyToken: given.id,
        },
      ]);
      // awsClient passes the job's abort signal with the call (the send options, after the command).
      const [, options] = codebuild.call(0).args as unknown[];
      expect(options).toMatchObject({ abortSignal: context.signal });
    });

    it("starts the project's own source version and variables when the action sets none", async () => {
      codebuild.on(StartBuildCommand).resolves({ build: build({ buildStatus: 'IN_PROGRESS' }) });

      await run(job({ configuration: { ProjectName: 'app-build' } }));

      expect(codebuild.commandCalls(StartBuildCommand)[0]?.args[0].input).toEqual({
        projectName: 'app-build',
        idempotencyToken: 'c0ffee00-1111-4222-8333-444455556666',
      });
    });

    it('fails as a configuration error when the project does not exist', async () => {
      codebuild.on(StartBuildCommand).rejects(
        new ResourceNotFoundException({
          message: 'Project cannot be found: arn:aws:codebuild:us-east-1:123456789012:project/app',
          $metadata: {},
        }),
      );

      const outcome = codebuildRunner().process(
        job({ configuration: { ProjectName: 'app' } }),
        processingContext(),
      );

      await expect(outcome).rejects.toMatchObject({
        name: 'JobFailureError',
        failureType: 'ConfigurationError',
        message: 'CodeBuild project app does not exist in this account and region',
      });
    });

    it('fails as a permission error when the worker may not start builds of the project', async () => {
      const denied = Object.assign(new Error('not authorized to perform: codebuild:StartBuild'), {
        name: 'AccessDeniedException',
      });
      codebuild.on(StartBuildCommand).rejects(denied);

      const outcome = codebuildRunner().process(
        job({ configuration: { ProjectName: 'other-team' } }),
        processingContext(),
      );

      await expect(outcome).rejects.toMatchObject({
        failureType: 'PermissionError',
        message: expect.stringContaining('grant it codebuild:StartBuild'),
      });
    });

    it.each([
      ['InvalidInputException', 'Invalid source version: refs/heads/nope', 'ConfigurationError'],
      ['AccountLimitExceededException', 'Cannot have more than 60 active builds', 'JobFailed'],
    ])('fails a StartBuild refused with %s (%s) as %s', async (name, said, failureType) => {
      codebuild.on(StartBuildCommand).rejects(Object.assign(new Error(said), { name }));

      const outcome = codebuildRunner().process(
        job({ configuration: { ProjectName: 'app-build', SourceVersion: 'refs/heads/nope' } }),
        processingContext(),
      );

      await expect(outcome).rejects.toMatchObject({
        failureType,
        message: `CodeBuild refused the build: ${said}`,
      });
    });

    it('lets an error CodeBuild did not decide go through, for the worker to report', async () => {
      codebuild.on(StartBuildCommand).rejects(new Error('socket hang up'));

      const outcome = codebuildRunner().process(
        job({ configuration: { ProjectName: 'app-build' } }),
        processingContext(),
      );

      await expect(outcome).rejects.toThrow('socket hang up');
    });
  });

  describe('a continuing job', () => {
    it('continues with the same token while the build runs', async () => {
      codebuild
        .on(BatchGetBuildsCommand, { ids: [BUILD_ID] })
        .resolves({ builds: [build({ buildStatus: 'IN_PROGRESS', currentPhase: 'BUILD' })] });

      const { outcome } = await run(
        job({ configuration: { ProjectName: 'app-build' }, continuationToken: TOKEN }),
      );

      expect(outcome).toEqual({
        kind: 'continue',
        continuationToken: TOKEN,
        externalExecutionId: BUILD_ID,
        summary: `Build ${BUILD_ID}: BUILD`,
      });
      expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(0);
    });

    it('succeeds with the build id and status as output variables', async () => {
      codebuild
        .on(BatchGetBuildsCommand)
        .resolves({ builds: [build({ buildStatus: 'SUCCEEDED' })] });

      const { outcome } = await run(
        job({ configuration: { ProjectName: 'app-build' }, continuationToken: TOKEN }),
      );

      expect(outcome).toEqual({
        kind: 'success',
        summary: `Build ${BUILD_ID} succeeded`,
        externalExecutionId: BUILD_ID,
        outputVariables: { BuildId: BUILD_ID, BuildStatus: 'SUCCEEDED' },
      });
    });

    it('writes the build to the output artifact, zipped and encrypted with the job key', async () => {
      codebuild.on(BatchGetBuildsCommand).resolves({
        builds: [
          build({
            buildStatus: 'SUCCEEDED',
            resolvedSourceVersion: '4c6fd1f0b0c1a1e5d1e2f3a4b5c6d7e8f9a0b1c2',
            startTime: new Date('2025-01-15T10:00:00Z'),
            endTime: new Date('2025-01-15T10:04:30Z'),
          }),
        ],
      });
      const given = store.job({
        configuration: { ProjectName: 'app-build' },
        continuationToken: TOKEN,
        inputArtifacts: [],
        outputArtifacts: [{ name: 'BuildInfo' }],
      });

      const { outcome } = await run(given);
      const output = await store.output(given, 'BuildInfo');

      expect(outcome).toMatchObject({ kind: 'success' });
      expect(output).toMatchObject({ entries: [BUILD_FILE], serverSideEncryption: 'aws:kms' });
      expect(JSON.parse(String(await output?.entry(BUILD_FILE)))).toEqual({
        buildId: BUILD_ID,
        buildNumber: 7,
        projectName: 'app-build',
        buildStatus: 'SUCCEEDED',
        resolvedSourceVersion: '4c6fd1f0b0c1a1e5d1e2f3a4b5c6d7e8f9a0b1c2',
        startTime: '2025-01-15T10:00:00.000Z',
        endTime: '2025-01-15T10:04:30.000Z',
      });
    });

    it.each(['FAILED', 'FAULT', 'TIMED_OUT', 'STOPPED'] as const)(
      'fails when the build ended %s, saying where and why',
      async (status) => {
        codebuild.on(BatchGetBuildsCommand).resolves({
          builds: [
            build({
              buildStatus: status,
              phases: [
                { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED' },
                {
                  phaseType: 'BUILD',
                  phaseStatus: status,
                  contexts: [{ statusCode: 'E', message: 'npm test exited with 1' }],
                },
              ],
            }),
          ],
        });
        const given = store.job({
          configuration: { ProjectName: 'app-build' },
          continuationToken: TOKEN,
          inputArtifacts: [],
          outputArtifacts: [{ name: 'BuildInfo' }],
        });

        const { outcome } = await run(given);

        expect(outcome).toEqual({
          kind: 'failure',
          failureType: 'JobFailed',
          message: `Build ${BUILD_ID} ended ${status} in phase BUILD: npm test exited with 1`,
          externalExecutionId: BUILD_ID,
        });
        // Nothing for a later action: the pipeline stops here.
        expect(await store.output(given, 'BuildInfo')).toBeUndefined();
      },
    );

    it('fails when CodeBuild no longer knows the build', async () => {
      codebuild.on(BatchGetBuildsCommand).resolves({ builds: [], buildsNotFound: [BUILD_ID] });

      const { outcome } = await run(
        job({ configuration: { ProjectName: 'app-build' }, continuationToken: TOKEN }),
      );

      expect(outcome).toEqual({
        kind: 'failure',
        failureType: 'JobFailed',
        message: `Build ${BUILD_ID} is not known to CodeBuild`,
        externalExecutionId: BUILD_ID,
      });
    });

    it.each(['not json', '{}', '{"buildId":""}'])(
      'fails a token this action did not write (%s) without calling CodeBuild',
      async (continuationToken) => {
        const outcome = codebuildRunner().process(
          job({ configuration: { ProjectName: 'app-build' }, continuationToken }),
          processingContext(),
        );

        await expect(outcome).rejects.toMatchObject({
          failureType: 'JobFailed',
          message: 'The continuation token names no build: it was not written by this action',
        });
        expect(codebuild.calls()).toHaveLength(0);
      },
    );
  });

  describe('the configuration', () => {
    it('is refused with every problem at once, before CodeBuild is called', async () => {
      const outcome = codebuildRunner().process(
        job({
          configuration: {
            ProjectName: '-app',
            EnvironmentVariables: '{"STAGE":"test","CODEBUILD_X":"1","bad name":"2","N":3}',
          },
        }),
        processingContext(),
      );

      await expect(outcome).rejects.toMatchObject({
        name: 'ConfigurationError',
        failureType: 'ConfigurationError',
        message:
          'The action configuration is invalid: ProjectName: must be a CodeBuild project name (2-255 letters, digits, - and _); EnvironmentVariables.CODEBUILD_X: must not start with CODEBUILD_; EnvironmentVariables.bad name: must be a name of letters, digits and _; EnvironmentVariables.N: must be a string',
      });
      expect(codebuild.calls()).toHaveLength(0);
    });

    it.each([
      [{}, 'ProjectName: is required'],
      [
        { ProjectName: 'app', EnvironmentVariables: 'STAGE=test' },
        'EnvironmentVariables: must be JSON text',
      ],
      [
        { ProjectName: 'app', EnvironmentVariables: '["STAGE"]' },
        'EnvironmentVariables: must be a JSON object of variable names to strings',
      ],
    ])('refuses %o: %s', async (configuration, problem) => {
      const outcome = codebuildRunner().process(job({ configuration }), processingContext());

      await expect(outcome).rejects.toMatchObject({
        failureType: 'ConfigurationError',
        message: `The action configuration is invalid: ${problem}`,
      });
    });
  });
});
