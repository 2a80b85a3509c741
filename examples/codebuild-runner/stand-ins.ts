/**
 * CodeBuild, standing in for local runs (`npm start`, `test/local-run.test.ts`): the real
 * CodeBuild client inside the processor talks to these handlers, served on loopback in
 * CodeBuild's own protocol. Four projects exist:
 *
 * - `app-build`: each build is IN_PROGRESS at its first check and SUCCEEDED at its second;
 * - `app-broken`: each build is IN_PROGRESS at its first check and FAILED in its BUILD phase
 *   at its second;
 * - `app-long`: each build runs until it is stopped;
 * - `app-slow`: as `app-long`, and each BatchGetBuilds takes 3 s to answer, so that a stop
 *   can come while a check runs.
 *
 * StopBuild stops a build that runs (it ends STOPPED), answers a build that ended as it is,
 * and an unknown one with `ResourceNotFoundException`; any other project is answered as
 * CodeBuild answers StartBuild for it: `ResourceNotFoundException`.
 */
import { type StandIns, standInError } from 'codepipeline-job-worker/testing';

interface StoodInBuild {
  readonly id: string;
  readonly projectName: string;
  readonly buildNumber: number;
  readonly sourceVersion: string;
  readonly startTime: Date;
  checks: number;
  /** When StopBuild stopped it, if it did. */
  stoppedAt?: Date;
}

/** How each known project's builds end: after two checks, or only when stopped. */
const PROJECTS: Readonly<Record<string, { readonly ends?: 'SUCCEEDED' | 'FAILED' }>> = {
  'app-build': { ends: 'SUCCEEDED' },
  'app-broken': { ends: 'FAILED' },
  'app-long': {},
  'app-slow': {},
};
const CHECKS_TO_END = 2;
const SLOW_PROJECT = 'app-slow';
const SLOW_ANSWER_MS = 3_000;

/** The run's builds, by id, and by the idempotency token that started them. */
function builds(state: Record<string, unknown>) {
  state.builds ??= new Map<string, StoodInBuild>();
  state.byToken ??= new Map<string, string>();
  return {
    byId: state.builds as Map<string, StoodInBuild>,
    byToken: state.byToken as Map<string, string>,
  };
}

function statusOf(build: StoodInBuild): string {
  if (build.stoppedAt) return 'STOPPED';
  const ends = PROJECTS[build.projectName]?.ends;
  return ends !== undefined && build.checks >= CHECKS_TO_END ? ends : 'IN_PROGRESS';
}

function phases(status: string) {
  if (status === 'FAILED') {
    return [
      { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED' },
      {
        phaseType: 'BUILD',
        phaseStatus: 'FAILED',
        contexts: [
          {
            statusCode: 'COMMAND_EXECUTION_ERROR',
            message: 'Error while executing command: npm test. Reason: exit status 1',
          },
        ],
      },
    ];
  }
  if (status === 'STOPPED') {
    return [
      { phaseType: 'INSTALL', phaseStatus: 'SUCCEEDED' },
      { phaseType: 'BUILD', phaseStatus: 'STOPPED' },
    ];
  }
  return [];
}

function reported(build: StoodInBuild) {
  const status = statusOf(build);
  const ended = status !== 'IN_PROGRESS';
  return {
    id: build.id,
    projectName: build.projectName,
    buildNumber: build.buildNumber,
    buildStatus: status,
    buildComplete: ended,
    currentPhase: ended ? 'COMPLETED' : 'BUILD',
    sourceVersion: build.sourceVersion,
    resolvedSourceVersion: '4c6fd1f0b0c1a1e5d1e2f3a4b5c6d7e8f9a0b1c2',
    startTime: build.startTime,
    ...(ended ? { endTime: build.stoppedAt ?? new Date() } : {}),
    phases: phases(status),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const standIns: StandIns = {
  codebuild: {
    StartBuild: (input, { state }) => {
      const { byId, byToken } = builds(state);
      const projectName = String(input.projectName);
      if (!(projectName in PROJECTS)) {
        throw standInError(
          'ResourceNotFoundException',
          `Project cannot be found: arn:aws:codebuild:us-east-1:123456789012:project/${projectName}`,
        );
      }
      // CodeBuild answers a repeated token with the build it started.
      const token = typeof input.idempotencyToken === 'string' ? input.idempotencyToken : '';
      const known = byId.get(byToken.get(token) ?? '');
      if (known) return { build: reported(known) };

      const buildNumber = byId.size + 1;
      const build: StoodInBuild = {
        id: `${projectName}:${String(buildNumber).padStart(8, '0')}-0000-4000-8000-000000000000`,
        projectName,
        buildNumber,
        sourceVersion: typeof input.sourceVersion === 'string' ? input.sourceVersion : 'main',
        startTime: new Date(),
        checks: 0,
      };
      byId.set(build.id, build);
      if (token) byToken.set(token, build.id);
      return { build: reported(build) };
    },
    BatchGetBuilds: async (input, { state }) => {
      const { byId } = builds(state);
      const ids = Array.isArray(input.ids) ? input.ids.map(String) : [];
      const found = ids.flatMap((id) => {
        const build = byId.get(id);
        if (!build) return [];
        build.checks++;
        return [build];
      });
      if (found.some((build) => build.projectName === SLOW_PROJECT)) await sleep(SLOW_ANSWER_MS);
      return {
        builds: found.map(reported),
        buildsNotFound: ids.filter((id) => !byId.has(id)),
      };
    },
    StopBuild: (input, { state }) => {
      const { byId } = builds(state);
      const build = byId.get(String(input.id));
      if (!build) {
        throw standInError('ResourceNotFoundException', `Build not found: ${String(input.id)}`);
      }
      // A build that ended stays as it ended.
      if (statusOf(build) === 'IN_PROGRESS') build.stoppedAt = new Date();
      return { build: reported(build) };
    },
  },
};

export default standIns;
