/**
 * The processor alone, called as the worker calls it: CodeBuild answered by
 * aws-sdk-client-mock, the output artifact held by the local artifact store, the typed state
 * read back with `BuildState`, and `cancel` called as the worker calls it when the pipeline
 * stops an execution.
 */
import {
  BatchGetBuildsCommand,
  type Build,
  CodeBuildClient,
  ResourceNotFoundException,
  StartBuildCommand,
  StopBuildCommand,
} from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { type Cancellation, JobCanceledError, type JobOutcome } from 'codepipeline-job-worker';
import {
  type JobFixtureOptions,
  jobFixture,
  type LocalArtifactStore,
  localArtifactStore,
  processingContext,
  type TestProcessingContext,
} from 'codepipeline-job-worker/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BuildState } from '../src/build-state.js';
import { codebuildRunner } from '../src/codebuild-runner.js';
import { BUILD_FILE } from '../src/configuration.js';

const BUILD_ID = 'app-build:0f4e7d2c-9b1a-4c3d-8e5f-6a7b8c9d0e1f';
/** The state a job hands the next: the build it waits for. */
const STATE_TOKEN = BuildState.encode({ buildId: BUILD_ID });
/** The token earlier versions of this action wrote by hand, before the typed state. */
const HAND_WRITTEN_TOKEN = JSON.stringify({ buildId: BUILD_ID });

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
  async function run(given: ReturnType<typeof jobFixture>, context = processingContext()) {
    contexts.push(context);
    const outcome = await context.checked(await codebuildRunner().process(given, context));
    return { outcome, context };
  }

  /** The build a continue outcome hands the next check, read as the next job reads it. */
  function stateOf(outcome: JobOutcome) {
    if (outcome.kind !== 'continue') throw new Error(`not a continue outcome: ${outcome.kind}`);
    return BuildState.read(outcome);
  }

  function build(fields: Partial<Build>): Build {
    return { id: BUILD_ID, projectName: 'app-build', buildNumber: 7, ...fields };
  }

  describe('the first job', () => {
    it('starts a build with the configured overrides and continues with it in its state, checked again after 15 s', async () => {
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
        continuationToken: expect.stringMatching(/^cpjs1:/),
        checkAfterSeconds: 15,
        externalExecutionId: BUILD_ID,
        summary: `Build ${BUILD_ID} started`,
      });
      expect(stateOf(outcome)).toEqual({ buildId: BUILD_ID });
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

  describe('the checks', () => {
    it('checks again on the cadence while the build runs: 15 s, 30 s, 60 s, then every 2 minutes', async () => {
      codebuild.on(StartBuildCommand).resolves({ build: build({ buildStatus: 'IN_PROGRESS' }) });
      codebuild
        .on(BatchGetBuildsCommand, { ids: [BUILD_ID] })
        .resolves({ builds: [build({ buildStatus: 'IN_PROGRESS', currentPhase: 'BUILD' })] });
      const given = job({ configuration: { ProjectName: 'app-build' } });

      // Each job carries the token the one before returned, as CodePipeline hands it on.
      const outcomes: JobOutcome[] = [(await run(given)).outcome];
      for (let check = 1; check <= 5; check++) {
        const last = outcomes.at(-1);
        if (last?.kind !== 'continue') throw new Error('the wait ended');
        outcomes.push((await run({ ...given, continuationToken: last.continuationToken })).outcome);
      }

      expect(outcomes.map((each) => each.kind === 'continue' && each.checkAfterSeconds)).toEqual([
        15, 30, 60, 120, 120, 120,
      ]);
      expect(
        outcomes.slice(1).map((each) => [stateOf(each), each.kind === 'continue' && each.summary]),
      ).toEqual(Array(5).fill([{ buildId: BUILD_ID }, `Build ${BUILD_ID}: BUILD`]));
      expect(codebuild.commandCalls(StartBuildCommand)).toHaveLength(1);
      expect(codebuild.commandCalls(BatchGetBuildsCommand)).toHaveLength(5);
    });

    it('succeeds with the build id and status as output variables', async () => {
      codebuild
        .on(BatchGetBuildsCommand)
        .resolves({ builds: [build({ buildStatus: 'SUCCEEDED' })] });

      const { outcome } = await run(
        job({ configuration: { ProjectName: 'app-build' }, continuationToken: STATE_TOKEN }),
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
        continuationToken: STATE_TOKEN,
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
          continuationToken: STATE_TOKEN,
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
        job({ configuration: { ProjectName: 'app-build' }, continuationToken: STATE_TOKEN }),
      );

      expect(outcome).toEqual({
        kind: 'failure',
        failureType: 'JobFailed',
        message: `Build ${BUILD_ID} is not known to CodeBuild`,
        externalExecutionId: BUILD_ID,
      });
    });
  });

  describe('the continuation state', () => {
    it('reads the {"buildId"} token of an execution an earlier version started, and goes on with the typed state', async () => {
      codebuild
        .on(BatchGetBuildsCommand, { ids: [BUILD_ID] })
        .resolves({ builds: [build({ buildStatus: 'IN_PROGRESS', currentPhase: 'BUILD' })] });

      const { outcome } = await run(
        job({ configuration: { ProjectName: 'app-build' }, continuationToken: HAND_WRITTEN_TOKEN }),
      );

      expect(outcome).toMatchObject({
        kind: 'continue',
        continuationToken: expect.stringMatching(/^cpjs1:/),
        checkAfterSeconds: 30,
      });
      expect(stateOf(outcome)).toEqual({ buildId: BUILD_ID });
    });

    it.each<[string, string, string]>([
      [
        'not JSON',
        'not json',
        'The continuation token names no build: it was not written by this action',
      ],
      ...[
        ['a hand-written token without a build', '{}'],
        ['a hand-written token with an empty build id', '{"buildId":""}'],
        ['a state without a build', 'cpjs1:{"v":1,"s":{}}'],
        ['a state whose build id is no build id', 'cpjs1:{"v":1,"s":{"buildId":"app build"}}'],
      ].map(([what = '', token = '']): [string, string, string] => [
        what,
        token,
        "The continuation state does not satisfy the state's schema (version 1): buildId: must be a CodeBuild build id",
      ]),
      [
        'a state of a later version',
        `cpjs1:{"v":2,"s":{"buildId":"${BUILD_ID}"}}`,
        'The continuation token holds version 2 of the state, and this processor reads version 1',
      ],
    ])('fails %s without calling CodeBuild', async (_what, continuationToken, message) => {
      const outcome = codebuildRunner().process(
        job({ configuration: { ProjectName: 'app-build' }, continuationToken }),
        processingContext(),
      );

      await expect(outcome).rejects.toMatchObject({
        failureType: 'JobFailed',
        message: expect.stringContaining(message),
      });
      expect(codebuild.calls()).toHaveLength(0);
    });

    it('refuses to write a state too long for the token, before anything is sent', () => {
      expect(() => BuildState.encode({ buildId: `app:${'0'.repeat(2_100)}` })).toThrow(
        /over the limit of 2014/,
      );
    });
  });

  describe('a stop while a check runs', () => {
    /** A context whose signal the test aborts, with the reason it gives. */
    function stoppable() {
      const controller = new AbortController();
      const context: TestProcessingContext = { ...processingContext(), signal: controller.signal };
      return { context, abort: (reason?: unknown) => controller.abort(reason) };
    }

    /** BatchGetBuilds in flight when the signal aborts: the SDK gives up on the call. */
    function abortedDuringCheck(abort: (reason?: unknown) => void, reason?: unknown) {
      codebuild.on(BatchGetBuildsCommand).callsFake(() => {
        abort(reason);
        throw Object.assign(new Error('Request aborted'), { name: 'AbortError' });
      });
    }

    it('continues with the build when the pipeline stopped the execution, for cancel to stop it', async () => {
      const { context, abort } = stoppable();
      abortedDuringCheck(abort, new JobCanceledError('abandoned'));

      const { outcome } = await run(
        job({ configuration: { ProjectName: 'app-build' }, continuationToken: STATE_TOKEN }),
        context,
      );

      expect(outcome).toMatchObject({
        kind: 'continue',
        summary: `Build ${BUILD_ID}: check stopped (abandoned)`,
      });
      expect(stateOf(outcome)).toEqual({ buildId: BUILD_ID });
      expect(context.logs).toContainEqual({
        level: 'warn',
        message: 'build check stopped: the pipeline stopped the execution',
        attributes: { buildId: BUILD_ID, reason: 'abandoned' },
      });
    });

    it.each([
      ['its deadline passed', undefined],
      ['nothing aborted it', 'no abort'],
    ])(
      'lets a check that failed because %s go through, for the worker to report',
      async (_why, given) => {
        const { context, abort } = stoppable();
        if (given === 'no abort') {
          codebuild.on(BatchGetBuildsCommand).rejects(new Error('socket hang up'));
        } else {
          abortedDuringCheck(abort, given);
        }

        const outcome = codebuildRunner().process(
          job({ configuration: { ProjectName: 'app-build' }, continuationToken: STATE_TOKEN }),
          context,
        );

        await expect(outcome).rejects.toThrow(
          given === 'no abort' ? 'socket hang up' : 'Request aborted',
        );
      },
    );
  });

  describe('cancel', () => {
    /** A stop of the execution, as the worker hands it to `cancel`. */
    function cancellation(continuationToken: string): Cancellation {
      return {
        reason: 'abandoned',
        continuationToken,
        externalExecutionId: BUILD_ID,
        actionExecutionId: '5e6f7a8b-1c2d-4e3f-9a0b-1c2d3e4f5a6b',
        pipelineName: 'my-pipeline',
      };
    }

    /** The processor's `cancel`, called with a context as the worker gives it. */
    async function cancel(given: Cancellation) {
      const { cancel: hook } = codebuildRunner();
      if (hook === undefined) throw new Error('the processor has no cancel');
      const context = processingContext();
      contexts.push(context);
      await hook(given, context);
      return context;
    }

    it('stops the build of the state the worker last recorded', async () => {
      codebuild
        .on(StopBuildCommand, { id: BUILD_ID })
        .resolves({ build: build({ buildStatus: 'STOPPED' }) });

      const context = await cancel(cancellation(STATE_TOKEN));

      expect(codebuild.commandCalls(StopBuildCommand).map((call) => call.args[0].input)).toEqual([
        { id: BUILD_ID },
      ]);
      // awsClient passes the cancel context's signal with the call.
      const [, options] = codebuild.call(0).args as unknown[];
      expect(options).toMatchObject({ abortSignal: context.signal });
      expect(context.logs).toContainEqual({
        level: 'info',
        message: 'build stopped',
        attributes: { buildId: BUILD_ID, reason: 'abandoned', status: 'STOPPED' },
      });
    });

    it('stops the build of a {"buildId"} token an earlier version wrote', async () => {
      codebuild.on(StopBuildCommand).resolves({ build: build({ buildStatus: 'STOPPED' }) });

      await cancel(cancellation(HAND_WRITTEN_TOKEN));

      expect(codebuild.commandCalls(StopBuildCommand).map((call) => call.args[0].input)).toEqual([
        { id: BUILD_ID },
      ]);
    });

    it('has nothing to stop when CodeBuild no longer knows the build', async () => {
      codebuild
        .on(StopBuildCommand)
        .rejects(new ResourceNotFoundException({ message: 'Build not found', $metadata: {} }));

      const context = await cancel(cancellation(STATE_TOKEN));

      expect(context.logs).toContainEqual({
        level: 'warn',
        message: 'build to stop is not known to CodeBuild',
        attributes: { buildId: BUILD_ID, reason: 'abandoned' },
      });
    });

    it('lets any other refusal go through, for the worker to log', async () => {
      const denied = Object.assign(new Error('not authorized to perform: codebuild:StopBuild'), {
        name: 'AccessDeniedException',
      });
      codebuild.on(StopBuildCommand).rejects(denied);

      await expect(cancel(cancellation(STATE_TOKEN))).rejects.toThrow(
        'not authorized to perform: codebuild:StopBuild',
      );
    });

    it('fails a token this action did not write, without calling CodeBuild', async () => {
      await expect(cancel(cancellation('{}'))).rejects.toThrow(
        'buildId: must be a CodeBuild build id',
      );
      expect(codebuild.calls()).toHaveLength(0);
    });
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
