/**
 * The CodeBuildRunner action: starts a build of the CodeBuild project the action names, then
 * looks at it once per job until it ends. The first job starts the build and continues with a
 * small JSON token; CodePipeline hands the token to a new job of the action, which looks at
 * the build again (`BatchGetBuilds`) and continues, succeeds or fails as the build did. The
 * build id is the job's external execution id, so the action's Details link opens the build.
 */
import {
  BatchGetBuildsCommand,
  type Build,
  CodeBuildClient,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import {
  continueLater,
  failure,
  type Job,
  JobFailureError,
  type JobOutcome,
  type JobProcessor,
  type ProcessingContext,
  success,
} from 'codepipeline-job-worker';
import { jobArtifacts } from 'codepipeline-job-worker/artifacts';
import { awsClient, parseConfiguration, type StandardSchemaV1 } from 'codepipeline-job-worker/kit';
import { BUILD_FILE, CONFIGURATION } from './configuration.js';

type Configuration = StandardSchemaV1.InferOutput<typeof CONFIGURATION>;

/** What a continuing job carries to the next: the build it waits for. */
interface BuildToken {
  readonly buildId: string;
}

/** How a build that did not succeed ended; anything else but SUCCEEDED is still running. */
const FAILED_STATUSES = new Set(['FAILED', 'FAULT', 'TIMED_OUT', 'STOPPED']);

function readToken(token: string): BuildToken {
  let parsed: unknown;
  try {
    parsed = JSON.parse(token);
  } catch {
    parsed = undefined;
  }
  const buildId = (parsed as Partial<BuildToken> | undefined)?.buildId;
  if (typeof buildId !== 'string' || buildId === '') {
    throw new JobFailureError(
      'JobFailed',
      'The continuation token names no build: it was not written by this action',
    );
  }
  return { buildId };
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

async function startBuild(
  job: Job,
  config: Configuration,
  codebuild: CodeBuildClient,
  context: ProcessingContext,
): Promise<JobOutcome> {
  const variables = Object.entries(config.EnvironmentVariables ?? {});
  const { build } = await codebuild
    .send(
      new StartBuildCommand({
        projectName: config.ProjectName,
        sourceVersion: config.SourceVersion,
        environmentVariablesOverride:
          variables.length > 0
            ? variables.map(([name, value]) => ({ name, value, type: 'PLAINTEXT' }))
            : undefined,
        // A job processed again (its worker stopped before reporting) gets the same build back
        // within CodeBuild's 5 minutes instead of starting a second one.
        idempotencyToken: job.id,
      }),
    )
    .catch((error: unknown) => startRefused(error, config.ProjectName));
  if (!build?.id) throw new Error('CodeBuild started a build without an id');
  context.logger.info('build started', { buildId: build.id });
  const token: BuildToken = { buildId: build.id };
  return continueLater(JSON.stringify(token), {
    externalExecutionId: build.id,
    summary: `Build ${build.id} started`,
  });
}

async function checkBuild(
  job: Job,
  token: BuildToken,
  codebuild: CodeBuildClient,
  context: ProcessingContext,
): Promise<JobOutcome> {
  const { buildId } = token;
  const { builds } = await codebuild.send(new BatchGetBuildsCommand({ ids: [buildId] }));
  const build = builds?.find((each) => each.id === buildId);
  if (!build) {
    return failure('JobFailed', `Build ${buildId} is not known to CodeBuild`, {
      externalExecutionId: buildId,
    });
  }
  const status = build.buildStatus ?? 'IN_PROGRESS';
  context.logger.info('build checked', { buildId, status, phase: build.currentPhase });
  if (FAILED_STATUSES.has(status)) {
    return failure('JobFailed', failureMessage(build), { externalExecutionId: buildId });
  }
  if (status !== 'SUCCEEDED') {
    return continueLater(job.continuationToken ?? JSON.stringify(token), {
      externalExecutionId: buildId,
      summary: `Build ${buildId}: ${build.currentPhase ?? status}`,
    });
  }

  // The action declares at most one output; the pipeline names it.
  const artifacts = jobArtifacts(job, context);
  const [output] = artifacts.outputNames;
  if (output !== undefined) {
    await artifacts.writeOutput(output, {
      path: BUILD_FILE,
      json: {
        buildId,
        buildNumber: build.buildNumber ?? null,
        projectName: build.projectName ?? null,
        buildStatus: status,
        resolvedSourceVersion: build.resolvedSourceVersion ?? null,
        startTime: build.startTime?.toISOString() ?? null,
        endTime: build.endTime?.toISOString() ?? null,
      },
    });
  }
  return success({
    summary: `Build ${buildId} succeeded`,
    externalExecutionId: buildId,
    outputVariables: { BuildId: buildId, BuildStatus: status },
  });
}

/** The CodeBuildRunner processor. */
export function codebuildRunner(): JobProcessor {
  return {
    name: 'codebuild-runner',
    async process(job, context): Promise<JobOutcome> {
      // Every problem of the configuration at once, as a ConfigurationError.
      const config = parseConfiguration(job, CONFIGURATION);
      // The worker's retries and timeout, the function's region, the job's abort signal.
      const codebuild = awsClient(CodeBuildClient, context);
      try {
        return job.continuationToken === undefined
          ? await startBuild(job, config, codebuild, context)
          : await checkBuild(job, readToken(job.continuationToken), codebuild, context);
      } finally {
        codebuild.destroy();
      }
    },
  };
}
