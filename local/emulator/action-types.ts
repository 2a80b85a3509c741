import { apiErrors } from './protocol.js';
import {
  ACTION_CATEGORIES,
  ACTION_OWNERS,
  type ActionConfigurationProperty,
  type ActionType,
  type ActionTypeId,
  type ActionTypeSettings,
  type ArtifactDetails,
  type CustomActionTypeInput,
  PROPERTY_TYPES,
  type Tag,
} from './types.js';
import {
  asArray,
  asBoolean,
  asObject,
  type JsonObject,
  readInteger,
  readObject,
  readString,
  Violations,
} from './validation.js';

export const PROVIDER_RULE = { required: true, min: 1, max: 35, pattern: '[0-9A-Za-z_-]+' };
export const VERSION_RULE = { required: true, min: 1, max: 9, pattern: '[0-9A-Za-z_-]+' };
export const CATEGORY_RULE = { required: true, oneOf: ACTION_CATEGORIES };
const URL_RULE = { min: 1, max: 2048 };
const MAX_PROPERTIES = 10;
/** CodePipeline quota: custom action types per region. */
export const MAX_CUSTOM_ACTION_TYPES = 50;

export function actionTypeKey(id: ActionTypeId): string {
  return `${id.owner}/${id.category}/${id.provider}/${id.version}`;
}

/** Reads an `ActionTypeId` member (category, owner, provider, version). */
export function readActionTypeId(
  v: Violations,
  object: JsonObject,
  key: string,
  path: string,
): ActionTypeId | undefined {
  const raw = readObject(v, object, key, path, true);
  if (raw === undefined) return undefined;
  const category = readString(v, raw, 'category', `${path}.category`, CATEGORY_RULE);
  const owner = readString(v, raw, 'owner', `${path}.owner`, {
    required: true,
    oneOf: ACTION_OWNERS,
  });
  const provider = readString(v, raw, 'provider', `${path}.provider`, PROVIDER_RULE);
  const version = readString(v, raw, 'version', `${path}.version`, VERSION_RULE);
  if (v.count > 0 || !category || !owner || !provider || !version) return undefined;
  return { category, owner, provider, version } as ActionTypeId;
}

function readProperty(v: Violations, raw: unknown, path: string): ActionConfigurationProperty {
  const p = asObject(raw, path) ?? {};
  const flag = (name: string, required: boolean): boolean | undefined => {
    const value = asBoolean(p[name], `${path}.${name}`);
    if (value === undefined && required) v.add(`${path}.${name}`, null, 'Member must not be null');
    return value;
  };
  const property: ActionConfigurationProperty = {
    name: readString(v, p, 'name', `${path}.name`, { required: true, min: 1, max: 50 }) ?? '',
    required: flag('required', true) ?? false,
    key: flag('key', true) ?? false,
    secret: flag('secret', true) ?? false,
  };
  const queryable = flag('queryable', false);
  if (queryable !== undefined) property.queryable = queryable;
  const description = readString(v, p, 'description', `${path}.description`, { min: 1, max: 160 });
  if (description !== undefined) property.description = description;
  const type = readString(v, p, 'type', `${path}.type`, { oneOf: PROPERTY_TYPES });
  if (type !== undefined) property.type = type as ActionConfigurationProperty['type'];
  return property;
}

function readArtifactDetails(v: Violations, body: JsonObject, key: string): ArtifactDetails {
  const raw = readObject(v, body, key, key, true) ?? {};
  const count = (name: string) =>
    readInteger(v, raw, name, `${key}.${name}`, { required: true, min: 0, max: 5 }) ?? 0;
  return { minimumCount: count('minimumCount'), maximumCount: count('maximumCount') };
}

function readSettings(v: Violations, body: JsonObject): ActionTypeSettings | undefined {
  const raw = readObject(v, body, 'settings', 'settings', false);
  if (raw === undefined) return undefined;
  const settings: ActionTypeSettings = {};
  for (const name of [
    'thirdPartyConfigurationUrl',
    'entityUrlTemplate',
    'executionUrlTemplate',
    'revisionUrlTemplate',
  ] as const) {
    const value = readString(v, raw, name, `settings.${name}`, URL_RULE);
    if (value !== undefined) settings[name] = value;
  }
  return settings;
}

function readTags(v: Violations, body: JsonObject): Tag[] | undefined {
  return asArray(body.tags, 'tags')?.map((raw, i) => {
    const path = `tags.${i + 1}.member`;
    const t = asObject(raw, path) ?? {};
    return {
      key: readString(v, t, 'key', `${path}.key`, { required: true, min: 1, max: 128 }) ?? '',
      value: readString(v, t, 'value', `${path}.value`, { required: true, min: 0, max: 256 }) ?? '',
    };
  });
}

/** Validates a CreateCustomActionType request body. Throws ValidationException. */
export function parseCustomActionTypeInput(body: JsonObject): CustomActionTypeInput {
  const v = new Violations();
  const category = readString(v, body, 'category', 'category', CATEGORY_RULE);
  const provider = readString(v, body, 'provider', 'provider', PROVIDER_RULE);
  const version = readString(v, body, 'version', 'version', VERSION_RULE);
  const settings = readSettings(v, body);
  const rawProperties = asArray(body.configurationProperties, 'configurationProperties');
  if (rawProperties !== undefined && rawProperties.length > MAX_PROPERTIES) {
    v.add(
      'configurationProperties',
      `${rawProperties.length} properties`,
      `Member must have length less than or equal to ${MAX_PROPERTIES}`,
    );
  }
  const properties = rawProperties?.map((raw, i) =>
    readProperty(v, raw, `configurationProperties.${i + 1}.member`),
  );
  const inputArtifactDetails = readArtifactDetails(v, body, 'inputArtifactDetails');
  const outputArtifactDetails = readArtifactDetails(v, body, 'outputArtifactDetails');
  const tags = readTags(v, body);
  v.throwIfAny();
  checkQueryable(properties ?? []);
  const input: CustomActionTypeInput = {
    category: category as CustomActionTypeInput['category'],
    provider: provider ?? '',
    version: version ?? '',
    inputArtifactDetails,
    outputArtifactDetails,
  };
  if (settings !== undefined) input.settings = settings;
  if (properties !== undefined) input.configurationProperties = properties;
  if (tags !== undefined) input.tags = tags;
  return input;
}

function checkQueryable(properties: ActionConfigurationProperty[]): void {
  const queryable = properties.filter((p) => p.queryable === true);
  if (queryable.length > 1) {
    throw apiErrors.validation('An action type can have at most one queryable property');
  }
  const [property] = queryable;
  if (property !== undefined && (!property.required || property.secret)) {
    throw apiErrors.validation(
      `Queryable property '${property.name}' must be required and must not be secret`,
    );
  }
}

/** The queryable property of an action type, if it declares one. */
export function queryableProperty(type: ActionType): ActionConfigurationProperty | undefined {
  return type.actionConfigurationProperties?.find((p) => p.queryable === true);
}

/**
 * Checks a job's configuration against its action type, as CodePipeline checks a pipeline's
 * action declaration: known keys, required present, lengths, queryable value shape, 100 KB.
 * @returns the problems found, empty when valid
 */
export function configurationProblems(
  type: ActionType,
  configuration: Record<string, string>,
): string[] {
  const problems: string[] = [];
  const properties = type.actionConfigurationProperties ?? [];
  for (const [key, value] of Object.entries(configuration)) {
    const property = properties.find((p) => p.name === key);
    if (property === undefined) problems.push(`unknown configuration property '${key}'`);
    if (key.length < 1 || key.length > 50) problems.push(`key '${key}' must be 1-50 characters`);
    if (typeof value !== 'string' || value.length < 1 || value.length > 1000) {
      problems.push(`value of '${key}' must be a string of 1-1000 characters`);
    } else if (property?.queryable && !/^[A-Za-z0-9_-]{1,20}$/.test(value)) {
      problems.push(`value of queryable '${key}' must be at most 20 characters of [A-Za-z0-9_-]`);
    }
  }
  for (const property of properties) {
    if (property.required && configuration[property.name] === undefined) {
      problems.push(`required configuration property '${property.name}' is missing`);
    }
  }
  if (Buffer.byteLength(JSON.stringify(configuration)) > 100 * 1024) {
    problems.push('the resolved action configuration exceeds 100 KB');
  }
  return problems;
}
