/**
 * The plan of a local run (a jobs file, or runLocally's options): every wrong field is named
 * by its path before any server starts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPlan, expandJobs, LocalRunPlanError, readJobsFile } from '../../local/runner/plan.js';

const ACTION_TYPE = {
  category: 'Test',
  provider: 'SecurityScan',
  configurationProperties: [
    { name: 'MaxSizeMB', required: true, type: 'Number' },
    { name: 'Token', required: false, secret: true },
  ],
};
const plan = (changes: Record<string, unknown> = {}) => ({
  actionType: ACTION_TYPE,
  jobs: [{ configuration: { MaxSizeMB: '10' } }],
  ...changes,
});

function problemsOf(value: unknown, strict = true): readonly string[] {
  try {
    checkPlan(value, 'jobs.json', strict);
  } catch (error) {
    if (error instanceof LocalRunPlanError) return error.problems;
    throw error;
  }
  return [];
}

describe('checkPlan', () => {
  it.each([
    [
      [{ name: 'Build', files: { 'a.txt': 'a' }, zipBase64: 'UEs=' }],
      'jobs[0].inputArtifacts[0] may give only one of files, zipBase64',
    ],
    [
      [{ name: 'Build', files: { 'a.txt': 1 } }],
      'jobs[0].inputArtifacts[0].files.a.txt must be a string',
    ],
    [
      [{ name: 'Build', zipBase64: 'not base64!' }],
      'jobs[0].inputArtifacts[0].zipBase64 must be base64',
    ],
  ])('names a wrong input artifact content %#', (inputArtifacts, problem) => {
    expect(
      problemsOf(plan({ jobs: [{ configuration: { MaxSizeMB: '10' }, inputArtifacts }] })),
    ).toEqual([problem]);
  });

  it('names a wrong env, standIns or expect of a jobs file', () => {
    const wrong = plan({
      env: { 'NOT-A-NAME': 'x', COUNT: 3 },
      standIns: { codebuild: {} },
      jobs: [
        {
          configuration: { MaxSizeMB: '10' },
          expect: { outcome: 'continue', failureType: 'JobFailed', messageIncludes: '', extra: 1 },
        },
      ],
    });

    expect(problemsOf(wrong)).toEqual([
      'jobs[0].expect.extra is not a known field (known: outcome, failureType, messageIncludes)',
      "jobs[0].expect.failureType is only for outcome 'failure'",
      'jobs[0].expect.messageIncludes must be 1-1000 characters',
      'env.NOT-A-NAME is not a variable name ([A-Za-z_][A-Za-z0-9_]*)',
      'env.COUNT must be a string',
      'standIns must be the path of a module whose default export is the stand-ins',
    ]);
  });

  it('refuses contents for an output artifact', () => {
    const withOutput = plan({
      actionType: { ...ACTION_TYPE, maxOutputArtifacts: 1 },
      jobs: [{ configuration: { MaxSizeMB: '10' }, outputArtifacts: [{ name: 'R', files: {} }] }],
    });

    expect(problemsOf(withOutput)).toEqual([
      'jobs[0].outputArtifacts[0].files is not a known field (known: name, revision)',
    ]);
  });

  it('accepts a plan with every field', () => {
    const full = plan({
      duplicateRate: 0.5,
      timeLimitMs: 60_000,
      jobs: [
        {
          name: 'resumed',
          configuration: { MaxSizeMB: '10', Token: 'secret-value' },
          continuationToken: 'tok',
          firstDispatchAbandoned: true,
          repeat: 3,
          pipelineContext: { pipelineName: 'shop', stageName: 'Checks', actionName: 'Scan' },
          inputArtifacts: [{ name: 'Build', revision: 'abc' }],
        },
      ],
    });

    expect(problemsOf(full)).toEqual([]);
    expect(checkPlan(full, 'jobs.json', true)).toBe(full);
  });

  it.each([
    [
      { actionType: { ...ACTION_TYPE, category: 'Testing' } },
      'actionType.category must be one of Source, Build, Deploy, Test, Invoke, Approval, Compute (got "Testing")',
    ],
    [
      { actionType: { ...ACTION_TYPE, provider: 'Security Scan' } },
      'actionType.provider must be 1-35 characters of [0-9A-Za-z_-] (got "Security Scan")',
    ],
    [{ actionType: { category: 'Test' } }, 'actionType.provider is required'],
    [
      { actionType: { ...ACTION_TYPE, maxInputArtifacts: 6 } },
      'actionType.maxInputArtifacts must be an integer from 0 to 5 (got 6)',
    ],
    [
      { actionType: { ...ACTION_TYPE, minOutputArtifacts: 2 } },
      'actionType.minOutputArtifacts is above max (0)',
    ],
    [
      {
        actionType: {
          ...ACTION_TYPE,
          configurationProperties: [{ name: 'A', required: true, type: 'Text' }],
        },
      },
      'actionType.configurationProperties[0].type must be one of String, Number, Boolean',
    ],
    [{ jobs: [] }, 'jobs must be a non-empty array'],
    [
      { jobs: [{ configuration: { MaxSizeMB: 10 } }] },
      'jobs[0].configuration.MaxSizeMB must be a string',
    ],
    [
      { jobs: [{ configuration: { MaxSizeMB: '' } }] },
      'jobs[0].configuration.MaxSizeMB must be 1-1000 characters, as CodePipeline allows',
    ],
    [
      { jobs: [{ configuration: {} }] },
      'jobs[0].configuration.MaxSizeMB is required by the action type',
    ],
    [
      { jobs: [{ configuration: { MaxSizeMB: '1', Size: '2' } }] },
      'jobs[0].configuration.Size is not a configuration property of the action type (declared: MaxSizeMB, Token)',
    ],
    [
      { jobs: [{ configuration: { MaxSizeMB: '1' }, continuationtoken: 'x' }] },
      'jobs[0].continuationtoken is not a known field (known: name, configuration, continuationToken, firstDispatchAbandoned, repeat, pipelineContext, inputArtifacts, outputArtifacts, expect, stop)',
    ],
    [
      { jobs: [{ configuration: { MaxSizeMB: '1' }, repeat: 0 }] },
      'jobs[0].repeat must be an integer from 1 to 1000 (got 0)',
    ],
    [
      { jobs: [{ configuration: { MaxSizeMB: '1' }, firstDispatchAbandoned: 'yes' }] },
      'jobs[0].firstDispatchAbandoned must be true or false',
    ],
    [
      {
        jobs: [
          { configuration: { MaxSizeMB: '1' }, inputArtifacts: [{ name: 'a' }, { name: 'b' }] },
        ],
      },
      'jobs[0].inputArtifacts must hold 0 to 1 artifacts, as the action type declares',
    ],
    [
      { jobs: [{ configuration: { MaxSizeMB: '1' }, inputArtifacts: [{ name: 'has space' }] }] },
      'jobs[0].inputArtifacts[0].name must be 1-100 of [a-zA-Z0-9_-]',
    ],
    [
      {
        jobs: [
          { configuration: { MaxSizeMB: '1' }, repeat: 600 },
          { configuration: { MaxSizeMB: '1' }, repeat: 600 },
        ],
      },
      'jobs queue 1200 jobs; at most 1000',
    ],
    [{ duplicateRate: 1.5 }, 'duplicateRate must be a number from 0 to 1'],
    [{ timeLimitMs: 10 }, 'timeLimitMs must be an integer from 1000 to 3600000 (got 10)'],
    [
      { job: [] },
      '(top level).job is not a known field (known: actionType, jobs, duplicateRate, timeLimitMs, env, standIns)',
    ],
  ])('names the field: %o', (changes, problem) => {
    expect(problemsOf(plan(changes))).toContain(problem);
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(
      plan({ duplicateRate: -1, jobs: [{ configuration: {}, repeat: 0 }] }),
    );

    expect(problems).toHaveLength(3);
  });

  it('ignores fields other than the plan when not strict (runLocally options)', () => {
    expect(problemsOf({ ...plan(), entry: 'src/handler.ts' }, false)).toEqual([]);
    expect(problemsOf({ ...plan(), entry: 'src/handler.ts' }, true)).toHaveLength(1);
  });
});

describe('expandJobs', () => {
  it('repeats jobs and names them by their place in the list', () => {
    const jobs = expandJobs([{ repeat: 2 }, { name: 'named' }]);

    expect(jobs.map((job) => job.name)).toEqual(['job-1', 'job-1', 'named']);
  });
});

describe('readJobsFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobs-file-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a valid file', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, JSON.stringify(plan()));

    await expect(readJobsFile(file)).resolves.toEqual(plan());
  });

  it('resolves an input artifact directory from the file folder', async () => {
    const file = join(dir, 'with-directory.json');
    const artifacts = [
      { name: 'Build', directory: 'fixtures/build' },
      { name: 'Other', files: { 'a.txt': 'a' } },
    ];
    writeFileSync(
      file,
      JSON.stringify(
        plan({
          actionType: { ...ACTION_TYPE, maxInputArtifacts: 2 },
          jobs: [{ configuration: { MaxSizeMB: '1' }, inputArtifacts: artifacts }],
        }),
      ),
    );

    const read = await readJobsFile(file);

    expect(read.jobs[0]?.inputArtifacts).toEqual([
      { name: 'Build', directory: join(dir, 'fixtures/build') },
      { name: 'Other', files: { 'a.txt': 'a' } },
    ]);
  });

  it('resolves the stand-ins module from the file folder, and keeps env and expect', async () => {
    const file = join(dir, 'with-stand-ins.json');
    const expectation = { outcome: 'failure', failureType: 'ConfigurationError' };
    writeFileSync(
      file,
      JSON.stringify(
        plan({
          standIns: './stand-ins.ts',
          env: { PROJECT_NAME: 'app' },
          jobs: [{ configuration: { MaxSizeMB: '1' }, expect: expectation }],
        }),
      ),
    );

    const read = await readJobsFile(file);

    expect(read.standIns).toBe(join(dir, 'stand-ins.ts'));
    expect(read.env).toEqual({ PROJECT_NAME: 'app' });
    expect(read.jobs[0]?.expect).toEqual(expectation);
  });

  it('names the file when it is missing or not JSON', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ "jobs": [');

    await expect(readJobsFile(join(dir, 'missing.json'))).rejects.toThrow(
      /missing\.json is not a valid local run:\n {2}- cannot be read/,
    );
    await expect(readJobsFile(bad)).rejects.toThrow(
      /bad\.json is not a valid local run:\n {2}- is not JSON/,
    );
  });
});

describe('checkPlan: a job’s stop', () => {
  const withStop = (stop: unknown, expectation?: unknown) =>
    plan({
      jobs: [
        {
          configuration: { MaxSizeMB: '10' },
          stop,
          ...(expectation ? { expect: expectation } : {}),
        },
      ],
    });

  it.each([
    [{ afterContinuations: 2, while: 'waiting', mode: 'abandon' }, { outcome: 'stopped' }],
    [{ afterContinuations: 0, while: 'running', mode: 'supersede', delayMs: 250 }, undefined],
    [{ afterContinuations: 1, while: 'running', mode: 'timeout' }, undefined],
    [{ afterContinuations: 100, while: 'waiting', mode: 'stop' }, undefined],
  ])('accepts %o', (stop, expectation) => {
    expect(problemsOf(withStop(stop, expectation))).toEqual([]);
  });

  it.each([
    [
      { afterContinuations: 0, while: 'waiting', mode: 'abandon' },
      'jobs[0].stop.afterContinuations must be an integer from 1 to 100 (got 0)',
    ],
    [
      { afterContinuations: 101, while: 'running', mode: 'abandon' },
      'jobs[0].stop.afterContinuations must be an integer from 0 to 100 (got 101)',
    ],
    [
      { afterContinuations: 1.5, while: 'running', mode: 'abandon' },
      'jobs[0].stop.afterContinuations must be an integer from 0 to 100 (got 1.5)',
    ],
    [{ while: 'running', mode: 'abandon' }, 'jobs[0].stop.afterContinuations is required'],
    [
      { afterContinuations: 1, while: 'sleeping', mode: 'abandon' },
      'jobs[0].stop.while must be one of waiting, running',
    ],
    [
      { afterContinuations: 1, while: 'waiting', mode: 'kill' },
      'jobs[0].stop.mode must be one of abandon, stop, supersede, timeout',
    ],
    [
      { afterContinuations: 1, while: 'waiting', mode: 'abandon', delayMs: 10 },
      "jobs[0].stop.delayMs is only for while 'running'",
    ],
    [
      { afterContinuations: 1, while: 'running', mode: 'abandon', delayMs: 60_001 },
      'jobs[0].stop.delayMs must be an integer from 0 to 60000 (got 60001)',
    ],
    [
      { afterContinuations: 1, while: 'running', mode: 'abandon', after: 3 },
      'jobs[0].stop.after is not a known field (known: afterContinuations, while, mode, delayMs)',
    ],
    ['soon', 'jobs[0].stop must be an object'],
  ])('names a wrong stop %#', (stop, problem) => {
    expect(problemsOf(withStop(stop))).toEqual([problem]);
  });

  it("refuses expect 'stopped' without a stop", () => {
    const wrong = plan({
      jobs: [{ configuration: { MaxSizeMB: '10' }, expect: { outcome: 'stopped' } }],
    });

    expect(problemsOf(wrong)).toEqual(["jobs[0].expect.outcome 'stopped' needs the job's stop"]);
  });
});
