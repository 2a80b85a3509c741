/**
 * A CodeBuild runner, the kind of processor local stand-ins are for: starts a build of the
 * project `Project` (or `$PROJECT_NAME`), continues while it runs, and ends as the build
 * ended; and a stand-in of CodeBuild whose builds run for two looks.
 */
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { continueLater, failure, success } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { type StandIns, standInError } from '../../local/stand-ins/types.js';

export const codeBuildRunner: JobProcessor = {
  name: 'codebuild-runner',
  async process(job, context) {
    // The SDK's defaults: the region and the endpoint come from the worker's environment.
    const client = new CodeBuildClient({ maxAttempts: 1 });
    try {
      const id = job.continuationToken;
      if (id === undefined) {
        const projectName = job.configuration.Project ?? process.env.PROJECT_NAME;
        const { build } = await client.send(new StartBuildCommand({ projectName }), {
          abortSignal: context.signal,
        });
        return continueLater(build?.id ?? 'unknown', { percentComplete: 0 });
      }
      const { builds } = await client.send(new BatchGetBuildsCommand({ ids: [id] }), {
        abortSignal: context.signal,
      });
      const status = builds?.[0]?.buildStatus;
      if (status === 'IN_PROGRESS') return continueLater(id);
      if (status === 'SUCCEEDED') {
        return success({ summary: `build ${id} succeeded`, outputVariables: { BuildId: id } });
      }
      return failure('JobFailed', `build ${id} ended ${status}`);
    } finally {
      client.destroy();
    }
  },
};

/** CodeBuild, standing in: each build is IN_PROGRESS at its first look and SUCCEEDED after. */
export const codeBuildStandIns: StandIns = {
  codebuild: {
    StartBuild: (input, { state }) => {
      const looks = (state.looks as Map<string, number> | undefined) ?? new Map<string, number>();
      state.looks = looks;
      const id = `${String(input.projectName)}:build-${looks.size + 1}`;
      looks.set(id, 0);
      return { build: { id, buildStatus: 'IN_PROGRESS', startTime: new Date() } };
    },
    BatchGetBuilds: (input, { state }) => {
      const looks = (state.looks as Map<string, number> | undefined) ?? new Map<string, number>();
      const ids = input.ids as string[];
      const unknown = ids.filter((id) => !looks.has(id));
      if (unknown.length > 0) throw standInError('InvalidInputException', `no build ${unknown}`);
      return {
        builds: ids.map((id) => {
          const seen = (looks.get(id) ?? 0) + 1;
          looks.set(id, seen);
          return { id, buildStatus: seen >= 2 ? 'SUCCEEDED' : 'IN_PROGRESS' };
        }),
      };
    },
  },
};
