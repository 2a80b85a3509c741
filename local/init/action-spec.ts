/**
 * What `codepipeline-job-worker init` scaffolds: the action type (category, provider, version,
 * configuration properties, artifact counts) and the project's name and package spec, read
 * from flags and checked against what CodePipeline accepts before anything is written.
 */
import {
  ACTION_CATEGORIES,
  type ActionCategory,
  ARTIFACT_COUNT_RANGE,
  categoryProblem,
  DEFAULT_ARTIFACT_COUNTS,
  MAX_CONFIGURATION_PROPERTIES,
  PROPERTY_NAME_PATTERN,
  providerProblem,
  versionProblem,
} from '../../lambda/contract.js';

/** One configuration property of the scaffolded action type. */
export interface PropertySpec {
  readonly name: string;
  readonly required: boolean;
  readonly secret: boolean;
}

/** An artifact count range, inclusive. */
export interface CountRange {
  readonly min: number;
  readonly max: number;
}

/** Everything the templates are filled from. */
export interface ActionSpec {
  /** The npm name of the new project. */
  readonly projectName: string;
  readonly category: ActionCategory;
  readonly provider: string;
  readonly version: string;
  readonly properties: readonly PropertySpec[];
  readonly inputs: CountRange;
  readonly outputs: CountRange;
  /** What the project's package.json depends on for codepipeline-job-worker. */
  readonly packageSpec: string;
}

/** The values of the flags, as given (strings), before they are checked. */
export interface ActionAnswers {
  readonly category?: string;
  readonly provider?: string;
  readonly version?: string;
  /** `Name[:required][:secret]` each. */
  readonly properties?: readonly string[];
  /** `N` or `MIN-MAX`. */
  readonly inputs?: string;
  readonly outputs?: string;
  readonly packageSpec?: string;
}

/** A property name of at most 50 characters, none of them a comma or a space (the worker
 * receives secret names as one comma-separated list). */
const PROPERTY_NAME_RULE = 'must be 1-50 characters, none of them a comma, a colon or a space';
const PROPERTY_FLAGS = ['required', 'secret'] as const;

/** The defaults of a run that gives no flag and answers no prompt. */
export const DEFAULT_CATEGORY: ActionCategory = 'Test';
export const DEFAULT_VERSION = '1';
export const DEFAULT_PROPERTIES = ['Target:required'] as const;
export const DEFAULT_INPUTS = `${DEFAULT_ARTIFACT_COUNTS.minInputArtifacts}-${DEFAULT_ARTIFACT_COUNTS.maxInputArtifacts}`;
export const DEFAULT_OUTPUTS = '0-1';

/**
 * What `init` refuses before writing anything: values CodePipeline would refuse, or a folder
 * that is not empty. Every problem, in one line.
 */
export class InitRefusedError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'InitRefusedError';
  }
}

/**
 * The provider a directory's name suggests: its words in PascalCase, cut to 35 characters of
 * `[0-9A-Za-z]` (`my-scan` gives `MyScan`), or `MyAction` when nothing is left.
 *
 * @param directoryName - the base name of the target directory
 */
export function providerFromName(directoryName: string): string {
  const words = directoryName.split(/[^0-9A-Za-z]+/).filter(Boolean);
  const pascal = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
  return pascal.slice(0, 35) || 'MyAction';
}

/**
 * An npm package name for the project: the directory's name in lower case, characters npm
 * refuses replaced by `-` (`My Scan!` gives `my-scan`), or `my-action`.
 *
 * @param directoryName - the base name of the target directory
 */
export function projectNameFrom(directoryName: string): string {
  const name = directoryName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '')
    .slice(0, 214);
  return name || 'my-action';
}

function parseProperty(text: string, problems: string[]): PropertySpec | undefined {
  const [name = '', ...flags] = text.split(':');
  const unknown = flags.filter((flag) => !(PROPERTY_FLAGS as readonly string[]).includes(flag));
  if (unknown.length > 0) {
    problems.push(
      `--property ${JSON.stringify(text)}: unknown flag ${unknown.map((f) => JSON.stringify(f)).join(', ')} (Name[:required][:secret])`,
    );
    return undefined;
  }
  if (!PROPERTY_NAME_PATTERN.test(name)) {
    problems.push(`property name ${PROPERTY_NAME_RULE} (got ${JSON.stringify(name)})`);
    return undefined;
  }
  if (name === '__proto__') {
    // An object literal would take it for the prototype, not a property.
    problems.push(`property name ${JSON.stringify(name)} is reserved`);
    return undefined;
  }
  return { name, required: flags.includes('required'), secret: flags.includes('secret') };
}

function parseProperties(texts: readonly string[], problems: string[]): PropertySpec[] {
  const properties = texts
    .map((text) => parseProperty(text, problems))
    .filter((p): p is PropertySpec => p !== undefined);
  if (texts.length > MAX_CONFIGURATION_PROPERTIES) {
    problems.push(
      `an action type has at most ${MAX_CONFIGURATION_PROPERTIES} configuration properties (got ${texts.length})`,
    );
  }
  const seen = new Set<string>();
  for (const { name } of properties) {
    if (seen.has(name)) problems.push(`property '${name}' is given twice`);
    seen.add(name);
  }
  return properties;
}

function parseCounts(flag: string, text: string, problems: string[]): CountRange {
  const match = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  const { min: low, max: high } = ARTIFACT_COUNT_RANGE;
  const rule = `--${flag} must be N or MIN-MAX, each from ${low} to ${high}`;
  if (!match) {
    problems.push(`${rule} (got ${JSON.stringify(text)})`);
    return { min: 0, max: 0 };
  }
  const min = Number(match[1]);
  const max = Number(match[2] ?? match[1]);
  if (min > high || max > high) problems.push(`${rule} (got ${JSON.stringify(text)})`);
  else if (min > max) problems.push(`--${flag}: MIN must not exceed MAX (got ${text})`);
  return { min, max };
}

/**
 * The action spec the answers give, with the defaults for what they leave out.
 *
 * @param answers - the flags' (or prompts') values
 * @param defaults - the project's name, the provider its directory suggests and the package
 *   spec of the running package
 * @throws InitRefusedError naming every refused value, in one line
 */
export function actionSpec(
  answers: ActionAnswers,
  defaults: {
    readonly projectName: string;
    readonly provider: string;
    readonly packageSpec: string;
  },
): ActionSpec {
  const problems: string[] = [];
  const category = answers.category ?? DEFAULT_CATEGORY;
  const provider = answers.provider ?? defaults.provider;
  const version = answers.version ?? DEFAULT_VERSION;
  const categoryRefused = categoryProblem(category);
  if (categoryRefused) problems.push(`--category ${categoryRefused}`);
  const providerRefused = providerProblem(provider);
  if (providerRefused) problems.push(`--provider ${providerRefused}`);
  const versionRefused = versionProblem(version);
  if (versionRefused) problems.push(`--version ${versionRefused}`);
  const properties = parseProperties(answers.properties ?? DEFAULT_PROPERTIES, problems);
  const inputs = parseCounts('inputs', answers.inputs ?? DEFAULT_INPUTS, problems);
  const outputs = parseCounts('outputs', answers.outputs ?? DEFAULT_OUTPUTS, problems);
  const packageSpec = answers.packageSpec ?? defaults.packageSpec;
  if (packageSpec.trim() === '') problems.push('--package must not be empty');
  if (problems.length > 0) throw new InitRefusedError(problems);
  return {
    projectName: defaults.projectName,
    category: category as ActionCategory,
    provider,
    version,
    properties,
    inputs,
    outputs,
    packageSpec,
  };
}

/** The categories, for a prompt. */
export const CATEGORY_CHOICES = ACTION_CATEGORIES.join(', ');
