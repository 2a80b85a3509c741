/**
 * The verdict of runLocally: a run fails when a job failed because of the local world (a call
 * nothing stands in for, a processor that threw) or did not end as its `expect` says; the
 * processor's own AWS calls are answered by stand-ins, and recorded.
 */
import { describe, expect, it } from 'vitest';
import { continueLater, failure, JobFailureError, success } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { LocalRunPlanError, runLocally } from '../../local/testing/index.js';
import { codeBuildRunner, codeBuildStandIns } from '../helpers/codebuild-runner.js';

const ACTION_TYPE = {
  category: 'Build',
  provider: 'CodeBuildRunner',
  configurationProperties: [
    { name: 'Project', required: false },
    { name: 'Mode', required: false },
  ],
} as const;

describe('runLocally verdict', () => {
  it('fails the run when the processor calls a service nothing stands in for, naming the service, the operation and the variable first', async () => {
    const result = await runLocally({
      processor: codeBuildRunner,
      actionType: ACTION_TYPE,
      jobs: [{ name: 'build', configuration: { Project: 'app' } }],
      duplicateRate: 0,
    });

    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatch(
      /^No stand-in answers CodeBuild StartBuild in this local run: give standIns\.codebuild\.StartBuild a handler .* or point AWS_ENDPOINT_URL_CODEBUILD at/,
    );
    expect(result.problems[1]).toMatch(/^job build \(\w{8}\): the processor threw NoStandIn: /);
    expect(result.standIns.failures).toEqual([
      expect.objectContaining({
        kind: 'no-stand-in',
        service: 'CodeBuild',
        operation: 'StartBuild',
        variable: 'AWS_ENDPOINT_URL_CODEBUILD',
      }),
    ]);
    expect(result.jobs[0]).toMatchObject({ outcome: 'Failed', failureType: 'JobFailed' });
    expect(result.jobs[0]?.message).toMatch(/^The job processor failed: No stand-in answers/);
  }, 60_000);

  it('passes with a CodeBuild stand-in, through continuations, and returns every call it answered', async () => {
    const result = await runLocally({
      processor: codeBuildRunner,
      actionType: ACTION_TYPE,
      standIns: codeBuildStandIns,
      jobs: [
        {
          name: 'build',
          configuration: { Project: 'app' },
          expect: { outcome: 'success', messageIncludes: 'build app:build-1 succeeded' },
        },
      ],
      duplicateRate: 0,
    });

    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.jobs[0]).toMatchObject({
      outcome: 'Succeeded',
      continuations: 2,
      outputVariables: { BuildId: 'app:build-1' },
    });
    expect(result.standIns.calls.map((c) => [c.service, c.operation, c.input])).toEqual([
      ['codebuild', 'StartBuild', { projectName: 'app' }],
      ['codebuild', 'BatchGetBuilds', { ids: ['app:build-1'] }],
      ['codebuild', 'BatchGetBuilds', { ids: ['app:build-1'] }],
    ]);
    expect(result.standIns.calls[2]?.output).toEqual({
      builds: [{ id: 'app:build-1', buildStatus: 'SUCCEEDED' }],
    });
  }, 60_000);

  it('judges each job by its expect, and a job without one by whether the processor decided', async () => {
    const modes: JobProcessor = {
      name: 'modes',
      async process(job) {
        switch (job.configuration.Mode) {
          case 'bug':
            throw new TypeError("Cannot read properties of undefined (reading 'kind')");
          case 'thrown-decision':
            throw new JobFailureError('ConfigurationError', 'Project is required');
          case 'returned-decision':
            return failure('JobFailed', 'the build failed its tests');
          case 'long':
            return failure('JobFailed', `first line\nsecond line ${'x'.repeat(300)}`);
          case 'forever':
            return continueLater(`step-${job.continuationToken ?? 0}`);
          default:
            return success({ summary: 'done' });
        }
      },
    };

    const result = await runLocally({
      processor: modes,
      actionType: ACTION_TYPE,
      jobs: [
        { name: 'bug', configuration: { Mode: 'bug' } },
        { name: 'thrown-decision', configuration: { Mode: 'thrown-decision' } },
        { name: 'returned-decision', configuration: { Mode: 'returned-decision' } },
        {
          name: 'expected-bug',
          configuration: { Mode: 'bug' },
          expect: {
            outcome: 'failure',
            failureType: 'JobFailed',
            messageIncludes: 'Cannot read properties',
          },
        },
        {
          name: 'wrong-type',
          configuration: { Mode: 'returned-decision' },
          expect: { outcome: 'failure', failureType: 'ConfigurationError' },
        },
        { name: 'wrong-outcome', configuration: { Mode: 'ok' }, expect: { outcome: 'failure' } },
        {
          name: 'wrong-message',
          configuration: { Mode: 'ok' },
          expect: { outcome: 'success', messageIncludes: 'deployed' },
        },
        { name: 'forever', configuration: { Mode: 'forever' }, expect: { outcome: 'continue' } },
        { name: 'long', configuration: { Mode: 'long' } },
      ],
      duplicateRate: 0,
      timeLimitMs: 30_000,
    });

    const problems = Object.fromEntries(result.jobs.map((job) => [job.name, job.problem]));
    expect(problems).toEqual({
      bug: expect.stringMatching(
        /^the processor threw TypeError: Cannot read properties .* \(a bug, not a decision/,
      ),
      'thrown-decision': undefined,
      'returned-decision': undefined,
      'expected-bug': undefined,
      'wrong-type':
        'expected Failed (ConfigurationError), ended Failed (JobFailed): the build failed its tests',
      'wrong-outcome': 'expected Failed, ended Succeeded: done',
      'wrong-message': 'expected Succeeded with "deployed", ended Succeeded: done',
      // Continued as expected: the run did not wait for it to end.
      forever: undefined,
      long: undefined,
    });
    // A job's message is one line, its control characters escaped, cut to 200 characters.
    const long = result.jobs.find((job) => job.name === 'long');
    expect(long?.message).toMatch(/^first line\\nsecond line x+\.\.\.$/);
    expect(long?.message).toHaveLength(200);
    expect(result.totals.unfinished).toBe(0);
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(4);
    expect(result.problems[0]).toMatch(/^job bug \(\w{8}\): the processor threw TypeError/);
  }, 60_000);

  it('loads stand-ins from a module, and refuses a module whose export is not stand-ins before starting', async () => {
    const result = await runLocally({
      processor: codeBuildRunner,
      actionType: ACTION_TYPE,
      standIns: 'test/helpers/codebuild-stand-ins.ts',
      jobs: [{ configuration: { Project: 'mod' }, expect: { outcome: 'success' } }],
      duplicateRate: 0,
    });
    const wrong = runLocally({
      processor: codeBuildRunner,
      actionType: ACTION_TYPE,
      standIns: 'test/helpers/codebuild-runner.ts',
      jobs: [{ configuration: {} }],
    });

    expect(result.ok).toBe(true);
    expect(result.standIns.calls[0]).toMatchObject({
      operation: 'StartBuild',
      input: { projectName: 'mod' },
    });
    await expect(wrong).rejects.toThrow(LocalRunPlanError);
    await expect(wrong).rejects.toThrow(/its default export must be an object of services/);
  }, 60_000);

  it('names a wrong expect or stand-in in the plan', async () => {
    const run = runLocally({
      processor: codeBuildRunner,
      actionType: ACTION_TYPE,
      // @ts-expect-error: a shape the types refuse, as a jobs file may hold it
      standIns: { lambda: { Invoke: () => ({}) } },
      jobs: [
        // @ts-expect-error: an outcome the types refuse
        { configuration: {}, expect: { outcome: 'succeeded' } },
        { configuration: {}, expect: { outcome: 'success', failureType: 'JobFailed' } },
      ],
    });

    await expect(run).rejects.toThrow(LocalRunPlanError);
    await expect(run).rejects.toMatchObject({
      problems: [
        'jobs[0].expect.outcome must be one of success, failure, continue, stopped',
        "jobs[1].expect.failureType is only for outcome 'failure'",
        'standIns.lambda is not a service a stand-in can answer (known: codebuild, sfn, ecs, ssm, secretsManager)',
      ],
    });
  });
});
