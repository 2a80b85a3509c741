import fc from 'fast-check';
import {
  INPUT_SHAPES,
  type MapShape,
  type Shape,
  type StringShape,
  type StructureShape,
} from '../../local/emulator/input-model.js';
import type { Operation } from '../../local/emulator/types.js';

/**
 * Test cases generated from the emulator's input-model table: for every constrained member of
 * every served operation's input, values just inside and just outside each bound, pattern and
 * enum, each with the exact violations AWS's wording says it must produce. The expected
 * violations come from `problemsOf` below, written from the AWS wording rather than from
 * the emulator's code.
 */

/** A member name or a list index: where a value sits in an input. */
export type Step = string | number;

/** Marks a member to remove from the base input. */
export const OMIT = Symbol('omit');

/** One violation as a ValidationException message states it. */
export interface Violation {
  path: string;
  constraint: string;
  /** How the message renders the value (`'x'`, or `null` for a missing member); maps and lists are not compared. */
  value?: string;
}

export interface ConstraintCase {
  operation: Operation;
  /** e.g. `actionTypeId.provider of 36 characters` */
  label: string;
  /** Where the case changes the base input, and to what. */
  at: Step[];
  value: unknown;
  /** `undefined`: the constraints hold, so the request must pass validation. */
  violations?: Violation[];
}

export interface WrongTypeCase {
  operation: Operation;
  path: string;
  at: Step[];
  value: unknown;
}

const CHARS = ['a', 'A', '0', '_', '-'];
/** Elements in a list of the base input. */
const LIST_LENGTH = 2;
const OFF_CHARS = ['G', ' ', '.', '/', '#'];

function fullMatch(pattern: string, value: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(value);
}

/** The constraints a string breaks, worded as AWS words them. */
export function problemsOf(shape: StringShape, value: string): string[] {
  const problems: string[] = [];
  if (shape.min !== undefined && value.length < shape.min) {
    problems.push(`Member must have length greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined && value.length > shape.max) {
    problems.push(`Member must have length less than or equal to ${shape.max}`);
  }
  if (shape.pattern !== undefined && !fullMatch(shape.pattern, value)) {
    problems.push(`Member must satisfy regular expression pattern: ${shape.pattern}`);
  }
  if (shape.enum !== undefined && !shape.enum.includes(value)) {
    problems.push(`Member must satisfy enum value set: [${shape.enum.join(', ')}]`);
  }
  return problems;
}

/** A character that, repeated any number of times, satisfies the shape's pattern. */
function repeatableChar(shape: StringShape): string | undefined {
  const { pattern } = shape;
  if (pattern === undefined) return 'a';
  return CHARS.find((c) => fullMatch(pattern, c) && fullMatch(pattern, c.repeat(3)));
}

/** A valid string of exactly `length` characters, or an error when the table has no such value. */
function validOfLength(shape: StringShape, length: number): string {
  const c = repeatableChar(shape);
  if (c === undefined) throw new Error(`no value of length ${length} for ${shape.name}`);
  return c.repeat(length);
}

/** Some valid value of a string shape: the first enum value, or a short one, or a pattern sample. */
export function validString(shape: StringShape): string {
  if (shape.enum !== undefined) {
    const [first] = shape.enum;
    if (first === undefined) throw new Error(`${shape.name} has an empty enum`);
    return first;
  }
  if (repeatableChar(shape) !== undefined) return validOfLength(shape, Math.max(shape.min ?? 1, 1));
  const pattern = shape.pattern ?? '';
  const [sample] = fc.sample(fc.stringMatching(new RegExp(`^(?:${pattern})$`)), {
    seed: 7,
    numRuns: 1,
  });
  if (sample === undefined || problemsOf(shape, sample).length > 0) {
    throw new Error(`no sample for ${shape.name}`);
  }
  return sample;
}

/** A few seeded samples of the whole pattern within the length bounds, to cover its classes. */
function patternSamples(shape: StringShape): string[] {
  const regex = new RegExp(`^(?:${shape.pattern ?? ''})$`);
  const samples = fc.sample(fc.stringMatching(regex), { seed: 11, numRuns: 50 });
  return [...new Set(samples.filter((v) => problemsOf(shape, v).length === 0))].slice(0, 3);
}

/**
 * A valid value with one refused character added before it, and one added after it: each
 * still contains a valid value, so only a whole-value match refuses both.
 */
function justOutsidePattern(shape: StringShape, valid: string): [string, string] {
  const pattern = shape.pattern ?? '';
  for (const c of OFF_CHARS) {
    const before = `${c}${valid}`;
    const after = `${valid}${c}`;
    if (!fullMatch(pattern, before) && !fullMatch(pattern, after)) return [before, after];
  }
  throw new Error(`no value just outside ${shape.name}'s pattern`);
}

/** A valid value for every member at every depth, so that every member path exists. */
export function sampleOf(shape: Shape): unknown {
  switch (shape.type) {
    case 'string':
      return validString(shape);
    case 'integer':
      return shape.min ?? Math.min(shape.max ?? 1, 1);
    case 'boolean':
      return false;
    case 'timestamp':
      return new Date(Date.UTC(2026, 0, 1));
    case 'structure':
      return Object.fromEntries(
        Object.entries(shape.members).map(([name, member]) => [name, sampleOf(member)]),
      );
    case 'list':
      // Two elements, so that cases can show every element is checked, not only the first.
      return Array.from({ length: Math.max(shape.min ?? 0, LIST_LENGTH) }, () =>
        sampleOf(shape.member),
      );
    case 'map':
      return mapOfSize(shape, Math.max(shape.min ?? 1, 1));
  }
}

function mapOfSize(shape: MapShape, size: number): Record<string, string> {
  const value = validString(shape.value);
  const keys = Array.from({ length: size }, (_, i) => validOfLength(shape.key, i + 1));
  return Object.fromEntries(keys.map((key) => [key, value]));
}

/** A copy of `input` with the value at `at` replaced (or removed, for OMIT). */
export function withValue(input: unknown, at: Step[], value: unknown): unknown {
  const [step, ...rest] = at;
  if (step === undefined) return value;
  if (Array.isArray(input)) {
    return input.map((item, i) => (i === step ? withValue(item, rest, value) : item));
  }
  const object = { ...(input as Record<string, unknown>) };
  const next = withValue(object[step], rest, value);
  if (next === OMIT) delete object[step];
  else object[step] = next;
  return object;
}

/** The value at `at`, or undefined. */
export function valueAt(input: unknown, at: Step[]): unknown {
  let current = input;
  for (const step of at) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[step];
  }
  return current;
}

function render(value: unknown): string | undefined {
  if (value === OMIT) return 'null';
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'number') return `'${value}'`;
  return undefined;
}

interface Target {
  operation: Operation;
  at: Step[];
  path: string;
}

function violation(path: string, constraint: string, value: unknown): Violation {
  const rendered = render(value);
  return rendered === undefined ? { path, constraint } : { path, constraint, value: rendered };
}

function characters(n: number): string {
  return `of ${n} character${n === 1 ? '' : 's'}`;
}

/** Values just inside and just outside each bound, pattern and enum of a string shape. */
function stringValues(
  shape: StringShape,
): Array<{ label: string; value: string; breaks?: string }> {
  const values: Array<{ label: string; value: string; breaks?: string }> = [];
  if (shape.enum !== undefined) {
    for (const value of shape.enum) values.push({ label: `'${value}'`, value });
    const [first = ''] = shape.enum;
    const off = shape.enum.includes(first.toLowerCase()) ? `${first}x` : first.toLowerCase();
    values.push({ label: `'${off}'`, value: off, breaks: 'enum value set' });
  }
  if (shape.min !== undefined) {
    values.push({ label: characters(shape.min), value: validOfLength(shape, shape.min) });
    if (shape.min > 0) {
      const value = (repeatableChar(shape) ?? 'a').repeat(shape.min - 1);
      values.push({ label: characters(shape.min - 1), value, breaks: 'greater than' });
    }
  }
  if (shape.max !== undefined) {
    values.push({ label: characters(shape.max), value: validOfLength(shape, shape.max) });
    const value = (repeatableChar(shape) ?? 'a').repeat(shape.max + 1);
    values.push({ label: characters(shape.max + 1), value, breaks: 'less than' });
  }
  if (shape.pattern !== undefined) {
    const valid = validString(shape);
    for (const sample of new Set([valid, ...patternSamples(shape)])) {
      values.push({ label: `'${sample}' (pattern)`, value: sample });
    }
    const flipped = [...valid]
      .map((c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()))
      .join('');
    // Where the pattern is case-sensitive, the same value in the other case is just outside.
    const caseOff = fullMatch(shape.pattern, flipped) ? [] : [flipped];
    for (const off of [...justOutsidePattern(shape, valid), ...caseOff]) {
      values.push({ label: `'${off}' (pattern)`, value: off, breaks: 'regular expression' });
    }
  }
  return values;
}

/**
 * Cases for a string: a member, or the keys or values of a map (which AWS reports once, at
 * the map, as "Map keys must satisfy constraint: [...]").
 */
function stringCases(
  target: Target,
  shape: StringShape,
  place: (value: string) => unknown,
  wrap?: 'Map keys' | 'Map value',
): ConstraintCase[] {
  return stringValues(shape).map(({ label, value, breaks }) => {
    const problems = problemsOf(shape, value);
    const base = {
      operation: target.operation,
      label: `${target.path}${wrap ? ` ${wrap.toLowerCase()}` : ''} ${label}`,
      at: target.at,
      value: place(value),
    };
    if (breaks === undefined) {
      if (problems.length > 0) throw new Error(`${base.label} should be valid: ${problems}`);
      return base;
    }
    if (!problems.some((p) => p.includes(breaks))) {
      throw new Error(`${base.label} does not break '${breaks}'`);
    }
    const violations = wrap
      ? [
          {
            path: target.path,
            constraint: `${wrap} must satisfy constraint: [${problems.join(', ')}]`,
          },
        ]
      : problems.map((p) => violation(target.path, p, value));
    return { ...base, violations };
  });
}

function integerCases(target: Target, shape: { min?: number; max?: number }): ConstraintCase[] {
  const cases: ConstraintCase[] = [];
  const add = (value: number, constraint?: string) =>
    cases.push({
      operation: target.operation,
      label: `${target.path} ${value}`,
      at: target.at,
      value,
      ...(constraint ? { violations: [violation(target.path, constraint, value)] } : {}),
    });
  if (shape.min !== undefined) {
    add(shape.min);
    add(shape.min - 1, `Member must have value greater than or equal to ${shape.min}`);
  }
  if (shape.max !== undefined) {
    add(shape.max);
    add(shape.max + 1, `Member must have value less than or equal to ${shape.max}`);
  } else {
    // No maximum in the model: the largest 32-bit integer must pass.
    add(2 ** 31 - 1);
  }
  return cases;
}

/** Inside and outside a list's or map's size bounds. */
function sizeCases(
  target: Target,
  bounds: { min?: number; max?: number },
  ofSize: (size: number) => unknown,
  nouns: [one: string, many: string],
): ConstraintCase[] {
  const cases: ConstraintCase[] = [];
  const add = (size: number, constraint?: string) =>
    cases.push({
      operation: target.operation,
      label: `${target.path} with ${size} ${size === 1 ? nouns[0] : nouns[1]}`,
      at: target.at,
      value: ofSize(size),
      ...(constraint ? { violations: [{ path: target.path, constraint }] } : {}),
    });
  if (bounds.min !== undefined) {
    add(bounds.min);
    if (bounds.min > 0) {
      add(bounds.min - 1, `Member must have length greater than or equal to ${bounds.min}`);
    }
  }
  if (bounds.max !== undefined) {
    add(bounds.max);
    add(bounds.max + 1, `Member must have length less than or equal to ${bounds.max}`);
  }
  return cases;
}

function memberCases(target: Target, shape: Shape): ConstraintCase[] {
  switch (shape.type) {
    case 'string':
      return stringCases(target, shape, (value) => value);
    case 'integer':
      return integerCases(target, shape);
    case 'boolean':
    case 'timestamp':
      return [];
    case 'structure':
      return structureCases(target.operation, shape, target.at, target.path);
    case 'list': {
      const element = sampleOf(shape.member);
      const sized = sizeCases(target, shape, (n) => Array.from({ length: n }, () => element), [
        'element',
        'elements',
      ]);
      const elements = Array.from({ length: LIST_LENGTH }, (_, i) => ({
        ...target,
        at: [...target.at, i],
        path: `${target.path}.${i + 1}.member`,
      }));
      return [...sized, ...elements.flatMap((element) => memberCases(element, shape.member))];
    }
    case 'map': {
      const validKey = validString(shape.key);
      const validValue = validString(shape.value);
      return [
        ...sizeCases(target, shape, (n) => mapOfSize(shape, n), ['entry', 'entries']),
        ...stringCases(target, shape.key, (key) => ({ [key]: validValue }), 'Map keys'),
        ...stringCases(target, shape.value, (value) => ({ [validKey]: value }), 'Map value'),
      ];
    }
  }
}

function structureCases(
  operation: Operation,
  shape: StructureShape,
  at: Step[],
  prefix: string,
): ConstraintCase[] {
  return Object.entries(shape.members).flatMap(([name, member]) => {
    const target = { operation, at: [...at, name], path: prefix ? `${prefix}.${name}` : name };
    const omitted: ConstraintCase[] = shape.required.includes(name)
      ? [
          {
            operation,
            label: `${target.path} missing`,
            at: target.at,
            value: OMIT,
            violations: [violation(target.path, 'Member must not be null', OMIT)],
          },
        ]
      : [];
    return [...omitted, ...memberCases(target, member)];
  });
}

/** Every constraint case of every served operation, generated from the input-model table. */
export function constraintCases(): ConstraintCase[] {
  return Object.entries(INPUT_SHAPES).flatMap(([operation, shape]) =>
    structureCases(operation as Operation, shape, [], ''),
  );
}

function wrongTypeOf(shape: Shape): unknown {
  switch (shape.type) {
    case 'string':
      return 5;
    case 'integer':
      return '5';
    case 'boolean':
      return 'true';
    case 'timestamp':
      return 'yesterday';
    case 'structure':
      return 'x';
    case 'list':
      return {};
    case 'map':
      return [];
  }
}

function wrongTypes(operation: Operation, shape: Shape, at: Step[], path: string): WrongTypeCase[] {
  const here = at.length > 0 ? [{ operation, path, at, value: wrongTypeOf(shape) }] : [];
  switch (shape.type) {
    case 'structure':
      return [
        ...here,
        ...Object.entries(shape.members).flatMap(([name, member]) =>
          wrongTypes(operation, member, [...at, name], path ? `${path}.${name}` : name),
        ),
      ];
    case 'list':
      return [...here, ...wrongTypes(operation, shape.member, [...at, 0], `${path}.1.member`)];
    default:
      return here;
  }
}

/** For every member at every depth, the base input with that member of the wrong JSON type. */
export function wrongTypeCases(): WrongTypeCase[] {
  return Object.entries(INPUT_SHAPES).flatMap(([operation, shape]) =>
    wrongTypes(operation as Operation, shape, [], ''),
  );
}

/** Parses "N validation error(s) detected: Value ... at 'path' failed to satisfy constraint: ...". */
export function parseViolations(message: string): Violation[] {
  const match = /^(\d+) validation (error|errors) detected: ([\s\S]*)$/.exec(message);
  if (match === null) throw new Error(`not a constraint ValidationException: ${message}`);
  const [, count, noun, list = ''] = match;
  const entries = list.split(/; (?=Value )/).map((entry) => {
    const parts = /^Value ([\s\S]*?) at '([^']*)' failed to satisfy constraint: ([\s\S]*)$/.exec(
      entry,
    );
    if (parts === null) throw new Error(`unreadable violation: ${entry}`);
    const [, value = '', path = '', constraint = ''] = parts;
    return { path, constraint, value };
  });
  if (Number(count) !== entries.length || (noun === 'error') !== (entries.length === 1)) {
    throw new Error(`the count does not match the violations: ${message}`);
  }
  return entries;
}

/** Map constraints list their problems in no particular order: compare them sorted. */
export function normalized(violations: Violation[]): Violation[] {
  return violations
    .map((v) => {
      const map = /^(Map keys|Map value) must satisfy constraint: \[([\s\S]*)\]$/.exec(
        v.constraint,
      );
      if (map === null) return v;
      const items = (map[2] ?? '').split(/, (?=Member )/).sort();
      return { ...v, constraint: `${map[1]} must satisfy constraint: [${items.join(', ')}]` };
    })
    .sort((a, b) => `${a.path} ${a.constraint}`.localeCompare(`${b.path} ${b.constraint}`));
}
