import type { MapShape, Shape, StringShape, StructureShape } from './input-model.js';
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

function asInteger(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  return Number.isInteger(value) ? (value as number) : mismatch(value, 'an Integer', path);
}

function asBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'boolean' ? value : mismatch(value, 'a Boolean', path);
}

/** Timestamps travel as epoch seconds in AWS JSON 1.1. */
function asTimestamp(value: unknown, path: string): number | undefined {
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

function stringProblems(value: string, shape: StringShape): string[] {
  const problems: string[] = [];
  if (shape.min !== undefined && value.length < shape.min) {
    problems.push(`Member must have length greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && value.length > shape.max) {
    problems.push(`Member must have length less than or equal to ${shape.max}`);
  }
  if (shape.pattern !== undefined && !matches(shape.pattern, value)) {
    problems.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
  }
  if (shape.enum !== undefined && !shape.enum.includes(value)) {
    problems.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
  }
  return problems;
}

/** Lists and maps share the wording of string lengths, counted in elements or entries. */
function checkSize(
  v: Violations,
  path: string,
  value: unknown,
  size: number,
  bounds: { min?: number; max?: number },
): void {
  if (bounds.min !== undefined && size < bounds.min) {
    v.add(path, value, `Member must have length greater than or equal to ${bounds.min}`);
  }
  if (bounds.max !== undefined && size > bounds.max) {
    v.add(path, value, `Member must have length less than or equal to ${bounds.max}`);
  }
}

/** Checks a string map's entry count, keys and values (AWS reports them once per map). */
function checkStringMap(v: Violations, path: string, map: Record<string, string>, shape: MapShape) {
  const entries = Object.entries(map);
  checkSize(v, path, map, entries.length, shape);
  const keyProblems = new Set<string>();
  const valueProblems = new Set<string>();
  for (const [key, value] of entries) {
    for (const p of stringProblems(key, shape.key)) keyProblems.add(p);
    for (const p of stringProblems(value, shape.value)) valueProblems.add(p);
  }
  if (keyProblems.size > 0) {
    v.add(path, map, `Map keys must satisfy constraint: [${[...keyProblems].join(', ')}]`);
  }
  if (valueProblems.size > 0) {
    v.add(path, map, `Map value must satisfy constraint: [${[...valueProblems].join(', ')}]`);
  }
}

/**
 * Checks a present value against its shape, collecting constraint violations in `v`.
 * A value of the wrong JSON type throws SerializationException at once, as AWS's
 * deserializer fails before any constraint is looked at.
 * @param v - where violations are collected
 * @param shape - the model shape of the value
 * @param value - the JSON value (not null)
 * @param path - the member path AWS names, e.g. `configurationProperties.1.member.name`
 */
export function checkValue(v: Violations, shape: Shape, value: unknown, path: string): void {
  switch (shape.type) {
    case 'string': {
      const text = asString(value, path);
      if (text !== undefined) for (const p of stringProblems(text, shape)) v.add(path, text, p);
      return;
    }
    case 'integer': {
      const n = asInteger(value, path);
      if (n === undefined) return;
      if (shape.min !== undefined && n < shape.min) {
        v.add(path, n, `Member must have value greater than or equal to ${shape.min}`);
      }
      if (shape.max !== undefined && n > shape.max) {
        v.add(path, n, `Member must have value less than or equal to ${shape.max}`);
      }
      return;
    }
    case 'boolean':
      asBoolean(value, path);
      return;
    case 'timestamp':
      asTimestamp(value, path);
      return;
    case 'structure': {
      const object = asObject(value, path);
      if (object !== undefined) checkMembers(v, shape, object, path);
      return;
    }
    case 'list': {
      const list = asArray(value, path);
      if (list === undefined) return;
      checkSize(v, path, list, list.length, shape);
      list.forEach((item, i) => {
        const itemPath = `${path}.${i + 1}.member`;
        // A null element of a list of structures reads as an empty structure: its required
        // members are then reported one by one.
        if (item === null && shape.member.type === 'structure') {
          checkMembers(v, shape.member, {}, itemPath);
        } else if (item === null || item === undefined) {
          v.add(itemPath, null, 'Member must not be null');
        } else {
          checkValue(v, shape.member, item, itemPath);
        }
      });
      return;
    }
    case 'map': {
      const map = asStringMap(value, path);
      if (map !== undefined) checkStringMap(v, path, map, shape);
      return;
    }
  }
}

/**
 * Checks every member of a structure in the model's order; an absent or null required member
 * is "Member must not be null". Unknown members are ignored, as AWS ignores them.
 * @param prefix - the structure's own path, or '' for an operation's input
 */
function checkMembers(
  v: Violations,
  shape: StructureShape,
  object: JsonObject,
  prefix: string,
): void {
  for (const [name, member] of Object.entries(shape.members)) {
    const path = prefix === '' ? name : `${prefix}.${name}`;
    const value = object[name];
    if (value === undefined || value === null) {
      if (shape.required.includes(name)) v.add(path, null, 'Member must not be null');
    } else {
      checkValue(v, member, value, path);
    }
  }
}

/**
 * Validates a request body against an input structure.
 * @throws ApiError SerializationException for a wrong JSON type, else ValidationException
 *   listing every violated constraint
 */
export function validateStructure(shape: StructureShape, body: JsonObject, prefix = ''): void {
  const v = new Violations();
  checkMembers(v, shape, body, prefix);
  v.throwIfAny();
}
