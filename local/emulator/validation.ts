import { apiErrors } from './protocol.js';

export type JsonObject = Record<string, unknown>;

/**
 * Collects constraint violations and answers them as one ValidationException, in the
 * wording AWS services use ("2 validation errors detected: Value 'x' at 'a.b' failed to
 * satisfy constraint: ...").
 */
export class Violations {
  private readonly messages: string[] = [];

  add(path: string, value: unknown, constraint: string): void {
    this.messages.push(
      `Value ${render(value)} at '${path}' failed to satisfy constraint: ${constraint}`,
    );
  }

  get count(): number {
    return this.messages.length;
  }

  /** Throws the ValidationException when at least one violation was collected. */
  throwIfAny(): void {
    const n = this.messages.length;
    if (n === 0) return;
    const noun = n === 1 ? 'error' : 'errors';
    throw apiErrors.validation(`${n} validation ${noun} detected: ${this.messages.join('; ')}`);
  }
}

function render(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  return `'${JSON.stringify(value)}'`;
}

function jsonKind(value: unknown): string {
  if (Array.isArray(value)) return 'START_ARRAY';
  if (typeof value === 'object') return 'START_OBJECT';
  if (typeof value === 'string') return 'STRING_VALUE';
  if (typeof value === 'boolean') return 'BOOLEAN_VALUE';
  return 'NUMBER_VALUE';
}

/** A JSON value of the wrong type is a SerializationException in AWS JSON services. */
function mismatch(value: unknown, expected: string, path: string): never {
  throw apiErrors.serialization(
    `${jsonKind(value)} can not be converted to ${expected} at '${path}'`,
  );
}

export function asObject(value: unknown, path: string): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    return mismatch(value, 'a structure', path);
  return value as JsonObject;
}

export function asString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : mismatch(value, 'a String', path);
}

export function asInteger(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  return Number.isInteger(value) ? (value as number) : mismatch(value, 'an Integer', path);
}

export function asBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'boolean' ? value : mismatch(value, 'a Boolean', path);
}

/** Timestamps travel as epoch seconds in AWS JSON 1.1. */
export function asTimestamp(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'number' && Number.isFinite(value)
    ? value
    : mismatch(value, 'a Timestamp', path);
}

export function asArray(value: unknown, path: string): unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  return Array.isArray(value) ? value : mismatch(value, 'a List', path);
}

export function asStringMap(value: unknown, path: string): Record<string, string> | undefined {
  const object = asObject(value, path);
  if (object === undefined) return undefined;
  for (const [key, entry] of Object.entries(object)) asString(entry, `${path}.${key}`);
  return object as Record<string, string>;
}

export interface StringRule {
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: string;
  oneOf?: readonly string[];
}

const patterns = new Map<string, RegExp>();

/** Tests a model pattern against the whole value, as the service model means it. */
export function matches(pattern: string, value: string): boolean {
  let regex = patterns.get(pattern);
  if (regex === undefined) {
    regex = new RegExp(`^(?:${pattern})$`);
    patterns.set(pattern, regex);
  }
  return regex.test(value);
}

function stringProblems(value: string, rule: StringRule): string[] {
  const problems: string[] = [];
  if (rule.min !== undefined && value.length < rule.min) {
    problems.push(`Member must have length greater than or equal to ${rule.min}`);
  }
  if (rule.max !== undefined && value.length > rule.max) {
    problems.push(`Member must have length less than or equal to ${rule.max}`);
  }
  if (rule.pattern !== undefined && !matches(rule.pattern, value)) {
    problems.push(`Member must satisfy regular expression pattern: ${rule.pattern}`);
  }
  if (rule.oneOf !== undefined && !rule.oneOf.includes(value)) {
    problems.push(`Member must satisfy enum value set: [${rule.oneOf.join(', ')}]`);
  }
  return problems;
}

/** Reads `object[key]` as a string and checks it against `rule`. */
export function readString(
  v: Violations,
  object: JsonObject,
  key: string,
  path: string,
  rule: StringRule,
): string | undefined {
  const value = asString(object[key], path);
  if (value === undefined) {
    if (rule.required) v.add(path, null, 'Member must not be null');
    return undefined;
  }
  for (const problem of stringProblems(value, rule)) v.add(path, value, problem);
  return value;
}

/** Reads `object[key]` as an integer and checks its range. */
export function readInteger(
  v: Violations,
  object: JsonObject,
  key: string,
  path: string,
  rule: { required?: boolean; min?: number; max?: number },
): number | undefined {
  const value = asInteger(object[key], path);
  if (value === undefined) {
    if (rule.required) v.add(path, null, 'Member must not be null');
    return undefined;
  }
  if (rule.min !== undefined && value < rule.min) {
    v.add(path, value, `Member must have value greater than or equal to ${rule.min}`);
  }
  if (rule.max !== undefined && value > rule.max) {
    v.add(path, value, `Member must have value less than or equal to ${rule.max}`);
  }
  return value;
}

/** Reads a required structure member, reporting it when absent. */
export function readObject(
  v: Violations,
  object: JsonObject,
  key: string,
  path: string,
  required: boolean,
): JsonObject | undefined {
  const value = asObject(object[key], path);
  if (value === undefined && required) v.add(path, null, 'Member must not be null');
  return value;
}

/** Checks a string map's entry count, keys and values (AWS reports them per map). */
export function checkStringMap(
  v: Violations,
  path: string,
  map: Record<string, string>,
  rule: { maxEntries?: number; key?: StringRule; value?: StringRule },
): void {
  const entries = Object.entries(map);
  if (rule.maxEntries !== undefined && entries.length > rule.maxEntries) {
    v.add(path, map, `Member must have length less than or equal to ${rule.maxEntries}`);
  }
  const keyProblems = new Set<string>();
  const valueProblems = new Set<string>();
  for (const [key, value] of entries) {
    for (const p of stringProblems(key, rule.key ?? {})) keyProblems.add(p);
    for (const p of stringProblems(value, rule.value ?? {})) valueProblems.add(p);
  }
  if (keyProblems.size > 0) {
    v.add(path, map, `Map keys must satisfy constraint: [${[...keyProblems].join(', ')}]`);
  }
  if (valueProblems.size > 0) {
    v.add(path, map, `Map value must satisfy constraint: [${[...valueProblems].join(', ')}]`);
  }
}
