import { Token } from 'aws-cdk-lib';
import { ActionCategory, type CustomActionProperty } from 'aws-cdk-lib/aws-codepipeline';

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

const PROVIDER_PATTERN = /^[0-9A-Za-z_-]{1,35}$/;
const VERSION_PATTERN = /^[0-9A-Za-z_-]{1,9}$/;
const PROPERTY_TYPES: readonly string[] = ['String', 'Number', 'Boolean'];
const MAX_PROPERTIES = 10;
const MAX_ARTIFACTS = 5;

/**
 * Throws when the action type breaks a CodePipeline limit, so a bad value fails at synth
 * instead of half-way through a deployment (every property of a custom action type forces
 * replacement, and a deleted version can never be reused).
 *
 * @param identity - category, provider and version
 * @param properties - the configuration properties
 * @param bounds - the artifact counts
 */
export function validateActionType(
  identity: ActionTypeIdentity,
  properties: readonly CustomActionProperty[],
  bounds: ArtifactBounds,
): void {
  if (!Object.values(ActionCategory).includes(identity.category)) {
    throw new Error(
      `action category '${identity.category}' is not one of ${Object.values(ActionCategory).join(', ')}`,
    );
  }
  const literal = (value: string) => !Token.isUnresolved(value);
  if (literal(identity.provider) && !PROVIDER_PATTERN.test(identity.provider)) {
    throw new Error(`action provider '${identity.provider}' must match ${PROVIDER_PATTERN}`);
  }
  if (literal(identity.version) && !VERSION_PATTERN.test(identity.version)) {
    throw new Error(`action version '${identity.version}' must match ${VERSION_PATTERN}`);
  }
  validateProperties(properties);
  validateBounds(bounds);
}

function validateProperties(properties: readonly CustomActionProperty[]): void {
  if (properties.length > MAX_PROPERTIES) {
    throw new Error(`at most ${MAX_PROPERTIES} configuration properties, got ${properties.length}`);
  }
  const names = new Set<string>();
  for (const property of properties) {
    const { name } = property;
    if (name.length < 1 || name.length > 50) {
      throw new Error(`configuration property name '${name}' must be 1-50 characters`);
    }
    if (names.has(name)) {
      throw new Error(`configuration property '${name}' is declared twice`);
    }
    names.add(name);
    if (property.secret && name.includes(',')) {
      // The worker receives secret names as one comma-separated variable.
      throw new Error(`secret configuration property '${name}' must not contain a comma`);
    }
    const { description } = property;
    if (description !== undefined && (description.length < 1 || description.length > 160)) {
      throw new Error(`description of configuration property '${name}' must be 1-160 characters`);
    }
    if (property.type !== undefined && !PROPERTY_TYPES.includes(property.type)) {
      throw new Error(
        `type of configuration property '${name}' must be one of ${PROPERTY_TYPES.join(', ')}`,
      );
    }
    if (property.queryable && (!property.required || property.secret)) {
      throw new Error(`queryable configuration property '${name}' must be required and not secret`);
    }
  }
  const queryable = properties.filter((property) => property.queryable);
  if (queryable.length > 1) {
    throw new Error(
      `at most one configuration property may be queryable, got ${queryable.map((p) => p.name).join(', ')}`,
    );
  }
}

function validateBounds(bounds: ArtifactBounds): void {
  const pairs: [string, number, number][] = [
    ['input', bounds.minInputs, bounds.maxInputs],
    ['output', bounds.minOutputs, bounds.maxOutputs],
  ];
  for (const [kind, min, max] of pairs) {
    for (const count of [min, max]) {
      if (!Number.isInteger(count) || count < 0 || count > MAX_ARTIFACTS) {
        throw new Error(
          `${kind} artifact counts must be integers 0-${MAX_ARTIFACTS}, got ${count}`,
        );
      }
    }
    if (min > max) {
      throw new Error(`minimum ${kind} artifacts (${min}) exceeds the maximum (${max})`);
    }
  }
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
