/**
 * A job's configuration parsed against a schema: the typed configuration, or one
 * `ConfigurationError` that lists every problem by property name, without secret values.
 */
import type { Job } from '../job/job.js';
import { JobFailureError } from '../job/outcome.js';
import { REDACTED } from '../job/secret.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/**
 * The shortest run of a secret value's characters that a problem on a secret property may not
 * quote: a validator's message that quotes part of the value (valibot's `Received "..."`, a
 * custom message) is withheld whole.
 */
export const SECRET_QUOTE_CHARS = 4;

/** One problem of the configuration. */
export interface ConfigurationProblem {
  /** The property concerned; undefined for a problem of the configuration as a whole. */
  readonly property?: string;
  /** Where in the configuration: the property, then the path inside its value (`Settings.retries`). */
  readonly path: string;
  readonly message: string;
}

/**
 * The job's configuration does not satisfy the processor's schema: thrown out of `process`, it
 * fails the job as a `ConfigurationError` whose message lists every problem.
 */
export class ConfigurationError extends JobFailureError {
  readonly problems: readonly ConfigurationProblem[];

  constructor(problems: readonly ConfigurationProblem[], options?: ErrorOptions) {
    const listed = problems.map((each) =>
      each.path ? `${each.path}: ${each.message}` : each.message,
    );
    super(
      'ConfigurationError',
      `The action configuration is invalid: ${listed.join('; ')}`,
      options,
    );
    this.name = 'ConfigurationError';
    this.problems = problems;
  }
}

function segmentKey(segment: PropertyKey | StandardSchemaV1.PathSegment): PropertyKey {
  return typeof segment === 'object' && segment !== null ? segment.key : segment;
}

function describePath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`,
    )
    .join('');
}

/** Whether `message` quotes a run of at least {@link SECRET_QUOTE_CHARS} of `value`'s characters. */
function quotes(message: string, value: string): boolean {
  if (value.length < SECRET_QUOTE_CHARS) return value !== '' && message.includes(value);
  for (let start = 0; start + SECRET_QUOTE_CHARS <= value.length; start++) {
    if (message.includes(value.slice(start, start + SECRET_QUOTE_CHARS))) return true;
  }
  return false;
}

function problemOf(
  issue: StandardSchemaV1.Issue,
  secrets: ReadonlyMap<string, string>,
): ConfigurationProblem {
  const path = (issue.path ?? []).map(segmentKey);
  const first = path[0];
  const property = typeof first === 'string' ? first : undefined;
  const secret = property === undefined ? undefined : secrets.get(property);
  let message = issue.message;
  if (secret !== undefined && quotes(message, secret)) {
    message = `is invalid (the validator's message is withheld: it quotes the secret value)`;
  }
  for (const value of secrets.values()) {
    if (value !== '') message = message.split(value).join(REDACTED);
  }
  return { ...(property === undefined ? {} : { property }), path: describePath(path), message };
}

/**
 * Parses the job's configuration with `schema`, any Standard Schema validator (a zod, valibot or
 * arktype object, or the kit's {@link properties}). The schema sees one object: the
 * configuration's properties and the secret ones, their values revealed for validation (wrap
 * a secret one in `secret()` to keep it wrapped in the output). The schema must validate
 * synchronously (zod's async refinements do not).
 *
 * @param job - the job being processed
 * @param schema - validates the configuration object (property name to string value)
 * @returns the schema's output
 * @throws ConfigurationError listing every problem by property name; a message on a secret
 *   property that quotes the secret value is withheld, and secret values are removed from all
 * @throws TypeError when the schema validates asynchronously
 * @example
 * import { integer, oneOf, optional, parseConfiguration, properties } from 'codepipeline-job-worker/kit';
 *
 * const schema = properties({
 *   MaxSizeMB: integer({ min: 1, max: 100 }),
 *   Severity: optional(oneOf(['low', 'high']), 'high'),
 * });
 * const config = parseConfiguration(job, schema); // { MaxSizeMB: number; Severity: 'low' | 'high' }
 */
export function parseConfiguration<Schema extends StandardSchemaV1>(
  job: Pick<Job, 'configuration' | 'secrets'>,
  schema: Schema,
): StandardSchemaV1.InferOutput<Schema> {
  const secrets = new Map(
    Object.entries(job.secrets).map(([name, value]) => [name, value.reveal()] as const),
  );
  const input: Record<string, string> = { ...job.configuration, ...Object.fromEntries(secrets) };
  const result = schema['~standard'].validate(input);
  if (result instanceof Promise) {
    // Settled and ignored: the processor gets no answer from it.
    result.catch(() => undefined);
    throw new TypeError(
      'parseConfiguration: the schema validates asynchronously; use one whose checks are synchronous',
    );
  }
  if (result.issues) {
    throw new ConfigurationError(result.issues.map((issue) => problemOf(issue, secrets)));
  }
  return result.value as StandardSchemaV1.InferOutput<Schema>;
}
