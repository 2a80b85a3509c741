/**
 * Checks a local run's plan (the action type and the jobs), from a jobs file or from
 * `runLocally`'s options, before any server starts: every problem is named by its field's
 * path (`jobs[2].configuration.MaxSizeMB`), all of them at once.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  ARTIFACT_COUNT_RANGE,
  categoryProblem,
  DEFAULT_ARTIFACT_COUNTS,
  providerProblem,
  rangeProblem,
  versionProblem,
} from '../../lambda/contract.js';
import { standInProblems } from '../stand-ins/server.js';
import type { LocalActionType, LocalArtifact, LocalJob, LocalRunPlan } from './options.js';

/** The plan cannot be run; `problems` names each field that is wrong. */
export class LocalRunPlanError extends Error {
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[]) {
    super(`${source} is not a valid local run:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'LocalRunPlanError';
    this.problems = problems;
  }
}

/** The most jobs one run queues, repeats included. */
export const MAX_LOCAL_JOBS = 1_000;
const ARTIFACT_NAME = /^[a-zA-Z0-9_-]{1,100}$/;
const PROPERTY_TYPES = ['String', 'Number', 'Boolean'];

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Collects problems while reading an untrusted value. */
class Reader {
  readonly problems: string[] = [];

  problem(path: string, message: string): void {
    this.problems.push(`${path} ${message}`);
  }

  object(value: unknown, path: string, known: readonly string[]): Json | undefined {
    if (!isObject(value)) {
      this.problem(path, 'must be an object');
      return undefined;
    }
    for (const key of Object.keys(value)) {
      if (!known.includes(key)) {
        this.problem(`${path}.${key}`, `is not a known field (known: ${known.join(', ')})`);
      }
    }
    return value;
  }

  string(value: unknown, path: string, pattern?: RegExp, rule?: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value !== 'string') this.problem(path, 'must be a string');
    else if (pattern && !pattern.test(value)) this.problem(path, `must be ${rule}`);
    else return value;
    return undefined;
  }

  boolean(value: unknown, path: string): boolean | undefined {
    if (value === undefined || typeof value === 'boolean') return value;
    this.problem(path, 'must be true or false');
    return undefined;
  }

  /** A string that `check` finds nothing wrong with. */
  checked(value: unknown, path: string, check: (text: string) => string | undefined) {
    if (value === undefined) return undefined;
    const problem = typeof value === 'string' ? check(value) : 'must be a string';
    if (problem === undefined) return value as string;
    this.problem(path, problem);
    return undefined;
  }

  number(value: unknown, path: string, min: number, max: number, integer: boolean) {
    if (value === undefined) return undefined;
    const amount = typeof value === 'number' ? value : Number.NaN;
    if (integer) {
      const problem = rangeProblem({ min, max }, amount, value);
      if (problem === undefined) return amount;
      this.problem(path, problem);
      return undefined;
    }
    if (Number.isFinite(amount) && amount >= min && amount <= max) return amount;
    this.problem(path, `must be a number from ${min} to ${max}`);
    return undefined;
  }
}

const ACTION_TYPE_FIELDS = [
  'category',
  'provider',
  'version',
  'configurationProperties',
  'minInputArtifacts',
  'maxInputArtifacts',
  'minOutputArtifacts',
  'maxOutputArtifacts',
] as const;
const PROPERTY_FIELDS = ['name', 'required', 'key', 'secret', 'queryable', 'description', 'type'];
const JOB_FIELDS = [
  'name',
  'configuration',
  'continuationToken',
  'firstDispatchAbandoned',
  'repeat',
  'pipelineContext',
  'inputArtifacts',
  'outputArtifacts',
  'expect',
  'stop',
];
const PLAN_FIELDS = ['actionType', 'jobs', 'duplicateRate', 'timeLimitMs', 'env', 'standIns'];
const EXPECTED_OUTCOMES = ['success', 'failure', 'continue', 'stopped'];
const STOP_FIELDS = ['afterContinuations', 'while', 'mode', 'delayMs'];
const STOP_WHILE = ['waiting', 'running'];
const STOP_MODES = ['abandon', 'stop', 'supersede', 'timeout'];
/** The most continuations a scheduled stop may wait for. */
export const MAX_STOP_CONTINUATIONS = 100;
/** The longest a `running` stop may wait after the acknowledgement (ms). */
export const MAX_STOP_DELAY_MS = 60_000;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,255}$/;

interface ArtifactBounds {
  readonly input: readonly [number, number];
  readonly output: readonly [number, number];
}

function readActionType(r: Reader, value: unknown): ArtifactBounds | undefined {
  const type = r.object(value, 'actionType', ACTION_TYPE_FIELDS);
  if (!type) return undefined;
  const category = categoryProblem(type.category);
  if (category) r.problem('actionType.category', category);
  if (type.provider === undefined) r.problem('actionType.provider', 'is required');
  r.checked(type.provider, 'actionType.provider', providerProblem);
  r.checked(type.version, 'actionType.version', versionProblem);
  readProperties(r, type.configurationProperties);
  const { min, max } = ARTIFACT_COUNT_RANGE;
  const count = (field: keyof typeof DEFAULT_ARTIFACT_COUNTS) =>
    r.number(type[field], `actionType.${field}`, min, max, true) ?? DEFAULT_ARTIFACT_COUNTS[field];
  const bounds: ArtifactBounds = {
    input: [count('minInputArtifacts'), count('maxInputArtifacts')],
    output: [count('minOutputArtifacts'), count('maxOutputArtifacts')],
  };
  for (const [kind, [min, max]] of Object.entries(bounds)) {
    if (min > max) r.problem(`actionType.min${cap(kind)}Artifacts`, `is above max (${max})`);
  }
  return bounds;
}

const cap = (word: string) => `${word[0]?.toUpperCase()}${word.slice(1)}`;

function readProperties(r: Reader, value: unknown): void {
  if (value === undefined) return;
  const path = 'actionType.configurationProperties';
  if (!Array.isArray(value)) {
    r.problem(path, 'must be an array');
    return;
  }
  if (value.length > 10) r.problem(path, 'may hold at most 10 properties');
  const names = new Set<string>();
  value.forEach((item: unknown, i) => {
    const at = `${path}[${i}]`;
    const property = r.object(item, at, PROPERTY_FIELDS);
    if (!property) return;
    const name = r.string(property.name, `${at}.name`, /^.{1,50}$/, '1-50 characters');
    if (property.name === undefined) r.problem(`${at}.name`, 'is required');
    if (name !== undefined && names.has(name)) r.problem(`${at}.name`, `repeats '${name}'`);
    if (name !== undefined) names.add(name);
    if (typeof property.required !== 'boolean')
      r.problem(`${at}.required`, 'must be true or false');
    for (const flag of ['key', 'secret', 'queryable', 'description'] as const) {
      if (flag === 'description') r.string(property[flag], `${at}.${flag}`);
      else r.boolean(property[flag], `${at}.${flag}`);
    }
    if (property.type !== undefined && !PROPERTY_TYPES.includes(property.type as string)) {
      r.problem(`${at}.type`, `must be one of ${PROPERTY_TYPES.join(', ')}`);
    }
  });
}

function declaredProperties(plan: Json): { name: string; required: boolean }[] | undefined {
  const type = isObject(plan.actionType) ? plan.actionType : undefined;
  const list = type?.configurationProperties ?? [];
  if (!Array.isArray(list)) return undefined;
  return list
    .filter(isObject)
    .map((p) => ({ name: String(p.name), required: p.required === true }));
}

function readConfiguration(
  r: Reader,
  value: unknown,
  at: string,
  declared: readonly { name: string; required: boolean }[] | undefined,
): void {
  if (value === undefined) value = {};
  if (!isObject(value)) {
    r.problem(at, 'must be an object of strings');
    return;
  }
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') r.problem(`${at}.${key}`, 'must be a string');
    else if (entry.length < 1 || entry.length > 1000) {
      r.problem(`${at}.${key}`, 'must be 1-1000 characters, as CodePipeline allows');
    }
    if (declared && !declared.some((p) => p.name === key)) {
      const names = declared.map((p) => p.name).join(', ') || 'none';
      r.problem(
        `${at}.${key}`,
        `is not a configuration property of the action type (declared: ${names})`,
      );
    }
  }
  for (const property of declared ?? []) {
    if (property.required && value[property.name] === undefined) {
      r.problem(`${at}.${property.name}`, 'is required by the action type');
    }
  }
}

/** What an input artifact may say about its contents; an output says nothing of it. */
const CONTENT_FIELDS = ['files', 'directory', 'zipBase64'] as const;

function readContents(r: Reader, artifact: Json, at: string): void {
  const given = CONTENT_FIELDS.filter((field) => artifact[field] !== undefined);
  if (given.length > 1) r.problem(at, `may give only one of ${given.join(', ')}`);
  const files = artifact.files;
  if (files !== undefined) {
    if (!isObject(files)) r.problem(`${at}.files`, 'must be an object of path to contents');
    else {
      for (const [path, contents] of Object.entries(files)) {
        if (typeof contents !== 'string') r.problem(`${at}.files.${path}`, 'must be a string');
      }
    }
  }
  r.string(artifact.directory, `${at}.directory`, /^.{1,4096}$/s, 'a path');
  r.string(artifact.zipBase64, `${at}.zipBase64`, /^[A-Za-z0-9+/]*={0,2}$/, 'base64');
}

function readArtifacts(
  r: Reader,
  value: unknown,
  at: string,
  [min, max]: readonly [number, number],
  kind: 'input' | 'output',
): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    r.problem(at, 'must be an array');
    return;
  }
  if (value.length < min || value.length > max) {
    r.problem(at, `must hold ${min} to ${max} artifacts, as the action type declares`);
  }
  value.forEach((item: unknown, i) => {
    const fields: (keyof LocalArtifact)[] =
      kind === 'input' ? ['name', 'revision', ...CONTENT_FIELDS] : ['name', 'revision'];
    const artifact = r.object(item, `${at}[${i}]`, fields);
    if (!artifact) return;
    if (artifact.name === undefined) r.problem(`${at}[${i}].name`, 'is required');
    r.string(artifact.name, `${at}[${i}].name`, ARTIFACT_NAME, '1-100 of [a-zA-Z0-9_-]');
    r.string(artifact.revision, `${at}[${i}].revision`, /^.{1,1500}$/, '1-1500 characters');
    if (kind === 'input') readContents(r, artifact, `${at}[${i}]`);
  });
}

function readExpectation(r: Reader, value: unknown, at: string): void {
  if (value === undefined) return;
  const expectation = r.object(value, at, ['outcome', 'failureType', 'messageIncludes']);
  if (!expectation) return;
  if (!EXPECTED_OUTCOMES.includes(expectation.outcome as string)) {
    r.problem(`${at}.outcome`, `must be one of ${EXPECTED_OUTCOMES.join(', ')}`);
  }
  r.string(expectation.failureType, `${at}.failureType`, /^[A-Za-z]{1,64}$/, 'a failure type');
  if (expectation.failureType !== undefined && expectation.outcome !== 'failure') {
    r.problem(`${at}.failureType`, "is only for outcome 'failure'");
  }
  r.string(
    expectation.messageIncludes,
    `${at}.messageIncludes`,
    /^.{1,1000}$/s,
    '1-1000 characters',
  );
}

/** A job's scheduled stop: when (continuations, waiting or running) and how. */
function readStop(r: Reader, value: unknown, at: string): void {
  if (value === undefined) return;
  const stop = r.object(value, at, STOP_FIELDS);
  if (!stop) return;
  const waiting = stop.while === 'waiting';
  if (stop.afterContinuations === undefined) r.problem(`${at}.afterContinuations`, 'is required');
  r.number(
    stop.afterContinuations,
    `${at}.afterContinuations`,
    waiting ? 1 : 0,
    MAX_STOP_CONTINUATIONS,
    true,
  );
  if (!STOP_WHILE.includes(stop.while as string)) {
    r.problem(`${at}.while`, `must be one of ${STOP_WHILE.join(', ')}`);
  }
  if (!STOP_MODES.includes(stop.mode as string)) {
    r.problem(`${at}.mode`, `must be one of ${STOP_MODES.join(', ')}`);
  }
  r.number(stop.delayMs, `${at}.delayMs`, 0, MAX_STOP_DELAY_MS, true);
  if (stop.delayMs !== undefined && stop.while !== 'running') {
    r.problem(`${at}.delayMs`, "is only for while 'running'");
  }
}

/** The worker's extra variables: names a shell would take, string values. */
function readEnv(r: Reader, value: unknown): void {
  if (value === undefined) return;
  if (!isObject(value)) {
    r.problem('env', 'must be an object of variable names to strings');
    return;
  }
  for (const [name, text] of Object.entries(value)) {
    if (!ENV_NAME.test(name))
      r.problem(`env.${name}`, 'is not a variable name ([A-Za-z_][A-Za-z0-9_]*)');
    if (typeof text !== 'string') r.problem(`env.${name}`, 'must be a string');
  }
}

function readJobs(r: Reader, plan: Json, bounds: ArtifactBounds | undefined): void {
  const jobs = plan.jobs;
  if (!Array.isArray(jobs) || jobs.length === 0) {
    r.problem('jobs', 'must be a non-empty array');
    return;
  }
  const declared = declaredProperties(plan);
  let total = 0;
  jobs.forEach((item: unknown, i) => {
    const at = `jobs[${i}]`;
    const job = r.object(item, at, JOB_FIELDS);
    if (!job) return;
    r.string(job.name, `${at}.name`, /^\S.{0,63}$/, '1-64 characters, not starting with a space');
    readConfiguration(r, job.configuration, `${at}.configuration`, declared);
    r.string(job.continuationToken, `${at}.continuationToken`, /^.{1,2048}$/s, '1-2048 characters');
    r.boolean(job.firstDispatchAbandoned, `${at}.firstDispatchAbandoned`);
    total += r.number(job.repeat, `${at}.repeat`, 1, MAX_LOCAL_JOBS, true) ?? 1;
    const context = job.pipelineContext;
    if (context !== undefined) {
      const fields = r.object(context, `${at}.pipelineContext`, [
        'pipelineName',
        'stageName',
        'actionName',
      ]);
      for (const [key, text] of Object.entries(fields ?? {})) {
        r.string(
          text,
          `${at}.pipelineContext.${key}`,
          /^[A-Za-z0-9.@_-]{1,100}$/,
          '1-100 of [A-Za-z0-9.@_-]',
        );
      }
    }
    readExpectation(r, job.expect, `${at}.expect`);
    readStop(r, job.stop, `${at}.stop`);
    if (isObject(job.expect) && job.expect.outcome === 'stopped' && job.stop === undefined) {
      r.problem(`${at}.expect.outcome`, "'stopped' needs the job's stop");
    }
    if (bounds) {
      readArtifacts(r, job.inputArtifacts, `${at}.inputArtifacts`, bounds.input, 'input');
      readArtifacts(r, job.outputArtifacts, `${at}.outputArtifacts`, bounds.output, 'output');
    }
  });
  if (total > MAX_LOCAL_JOBS) r.problem('jobs', `queue ${total} jobs; at most ${MAX_LOCAL_JOBS}`);
}

/**
 * Checks a plan and returns it typed.
 *
 * @param value - the parsed jobs file, or runLocally's options
 * @param source - what to call it in the error (a file name)
 * @param strict - refuse fields other than the plan's (a jobs file; not runLocally's options)
 * @throws LocalRunPlanError naming every wrong field
 */
export function checkPlan(value: unknown, source: string, strict: boolean): LocalRunPlan {
  const r = new Reader();
  const plan = isObject(value) ? value : undefined;
  if (!plan) throw new LocalRunPlanError(source, ['the top level must be an object']);
  if (strict) r.object(plan, '(top level)', PLAN_FIELDS);
  const bounds = readActionType(r, plan.actionType);
  readJobs(r, plan, bounds);
  r.number(plan.duplicateRate, 'duplicateRate', 0, 1, false);
  r.number(plan.timeLimitMs, 'timeLimitMs', 1_000, 3_600_000, true);
  readEnv(r, plan.env);
  // A jobs file names a module; runLocally also takes the handlers themselves.
  if (typeof plan.standIns === 'string' || plan.standIns === undefined) {
    r.string(plan.standIns, 'standIns', /^.{1,4096}$/s, 'a path');
  } else if (strict)
    r.problem('standIns', 'must be the path of a module whose default export is the stand-ins');
  else r.problems.push(...standInProblems(plan.standIns, 'standIns'));
  if (r.problems.length > 0) throw new LocalRunPlanError(source, r.problems);
  return plan as unknown as LocalRunPlan;
}

/**
 * Reads a jobs file: JSON holding `actionType`, `jobs` and optionally `duplicateRate`,
 * `timeLimitMs`, `env` and `standIns` (see docs/guide.md, "Run it locally").
 *
 * @param file - path of the JSON file
 * @throws LocalRunPlanError when it cannot be read or names a wrong field
 * @example
 * const result = await runLocally({ ...(await readJobsFile('jobs.json')), entry: 'src/handler.ts' });
 */
export async function readJobsFile(file: string): Promise<LocalRunPlan> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LocalRunPlanError(file, [`cannot be read: ${(error as Error).message}`]);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LocalRunPlanError(file, [`is not JSON: ${(error as Error).message}`]);
  }
  return withDirectoriesFrom(dirname(resolve(file)), checkPlan(parsed, file, true));
}

/** The plan with every input artifact's `directory` and its `standIns` resolved from `folder`. */
function withDirectoriesFrom(folder: string, plan: LocalRunPlan): LocalRunPlan {
  return {
    ...plan,
    ...(plan.standIns !== undefined ? { standIns: resolve(folder, plan.standIns) } : {}),
    jobs: plan.jobs.map((job) =>
      job.inputArtifacts
        ? {
            ...job,
            inputArtifacts: job.inputArtifacts.map((artifact) =>
              artifact.directory === undefined
                ? artifact
                : { ...artifact, directory: resolve(folder, artifact.directory) },
            ),
          }
        : job,
    ),
  };
}

/** The jobs of a plan, one per queued job (repeats expanded), each with its display name. */
export function expandJobs(
  jobs: readonly LocalJob[],
): { name: string; job: LocalJob; planIndex: number }[] {
  return jobs.flatMap((job, i) =>
    Array.from({ length: job.repeat ?? 1 }, () => ({
      name: job.name ?? `job-${i + 1}`,
      job,
      planIndex: i,
    })),
  );
}

/** The action type with every default filled in. */
export function actionTypeDefaults(type: LocalActionType) {
  return {
    owner: 'Custom' as const,
    category: type.category,
    provider: type.provider,
    version: type.version ?? '1',
    configurationProperties: (type.configurationProperties ?? []).map((p) => ({
      key: false,
      secret: false,
      queryable: false,
      ...p,
      // checkPlan has made sure it is one of these.
      type: p.type as 'String' | 'Number' | 'Boolean' | undefined,
    })),
    inputArtifacts: {
      minimumCount: type.minInputArtifacts ?? DEFAULT_ARTIFACT_COUNTS.minInputArtifacts,
      maximumCount: type.maxInputArtifacts ?? DEFAULT_ARTIFACT_COUNTS.maxInputArtifacts,
    },
    outputArtifacts: {
      minimumCount: type.minOutputArtifacts ?? DEFAULT_ARTIFACT_COUNTS.minOutputArtifacts,
      maximumCount: type.maxOutputArtifacts ?? DEFAULT_ARTIFACT_COUNTS.maxOutputArtifacts,
    },
  };
}
