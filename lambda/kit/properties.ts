/**
 * Validators of the usual shapes of CodePipeline configuration properties, each a Standard
 * Schema of one property's value (a string, or undefined when the property is not set), and
 * {@link properties}, a Standard Schema of the whole configuration built from them (or from
 * any other library's schemas).
 */
import { Secret } from '../job/secret.js';
import type { StandardSchemaV1 } from './standard-schema.js';

const VENDOR = 'codepipeline-job-worker';

/** A Standard Schema of one configuration property: its value, undefined when unset. */
export type PropertySchema<Output> = StandardSchemaV1<string | undefined, Output>;

type Result<T> = StandardSchemaV1.Result<T>;
type Issue = StandardSchemaV1.Issue;
type Maybe<T> = T | Promise<T>;

function schema<Output>(validate: (value: unknown) => Maybe<Result<Output>>) {
  return { '~standard': { version: 1, vendor: VENDOR, validate } } as PropertySchema<Output>;
}

const ok = <T>(value: T): Result<T> => ({ value });
const problem = (message: string): Result<never> => ({ issues: [{ message }] });

/** Whether the property is unset: CodePipeline leaves an optional property out, or empty. */
const missing = (value: unknown) => value === undefined || value === '';

/** A required property's string, or the problem that it is missing or not a string. */
function required<T>(check: (text: string) => Maybe<Result<T>>) {
  return schema<T>((value) => {
    if (missing(value)) return problem('is required');
    if (typeof value !== 'string') return problem('must be a string');
    return check(value);
  });
}

/** Runs `next` on a result that may be a promise (a schema of another library may be async). */
function then<T, U>(result: Maybe<T>, next: (value: T) => Maybe<U>): Maybe<U> {
  return result instanceof Promise ? result.then(next) : next(result);
}

function prefixed(issues: readonly Issue[], key: PropertyKey): Issue[] {
  return issues.map((issue) => ({ ...issue, path: [key, ...(issue.path ?? [])] }));
}

/**
 * A required text property, optionally matching a pattern.
 *
 * @param options - `pattern`, and how it is described in the problem (`must be <describe>`)
 * @example
 * properties({ ProjectName: text({ pattern: /^[\w-]{2,150}$/, describe: 'a CodeBuild project name' }) });
 */
export function text(
  options: { readonly pattern?: RegExp; readonly describe?: string } = {},
): PropertySchema<string> {
  const { pattern, describe } = options;
  return required((value) =>
    pattern && !pattern.test(value)
      ? problem(`must be ${describe ?? `text matching ${pattern}`}`)
      : ok(value),
  );
}

/**
 * A required integer property (decimal digits, an optional sign) within `min` and `max`.
 *
 * @example
 * properties({ TimeoutMinutes: integer({ min: 5, max: 480 }) });
 */
export function integer(
  range: { readonly min?: number; readonly max?: number } = {},
): PropertySchema<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = range;
  const bounds =
    range.min !== undefined && range.max !== undefined
      ? ` from ${min} to ${max}`
      : range.min !== undefined
        ? ` of at least ${min}`
        : range.max !== undefined
          ? ` of at most ${max}`
          : '';
  return required((value) => {
    const number = Number(value.trim());
    const valid = /^\s*[-+]?\d+\s*$/.test(value) && Number.isSafeInteger(number);
    return valid && number >= min && number <= max
      ? ok(number)
      : problem(`must be an integer${bounds}`);
  });
}

/**
 * A required property that is one of `values` (exactly, case included).
 *
 * @example
 * properties({ Severity: oneOf(['low', 'medium', 'high']) }); // output: 'low' | 'medium' | 'high'
 */
export function oneOf<const Values extends readonly [string, ...string[]]>(
  values: Values,
): PropertySchema<Values[number]> {
  return required((value) =>
    values.includes(value)
      ? ok(value as Values[number])
      : problem(`must be one of ${values.join(', ')}`),
  );
}

/** A required `true` or `false` property (any case), as a boolean. */
export function boolean(): PropertySchema<boolean> {
  return required((value) => {
    const lower = value.trim().toLowerCase();
    return lower === 'true' || lower === 'false'
      ? ok(lower === 'true')
      : problem('must be true or false');
  });
}

/**
 * A required property holding JSON text, parsed, then checked by `inner` if given (its problems
 * are named by their path inside the value: `Settings.retries`).
 *
 * @example
 * properties({ Environment: json(z.record(z.string(), z.string())) });
 */
export function json(): PropertySchema<unknown>;
export function json<Output>(inner: StandardSchemaV1<unknown, Output>): PropertySchema<Output>;
export function json<Output>(inner?: StandardSchemaV1<unknown, Output>): PropertySchema<unknown> {
  return required((value) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      // JSON.parse's own message quotes the text, which may be a secret's.
      return problem('must be JSON text');
    }
    return inner ? inner['~standard'].validate(parsed) : ok(parsed);
  });
}

/**
 * A required comma-separated list: items trimmed, empty ones dropped, each checked by `item`
 * if given (its problems are named by index: `Regions[1]`). An empty list is a problem.
 *
 * @example
 * properties({ Regions: list(oneOf(['eu-west-1', 'us-east-1'])) }); // 'eu-west-1, us-east-1'
 */
export function list(): PropertySchema<string[]>;
export function list<Item>(item: StandardSchemaV1<unknown, Item>): PropertySchema<Item[]>;
export function list<Item>(item?: StandardSchemaV1<unknown, Item>): PropertySchema<unknown[]> {
  return required((value) => {
    const items = value
      .split(',')
      .map((each) => each.trim())
      .filter((each) => each !== '');
    if (items.length === 0) return problem('must list at least one item');
    if (!item) return ok(items);
    const results = items.map((each) => item['~standard'].validate(each));
    const build = (settled: Result<Item>[]) =>
      collect(
        settled,
        (index) => index,
        (values) => values,
      );
    return results.some((result) => result instanceof Promise)
      ? Promise.all(results).then(build)
      : build(results as Result<Item>[]);
  });
}

/**
 * The property may be unset (absent or empty): then `fallback`, else undefined.
 *
 * @example
 * properties({ TimeoutMinutes: optional(integer({ min: 5, max: 480 }), 60) }); // number
 */
export function optional<Output>(
  inner: StandardSchemaV1<unknown, Output>,
): PropertySchema<Output | undefined>;
export function optional<Output>(
  inner: StandardSchemaV1<unknown, Output>,
  fallback: Output,
): PropertySchema<Output>;
export function optional<Output>(
  inner: StandardSchemaV1<unknown, Output>,
  fallback?: Output,
): PropertySchema<Output | undefined> {
  return schema((value) => (missing(value) ? ok(fallback) : inner['~standard'].validate(value)));
}

/**
 * Wraps the output of `inner` (the property's string when omitted) in a {@link Secret}, so that
 * it stays out of logs and messages: for a property declared `secret`.
 *
 * @example
 * properties({ ApiToken: secret(text({ pattern: /^tok_\w{32}$/, describe: 'an API token' })) });
 */
export function secret(): PropertySchema<Secret<string>>;
export function secret<Output>(
  inner: StandardSchemaV1<unknown, Output>,
): PropertySchema<Secret<Output>>;
export function secret<Output>(
  inner?: StandardSchemaV1<unknown, Output>,
): PropertySchema<Secret<unknown>> {
  const validator = inner ?? text();
  return schema((value) =>
    then(validator['~standard'].validate(value), (result) =>
      result.issues ? result : ok(new Secret(result.value)),
    ),
  );
}

/**
 * A shape of {@link properties}: property name to its schema, which is given the property's
 * string, or undefined when it is unset.
 */
export type PropertyShape = Readonly<Record<string, StandardSchemaV1>>;

/** The output of {@link properties}. */
export type PropertiesOutput<Shape extends PropertyShape> = {
  readonly [Key in keyof Shape]: StandardSchemaV1.InferOutput<Shape[Key]>;
};

/** Every result's value under its key, or every issue of every result, each under its key. */
function collect<T, Key extends PropertyKey, Out>(
  results: readonly Result<T>[],
  keyOf: (index: number) => Key,
  build: (values: T[]) => Out,
): Result<Out> {
  const issues = results.flatMap((result, index) =>
    result.issues ? prefixed(result.issues, keyOf(index)) : [],
  );
  if (issues.length > 0) return { issues };
  return ok(build(results.map((result) => (result as StandardSchemaV1.SuccessResult<T>).value)));
}

/**
 * A Standard Schema of the whole configuration: each property checked by its own schema (the
 * helpers here or any library's), every problem reported, each under its property's name.
 * Properties the shape does not name are left out of the output.
 *
 * @example
 * const schema = properties({
 *   ProjectName: text(),
 *   TimeoutMinutes: optional(integer({ min: 5, max: 480 }), 60),
 *   Environment: optional(json(z.record(z.string(), z.string())), {}),
 * });
 * const config = parseConfiguration(job, schema); // { ProjectName: string; TimeoutMinutes: number; ... }
 */
export function properties<const Shape extends PropertyShape>(
  shape: Shape,
): StandardSchemaV1<Readonly<Record<string, string>>, PropertiesOutput<Shape>> {
  const keys = Object.keys(shape);
  const validate = (input: unknown): Maybe<Result<PropertiesOutput<Shape>>> => {
    if (typeof input !== 'object' || input === null) return problem('must be an object');
    const values = input as Record<string, unknown>;
    const results = keys.map((key) =>
      (shape[key] as StandardSchemaV1)['~standard'].validate(
        Object.hasOwn(values, key) ? values[key] : undefined,
      ),
    );
    const build = (settled: Result<unknown>[]) =>
      collect(
        settled,
        (index) => keys[index] as string,
        (outputs) =>
          Object.fromEntries(
            keys.map((key, index) => [key, outputs[index]]),
          ) as PropertiesOutput<Shape>,
      );
    return results.some((result) => result instanceof Promise)
      ? Promise.all(results).then(build)
      : build(results as Result<unknown>[]);
  };
  return { '~standard': { version: 1, vendor: VENDOR, validate } };
}
