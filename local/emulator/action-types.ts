import {
  ActionTypeId as ActionTypeIdShape,
  type ConfigurationPropertyBody,
  type CustomActionTypeBody,
  checkInput,
} from './input-model.js';
import { apiErrors } from './protocol.js';
import type {
  ActionConfigurationProperty,
  ActionType,
  ActionTypeId,
  ActionTypeSettings,
  CustomActionTypeInput,
} from './types.js';
import { checkValue, type JsonObject, Violations } from './validation.js';

/** CodePipeline quota: custom action types per region. */
export const MAX_CUSTOM_ACTION_TYPES = 50;

export function actionTypeKey(id: ActionTypeId): string {
  return `${id.owner}/${id.category}/${id.provider}/${id.version}`;
}

/**
 * Reads a required `ActionTypeId` member, checked against the model.
 * @throws ApiError SerializationException or ValidationException
 */
export function readActionTypeId(object: JsonObject, key: string): ActionTypeId {
  const v = new Violations();
  const value = object[key];
  if (value === undefined || value === null) v.add(key, null, 'Member must not be null');
  else checkValue(v, ActionTypeIdShape, value, key);
  v.throwIfAny();
  return value as ActionTypeId;
}

/** A property without the nulls JSON allows, so equal definitions compare equal. */
function cleanProperty(raw: ConfigurationPropertyBody): ActionConfigurationProperty {
  const property: ActionConfigurationProperty = {
    name: raw.name,
    required: raw.required,
    key: raw.key,
    secret: raw.secret,
  };
  if (raw.queryable != null) property.queryable = raw.queryable;
  if (raw.description != null) property.description = raw.description;
  if (raw.type != null) property.type = raw.type;
  return property;
}

const SETTING_NAMES = [
  'thirdPartyConfigurationUrl',
  'entityUrlTemplate',
  'executionUrlTemplate',
  'revisionUrlTemplate',
] as const;

/** The known settings only (the body may carry members the model does not know). */
function cleanSettings(raw: CustomActionTypeBody['settings']): ActionTypeSettings | undefined {
  if (raw == null) return undefined;
  const settings: ActionTypeSettings = {};
  for (const name of SETTING_NAMES) {
    const value = raw[name];
    if (value != null) settings[name] = value;
  }
  return settings;
}

/**
 * Validates a CreateCustomActionType request body against the model and the queryable-property
 * rules.
 * @throws ApiError SerializationException or ValidationException
 */
export function parseCustomActionTypeInput(body: JsonObject): CustomActionTypeInput {
  const raw = checkInput('CreateCustomActionType', body);
  const properties = raw.configurationProperties?.map(cleanProperty);
  checkQueryable(properties ?? []);
  const count = ({ minimumCount, maximumCount }: CustomActionTypeBody['inputArtifactDetails']) => ({
    minimumCount,
    maximumCount,
  });
  const input: CustomActionTypeInput = {
    category: raw.category,
    provider: raw.provider,
    version: raw.version,
    inputArtifactDetails: count(raw.inputArtifactDetails),
    outputArtifactDetails: count(raw.outputArtifactDetails),
  };
  const settings = cleanSettings(raw.settings);
  if (settings !== undefined) input.settings = settings;
  if (properties !== undefined) input.configurationProperties = properties;
  if (raw.tags != null) input.tags = raw.tags.map(({ key, value }) => ({ key, value }));
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
