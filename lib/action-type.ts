import { Token } from 'aws-cdk-lib';
import type { ActionCategory, CustomActionProperty } from 'aws-cdk-lib/aws-codepipeline';
import {
  ARTIFACT_COUNT_RANGE,
  categoryProblem,
  MAX_CONFIGURATION_PROPERTIES,
  providerProblem,
  queryParamProblem,
  rangeProblem,
  versionProblem,
} from '../lambda/contract.js';
import type { SettingProblem } from './setting-problem.js';

/**
 * The identity of a custom action type, as CodePipeline and its events name it.
 */
export interface ActionTypeIdentity {
  /** Always `Custom`: only custom action types can be polled. */
  readonly owner: 'Custom';
  readonly category: ActionCategory;
  readonly provider: string;
  readonly version: string;
}

/** The artifact counts an action of this type accepts. */
export interface ArtifactBounds {
  readonly minInputs: number;
  readonly maxInputs: number;
  readonly minOutputs: number;
  readonly maxOutputs: number;
}

const PROPERTY_TYPES: readonly string[] = ['String', 'Number', 'Boolean'];

/**
 * What the action type breaks of CodePipeline's limits, so a bad value fails at synth instead
 * of half-way through a deployment (every property of a custom action type forces
 * replacement, and a deleted version can never be reused). Every problem is returned.
 *
 * @param identity - category, provider and version
 * @param properties - the configuration properties
 * @param bounds - the artifact counts
 * @param queryParam - what the worker polls for (the queryable property and a value)
 */
export function actionTypeProblems(
  identity: ActionTypeIdentity,
  properties: readonly CustomActionProperty[],
  bounds: ArtifactBounds,
  queryParam?: Readonly<Record<string, string>>,
): SettingProblem[] {
  const literal = (value: string) => !Token.isUnresolved(value);
  const problems: SettingProblem[] = [
    { setting: 'category', problem: categoryProblem(identity.category) },
    {
      setting: 'provider',
      problem: literal(identity.provider) && providerProblem(identity.provider),
    },
    { setting: 'version', problem: literal(identity.version) && versionProblem(identity.version) },
  ].filter((p): p is SettingProblem => typeof p.problem === 'string');
  return [
    ...problems,
    ...propertyProblems(properties),
    ...boundProblems(bounds),
    ...queryProblems(properties, queryParam),
  ];
}

/**
 * A queryable property and the worker's `queryParam` go together: CodePipeline refuses every
 * poll of such a type without a value for it, and every poll of another type with one.
 */
function queryProblems(
  properties: readonly CustomActionProperty[],
  queryParam: Readonly<Record<string, string>> | undefined,
): SettingProblem[] {
  const queryable = properties.filter((property) => property.queryable);
  const problem = (text: string) => [{ setting: 'queryParam', problem: text }];
  if (queryParam === undefined) {
    const [property] = queryable;
    return queryable.length === 1 && property
      ? problem(
          `is required: configuration property '${property.name}' is queryable, and CodePipeline refuses every poll that does not give a value for it`,
        )
      : [];
  }
  const shape = queryParamProblem(queryParam);
  if (shape) return problem(shape);
  const [name = ''] = Object.keys(queryParam);
  if (queryable.length === 0) {
    return problem(
      'must be unset: no configuration property is queryable, and CodePipeline refuses every poll that gives one',
    );
  }
  if (queryable.length === 1 && queryable[0]?.name !== name) {
    return problem(
      `must name the queryable property '${queryable[0]?.name}' (got '${name}'), or CodePipeline refuses every poll`,
    );
  }
  return [];
}

function propertyProblems(properties: readonly CustomActionProperty[]): SettingProblem[] {
  const problems: string[] = [];
  if (properties.length > MAX_CONFIGURATION_PROPERTIES) {
    problems.push(
      `must hold at most ${MAX_CONFIGURATION_PROPERTIES} properties (got ${properties.length})`,
    );
  }
  const names = new Set<string>();
  for (const [index, property] of properties.entries()) {
    const { name } = property;
    // An app run without a type check may leave it out, or give another type.
    if (typeof name !== 'string') {
      problems.push(`property number ${index + 1} needs a name (a string of 1-50 characters)`);
      continue;
    }
    if (name.length < 1 || name.length > 50) {
      problems.push(`property name '${name}' must be 1-50 characters`);
    }
    if (names.has(name)) problems.push(`property '${name}' is declared twice`);
    names.add(name);
    if (property.secret && name.includes(',')) {
      // The worker receives secret names as one comma-separated variable.
      problems.push(`secret property '${name}' must not contain a comma`);
    }
    const { description } = property;
    if (description !== undefined && (description.length < 1 || description.length > 160)) {
      problems.push(`description of property '${name}' must be 1-160 characters`);
    }
    if (property.type !== undefined && !PROPERTY_TYPES.includes(property.type)) {
      problems.push(`type of property '${name}' must be one of ${PROPERTY_TYPES.join(', ')}`);
    }
    if (property.queryable && (!property.required || property.secret)) {
      problems.push(`queryable property '${name}' must be required and not secret`);
    }
  }
  const queryable = properties.filter((property) => property.queryable);
  if (queryable.length > 1) {
    problems.push(
      `may have at most one queryable property (got ${queryable.map((p) => p.name).join(', ')})`,
    );
  }
  return problems.map((problem) => ({ setting: 'configurationProperties', problem }));
}

function boundProblems(bounds: ArtifactBounds): SettingProblem[] {
  const problems: SettingProblem[] = [];
  const pairs: [string, number, number][] = [
    ['Input', bounds.minInputs, bounds.maxInputs],
    ['Output', bounds.minOutputs, bounds.maxOutputs],
  ];
  for (const [kind, min, max] of pairs) {
    for (const [bound, count] of [
      ['min', min],
      ['max', max],
    ] as const) {
      const problem = rangeProblem(ARTIFACT_COUNT_RANGE, count);
      if (problem) problems.push({ setting: `${bound}${kind}Artifacts`, problem });
    }
    if (min > max) {
      problems.push({
        setting: `min${kind}Artifacts`,
        problem: `must not exceed max${kind}Artifacts (got ${min} > ${max})`,
      });
    }
  }
  return problems;
}

/**
 * The names of the configuration properties declared secret, comma-separated, as the
 * worker's `SECRET_CONFIGURATION_KEYS` expects them.
 *
 * @param properties - the configuration properties
 */
export function secretPropertyNames(properties: readonly CustomActionProperty[]): string {
  return properties
    .filter((property) => property.secret)
    .map((property) => property.name)
    .join(',');
}

/**
 * The ARN `codepipeline:PollForJobs` accepts as its only resource.
 *
 * @param identity - the action type
 * @param partition - usually `Aws.PARTITION`
 * @param region - usually `Aws.REGION`
 * @param account - usually `Aws.ACCOUNT_ID`
 */
export function actionTypeArn(
  identity: ActionTypeIdentity,
  partition: string,
  region: string,
  account: string,
): string {
  const { owner, category, provider, version } = identity;
  return `arn:${partition}:codepipeline:${region}:${account}:actiontype:${owner}/${category}/${provider}/${version}`;
}

/**
 * The values `detail.type.version` may carry in a CodePipeline event for this version.
 * Events have been seen with the version as a number and as a string, so a purely numeric
 * version matches both forms; other versions have only the string form.
 *
 * @param version - the action type version
 */
export function eventVersionValues(version: string): (string | number)[] {
  if (Token.isUnresolved(version) || !/^[0-9]+$/.test(version)) {
    return [version];
  }
  const numeric = Number(version);
  // "01" would be sent as 1 only if CodePipeline dropped the zero; never match another version.
  return Number.isSafeInteger(numeric) && String(numeric) === version
    ? [version, numeric]
    : [version];
}

/**
 * The `Owner/Category/Provider/Version` label of an action type.
 *
 * @param identity - the action type
 */
export function actionTypeLabel(identity: ActionTypeIdentity): string {
  return `${identity.owner}/${identity.category}/${identity.provider}/${identity.version}`;
}
