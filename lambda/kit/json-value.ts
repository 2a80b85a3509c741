/**
 * What survives a trip through JSON unchanged: the check a continuation state passes before it
 * is encoded, so that a value JSON would drop, turn into `null` or into another type is refused
 * with its path instead of coming back different in the next job.
 */

import { Secret } from '../job/secret.js';

/** `state.builds[2].id`: where a value lies in the state. */
function pathOf(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `${parent}.${key}` : `${parent}[${JSON.stringify(key)}]`;
}

/** What is wrong with a value that is no JSON value, or undefined when it is one. */
function leafProblem(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value)
        ? undefined
        : `is ${value}, which JSON writes as null: store a finite number`;
    case 'bigint':
      return 'is a bigint, which JSON cannot hold: store it as a string';
    case 'function':
      return 'is a function, which JSON cannot hold';
    case 'symbol':
      return 'is a symbol, which JSON cannot hold';
    case 'undefined':
      return 'is undefined, which JSON cannot hold';
    default:
      return undefined;
  }
}

/** A Secret of another copy of this module: it reveals its value and writes itself redacted. */
function isSecretLike(value: object): boolean {
  const candidate = value as { reveal?: unknown; toJSON?: unknown };
  return typeof candidate.reveal === 'function' && typeof candidate.toJSON === 'function';
}

/** Why an object that is not a plain one would not come back as it was. */
function instanceProblem(value: object): string | undefined {
  const prototype = Object.getPrototypeOf(value) as object | null;
  if (prototype === null || prototype === Object.prototype || Array.isArray(value)) {
    return undefined;
  }
  const type = (value.constructor as { name?: unknown } | undefined)?.name;
  const named = typeof type === 'string' && type !== '' ? `a ${type}` : 'an instance of a class';
  if (value instanceof Date) {
    return `is a Date, which comes back from JSON as a string: store its getTime() or toISOString()`;
  }
  if (value instanceof Secret || isSecretLike(value)) {
    return 'is a Secret, which JSON writes as [REDACTED]: keep secret values out of the state';
  }
  return `is ${named}, which comes back from JSON as a plain object (or not at all): store plain objects, arrays, strings, finite numbers, booleans and null`;
}

/**
 * The first reason `value` would not survive `JSON.stringify` then `JSON.parse` unchanged, as
 * `path reason`, or undefined when it would. Properties whose value is undefined are allowed
 * (JSON leaves them out, and an optional property reads back the same); undefined anywhere else,
 * functions, symbols, bigints, non-finite numbers, class instances (a Date, a Map) and cycles are
 * not.
 *
 * @param value - the value to encode
 * @param path - how the message names it (`state`)
 */
export function jsonProblem(value: unknown, path: string): string | undefined {
  const ancestors: object[] = [];
  const paths: string[] = [];

  const visit = (current: unknown, at: string): string | undefined => {
    if (current === null) return undefined;
    if (typeof current !== 'object') {
      const problem = leafProblem(current);
      return problem === undefined ? undefined : `${at} ${problem}`;
    }
    const seen = ancestors.indexOf(current);
    if (seen >= 0) return `${at} refers back to ${paths[seen]}: JSON cannot hold a cycle`;
    const instance = instanceProblem(current);
    if (instance !== undefined) return `${at} ${instance}`;
    ancestors.push(current);
    paths.push(at);
    try {
      if (Array.isArray(current)) {
        for (let index = 0; index < current.length; index++) {
          const item: unknown = current[index];
          const where = pathOf(at, index);
          if (item === undefined) {
            return `${where} is undefined (or a hole), which JSON writes as null in an array`;
          }
          const problem = visit(item, where);
          if (problem !== undefined) return problem;
        }
        return undefined;
      }
      for (const [key, item] of Object.entries(current)) {
        if (item === undefined) continue;
        const problem = visit(item, pathOf(at, key));
        if (problem !== undefined) return problem;
      }
      return undefined;
    } finally {
      ancestors.pop();
      paths.pop();
    }
  };

  return visit(value, path);
}

/**
 * The largest part of an encoded object or array, by the length of its own JSON: what to move
 * out of a state that is too long. Undefined for a value without parts.
 *
 * @param value - a JSON value (checked by {@link jsonProblem})
 * @param path - how the message names it (`state`)
 */
export function largestPart(
  value: unknown,
  path: string,
): { readonly path: string; readonly length: number } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const parts: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, index): [number, unknown] => [index, item])
    : Object.entries(value);
  let largest: { path: string; length: number } | undefined;
  for (const [key, item] of parts) {
    const length = JSON.stringify(item)?.length ?? 0;
    if (largest === undefined || length > largest.length) {
      largest = { path: pathOf(path, key), length };
    }
  }
  return largest;
}
