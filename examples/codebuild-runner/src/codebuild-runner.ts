/**
 * The CodeBuildRunner action: starts a build of the CodeBuild project the action names, checks
 * it on a cadence until it ends, and stops it when the pipeline stops the execution. Built with
 * the kit's `waitUntil`: `start` runs in the action execution's first job, `check` after each
 * wait of the cadence (in the same invocation when it has the time, else in a continuation),
 * `cancel` when the execution is stopped while it waits. The build id travels in the typed
 * state (`build-state.ts`) and is the job's external execution id, so the action's Details link
 * opens the build.
 */
import {
  BatchGetBuildsCommand,
  type Build,
  CodeBuildClient,
  StartBuildCommand,
  StopBuildCommand,
} from '@aws-sdk/client-codebuild';
import {
  type CancelContext,
  failure,
  type Job,
  JobCanceledError,
  JobFailureError,
  type JobProcessor,
  type ProcessingContext,
  success,
} from 'codepipeline-job-worker';
import { jobArtifacts } from 'codepipeline-job-worker/artifacts';
import {
  awsClient,
  type Cadence,
  notYet,
  parseConfiguration,
  type StandardSchemaV1,
  waitUntil,
} from 'codepipeline-job-worker/kit';
import { BuildState } from './build-state.js';
import { BUILD_FILE, CONFIGURATION } from './configuration.js';

type Configuration = StandardSchemaV1.InferOutput<typeof CONFIGURATION>;

/**
 * How long to wait between checks: 15 s, 30 s, 60 s, then every 2 minutes. A build takes
 * minutes: the first checks are early for a quick one, the later ones sparse for a long one.
 * The worker keeps a wait in the invocation (no slot held, no CodePipeline round trip) when the
 * invocation has the time, else the job continues and the next job checks.
 */
export const BUILD_CHECKS: Cadence = { firstSeconds: 15, factor: 2, maxSeconds: 120 };

/** How a build that did not succeed ended; anything else but SUCCEEDED is still running. */
const FAILED_STATUSES = new Set(['FAILED', 'FAULT', 'TIMED_OUT', 'STOPPED']);

/** Runs `work` with a CodeBuild client of the job's: its retries, timeout, region and signal. */
async function withCodeBuild<T>(
  context: ProcessingContext | CancelContext,
  work: (codebuild: CodeBuildClient) => Promise<T>,
): Promise<T> {
  const codebuild = awsClient(CodeBuildClient, context);
  try {
    return await work(codebuild);
  } finally {
    codebuild.destroy();
  }
}

/** A CodeBuild refusal of StartBuild as the job's failure, when it is the action's to report. */
function startRefused(error: unknown, projectName: string): never {
  const name = (error as { name?: unknown } | null)?.name;
  const detail = (error as Error).message;
  if (name === 'ResourceNotFoundException') {
    throw new JobFailureError(
      'ConfigurationError',
      `CodeBuild project ${projectName} does not exist in this account and region`,
      { cause: error },
    );
  }
  if (name === 'InvalidInputException') {
    throw new JobFailureError('ConfigurationError', `CodeBuild refused the build: ${detail}`, {
      cause: error,
    });
  }
  if (name === 'AccessDeniedException') {
    throw new JobFailureError(
      'PermissionError',
      `The worker may not start builds of ${projectName}: grant it codebuild:StartBuild on the project`,
      { cause: error },
    );
  }
  if (name === 'AccountLimitExceededException') {
    throw new JobFailureError('JobFailed', `CodeBuild refused the build: ${detail}`, {
      cause: error,
    });
  }
  throw error;
}

/** Where and why a build that did not succeed ended: its failed phase and that phase's message. */
function failureMessage(build: Build): string {
  const phase = build.phases?.find(
    (each) => each.phaseStatus !== undefined && FAILED_STATUSES.has(each.phaseStatus),
  );
  const context = phase?.contexts?.find((each) => each.message)?.message;
  const where = phase?.phaseType ? ` in phase ${phase.phaseType}` : '';
  return `Build ${build.id} ended ${build.buildStatus}${where}${context ? `: ${context}` : ''}`;
}

async function startBuild(job: Job, config: Configuration, context: ProcessingContext) {
  const variables = Object.entries(config.EnvironmentVariables ?? {});
  const { build } = await withCodeBuild(context, (codebuild) =>
    codebuild
      .send(
        new StartBuildCommand({
          projectName: config.ProjectName,
          sourceVersion: config.SourceVersion,
          environmentVariablesOverride:
            variables.length > 0
              ? variables.map(([name, value]) => ({ name, value, type: 'PLAINTEXT' }))
              : undefined,
          // A job processed again (its worker stopped before reporting) gets the same build
          // back within CodeBuild's 5 minutes instead of starting a second one.
          idempotencyToken: job.id,
        }),
      )
      .catch((error: unknown) => startRefused(error, config.ProjectName)),
  );
  if (!build?.id) throw new Error('CodeBuild started a build without an id');
  context.logger.info('build started', { buildId: build.id });
  return notYet({
    state: { buildId: build.id },
    externalExecutionId: build.id,
    summary: `Build ${build.id} started`,
  });
}

/** Writes the build to the action's output artifact, when the pipeline gave it one. */
async function writeBuildFile(job: Job, build: Build, context: ProcessingContext): Promise<void> {
  const artifacts = jobArtifacts(job, context);
  const [output] = artifacts.outputNames;
  if (output === undefined) return;
  await artifacts.writeOutput(output, {
    path: BUILD_FILE,
    json: {
      buildId: build.id,
      buildNumber: build.buildNumber ?? null,
      projectName: build.projectName ?? null,
      buildStatus: build.buildStatus,
      resolvedSourceVersion: build.resolvedSourceVersion ?? null,
      startTime: build.startTime?.toISOString() ?? null,
      endTime: build.endTime?.toISOString() ?? null,
    },
  });
}

async function checkBuild(
  { buildId }: BuildState,
  job: Job,
  context: ProcessingContext,
  check: number,
) {
  let builds: Build[] | undefined;
  try {
    ({ builds } = await withCodeBuild(context, (codebuild) =>
      codebuild.send(new BatchGetBuildsCommand({ ids: [buildId] })),
    ));
  } catch (error) {
    const stopped: unknown = context.signal.reason;
    if (!context.signal.aborted || !JobCanceledError.is(stopped)) throw error;
    // The pipeline stopped the execution while this check ran: the job's report will be
    // refused. Continuing with the state hands the build to `cancel`, which stops it.
    context.logger.warn('build check stopped: the pipeline stopped the execution', {
      buildId,
      reason: stopped.reason,
    });
    return notYet({ summary: `Build ${buildId}: check stopped (${stopped.reason})` });
  }
  const build = builds?.find((each) => each.id === buildId);
  if (!build) {
    return failure('JobFailed', `Build ${buildId} is not known to CodeBuild`, {
      externalExecutionId: buildId,
    });
  }
  const status = build.buildStatus ?? 'IN_PROGRESS';
  context.logger.info('build checked', { buildId, check, status, phase: build.currentPhase });
  if (FAILED_STATUSES.has(status)) {
    return failure('JobFailed', failureMessage(build), { externalExecutionId: buildId });
  }
  if (status !== 'SUCCEEDED') {
    // The state stays as it is: the same build, checked again after the next wait.
    return notYet({ summary: `Build ${buildId}: ${build.currentPhase ?? status}` });
  }
  await writeBuildFile(job, build, context);
  return success({
    summary: `Build ${buildId} succeeded`,
    externalExecutionId: buildId,
    outputVariables: { BuildId: buildId, BuildStatus: status },
  });
}

/**
 * Stops the build of an execution the pipeline stopped. A build CodeBuild no longer knows has
 * nothing to stop; any other refusal is thrown, for the worker to log (`cancel` is called once).
 */
async function stopBuild({ buildId }: BuildState, reason: string, context: CancelContext) {
  try {
    const { build } = await withCodeBuild(context, (codebuild) =>
      codebuild.send(new StopBuildCommand({ id: buildId })),
    );
    context.logger.info('build stopped', { buildId, reason, status: build?.buildStatus });
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'ResourceNotFoundException') throw error;
    context.logger.warn('build to stop is not known to CodeBuild', { buildId, reason });
  }
}

/** The CodeBuildRunner processor. */
export function codebuildRunner(): JobProcessor {
  return waitUntil({
    name: 'codebuild-runner',
    state: BuildState,
    cadence: BUILD_CHECKS,
    // Every problem of the configuration at once, as a ConfigurationError, before StartBuild.
    start: (job, context) => startBuild(job, parseConfiguration(job, CONFIGURATION), context),
    check: (state, job, context, progress) => checkBuild(state, job, context, progress.check),
    cancel: (state, stop, context) => stopBuild(state, stop.reason, context),
  });
}
