/**
 * Typed continuation state: the processor's own JSON value carried from one job of an action
 * execution to the next in the continuation token, with its version, migrations from earlier
 * versions, an optional Standard Schema check on reading, and its size held to the token's
 * budget when the outcome is built, before anything is sent.
 *
 * The token is `cpjs1:` followed by the JSON `{"v":<version>,"s":<state>}` (and the wait's own
 * fields when `waitUntil` wrote it).
 */
import { PROCESSOR_TOKEN_LIMIT } from '../job/limits.js';
import { type ContinueOutcome, continueLater, JobFailureError } from '../job/outcome.js';
import { jsonProblem, largestPart } from './json-value.js';
import type { StandardSchemaV1 } from './standard-schema.js';

/** What every token a {@link continuationState} writes begins with: the format, version 1. */
export const STATE_TOKEN_PREFIX = 'cpjs1:';

const FORMAT = /^cpjs(\d+):/;

/**
 * A continuation state that cannot be written or read: not JSON, too long, written by another
 * version with no migration, not a state token at all, or refused by the schema. Thrown out of
 * `process`, it fails the job as `JobFailed` with its message: the token belongs to the action
 * execution, which cannot go on without reading it; no job of the same execution would read it
 * better, and the pipeline's configuration is not at fault. Retrying the action in the pipeline
 * starts a new action execution, whose first job has no token.
 */
export class ContinuationStateError extends JobFailureError {
  constructor(message: string, options?: ErrorOptions) {
    super('JobFailed', message, options);
    this.name = 'ContinuationStateError';
  }
}

/**
 * Turns a state of one version into the next version's. Its parameter may be typed as the old
 * shape (`(old: { id: string }) => ({ buildId: old.id })`): the value is the one the earlier
 * version wrote, after the migrations before it.
 */
export type StateMigration = (earlier: never) => unknown;

/** The details of a continue outcome besides its token. */
export type ContinueDetails = Omit<ContinueOutcome, 'kind' | 'continuationToken'>;

/** How a {@link continuationState} reads and writes its state. */
export interface ContinuationStateOptions<T> {
  /**
   * The version of the state's shape that this processor writes and reads: a whole number from
   * 1. Raise it when the shape changes, and give the migration from the version before.
   */
  readonly version: number;
  /**
   * Migrations from earlier versions, by the version they read: `migrate[1]` turns a version 1
   * state into a version 2 one. They chain: a version 1 token read by version 3 goes through
   * `migrate[1]`, then `migrate[2]`.
   */
  readonly migrate?: Readonly<Record<number, StateMigration>>;
  /**
   * Checks the state read from a token (after its migrations): any synchronous Standard Schema
   * validator (zod, valibot, arktype). It should accept what it gives: the state is written as
   * the schema's output and checked again when read.
   */
  readonly schema?: StandardSchemaV1<unknown, T>;
  /**
   * Reads a token that is not a state token (one a processor wrote by hand before it used
   * {@link continuationState}): its result is the state, checked by `schema` when there is one.
   * Without it, such a token fails the job.
   */
  readonly legacy?: (token: string) => unknown;
}

/** A token's state, and the fields beside it that the kit's own helpers keep. */
export interface DecodedState<T> {
  readonly value: T;
  readonly extra: Readonly<Record<string, unknown>>;
}

/** A typed continuation state: reads it from a job, writes it into a continue outcome. */
export interface ContinuationStateDefinition<T> {
  /** The version of the state this processor writes and reads. */
  readonly version: number;
  /**
   * The state a job or a cancellation carries: undefined for a job without a continuation token
   * (an action execution's first job).
   *
   * @throws ContinuationStateError when the token is not a state token (and `legacy` is not
   *   given), was written by another version with no migration to this one, or the schema
   *   refuses the state
   */
  read(source: { readonly continuationToken: string }): T;
  read(source: { readonly continuationToken?: string }): T | undefined;
  /**
   * A continue outcome that carries `value` to the action execution's next job. The token is
   * held to the 2,014 characters of {@link PROCESSOR_TOKEN_LIMIT} here, before anything is sent.
   *
   * @param value - the state: plain objects, arrays, strings, finite numbers, booleans, null
   * @param details - `checkAfterSeconds`, `summary`, `percentComplete`, `externalExecutionId`
   * @throws ContinuationStateError when `value` is no JSON value, or its token is too long (the
   *   message says its length, the limit and how much it is over)
   */
  continue(value: T, details?: ContinueDetails): ContinueOutcome;
  /** The token for `value`, as {@link ContinuationStateDefinition.continue} writes it. */
  encode(value: T): string;
  /** The state of a token, as {@link ContinuationStateDefinition.read} reads it. */
  decode(token: string): T;
}

/** The codec behind a definition, with the fields the kit's helpers keep beside the state. */
export interface StateCodec<T> {
  encode(value: T, extra?: Readonly<Record<string, unknown>>): string;
  decode(token: string): DecodedState<T>;
}

const CODECS = new WeakMap<object, StateCodec<unknown>>();

/**
 * The codec of a definition made by {@link continuationState}.
 *
 * @throws TypeError for any other object
 */
export function stateCodec<T>(definition: ContinuationStateDefinition<T>): StateCodec<T> {
  const codec = CODECS.get(definition);
  if (codec === undefined) {
    throw new TypeError('The state must be a definition made by continuationState(...)');
  }
  return codec as StateCodec<T>;
}

function optionProblems(options: ContinuationStateOptions<unknown>): string[] {
  const problems: string[] = [];
  const { version, migrate = {} } = options;
  if (!Number.isSafeInteger(version) || version < 1) {
    problems.push(`version must be a whole number from 1, not ${String(version)}`);
  }
  for (const [key, migration] of Object.entries(migrate)) {
    const from = Number(key);
    if (!Number.isSafeInteger(from) || from < 1 || !(from < version)) {
      problems.push(
        `migrate[${key}] reads no earlier version: give migrations from 1 to ${version - 1}`,
      );
    } else if (typeof migration !== 'function') {
      problems.push(`migrate[${key}] is not a function`);
    }
  }
  if (options.legacy !== undefined && typeof options.legacy !== 'function') {
    problems.push('legacy is not a function');
  }
  return problems;
}

/**
 * What `step` gives, or a ContinuationStateError that says which step failed; a
 * JobFailureError it throws on purpose is kept as it is.
 */
function guarded<R>(step: () => R, name: string): R {
  try {
    return step();
  } catch (error) {
    if (JobFailureError.is(error)) throw error;
    throw new ContinuationStateError(
      `The continuation state cannot be read: ${name} failed: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
}

function describeIssues(issues: readonly StandardSchemaV1.Issue[]): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? [])
        .map((segment) => String(typeof segment === 'object' ? segment.key : segment))
        .join('.');
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/**
 * Defines a typed continuation state: the value a processor carries from one job of an action
 * execution to the next, as JSON in the continuation token, with the version that wrote it.
 * Reading a token of an earlier version goes through the migrations given (they chain: 1 to 2
 * to 3); a token of another version without them, a token that is not a state token and a state
 * the schema refuses fail the job with a {@link ContinuationStateError} that says which. The
 * token is held to the 2,014 characters of {@link PROCESSOR_TOKEN_LIMIT} when the outcome is
 * built, with a message that says by how much it is over.
 *
 * @param options - the version, migrations from earlier versions, a schema, a reader of
 *   hand-written tokens
 * @throws TypeError when the version or a migration's key is not a whole number it can use
 * @example
 * import { continuationState } from 'codepipeline-job-worker/kit';
 *
 * const BuildState = continuationState<{ buildId: string; attempts: number }>({
 *   version: 2,
 *   migrate: { 1: (old: { buildId: string }) => ({ ...old, attempts: 1 }) },
 * });
 *
 * async process(job, context) {
 *   const state = BuildState.read(job); // undefined in the execution's first job
 *   if (state === undefined) {
 *     const buildId = await startBuild();
 *     return BuildState.continue({ buildId, attempts: 1 }, { checkAfterSeconds: 15 });
 *   }
 *   ...
 * }
 * async cancel(cancellation) {
 *   await stopBuild(BuildState.read(cancellation).buildId);
 * }
 */
export function continuationState<T>(
  options: ContinuationStateOptions<T>,
): ContinuationStateDefinition<T> {
  const problems = optionProblems(options as ContinuationStateOptions<unknown>);
  if (problems.length > 0) {
    throw new TypeError(`continuationState: ${problems.join('; ')}`);
  }
  const { version, migrate = {}, schema, legacy } = options;

  const checked = (value: unknown): T => {
    if (schema === undefined) return value as T;
    const result = schema['~standard'].validate(value);
    if (result instanceof Promise) {
      result.catch(() => undefined);
      throw new TypeError(
        'continuationState: the schema validates asynchronously; use one whose checks are synchronous',
      );
    }
    if (result.issues) {
      throw new ContinuationStateError(
        `The continuation state does not satisfy the state's schema (version ${version}): ${describeIssues(result.issues)}`,
      );
    }
    return result.value;
  };

  const migrated = (written: number, value: unknown): unknown => {
    if (written > version) {
      throw new ContinuationStateError(
        `The continuation token holds version ${written} of the state, and this processor reads version ${version}: a later version of the processor wrote it, and no migration goes back. Retry the action to start it again with this version`,
      );
    }
    let current = value;
    for (let from = written; from < version; from++) {
      const migration = migrate[from] as ((earlier: unknown) => unknown) | undefined;
      if (migration === undefined) {
        const via = from === written ? '' : ` (on the way from version ${written})`;
        throw new ContinuationStateError(
          `The continuation token holds version ${written} of the state, and this processor reads version ${version}, with no migration from version ${from} (migrate[${from}])${via}. Give the migration, or retry the action to start it again with this version`,
        );
      }
      current = guarded(
        () => migration(current),
        `the migration from version ${from} (migrate[${from}])`,
      );
    }
    return current;
  };

  const codec: StateCodec<T> = {
    encode(value, extra = {}) {
      const problem = jsonProblem(value, 'state');
      if (problem !== undefined) {
        throw new ContinuationStateError(`The continuation state cannot be written: ${problem}`);
      }
      const token = `${STATE_TOKEN_PREFIX}${JSON.stringify({ v: version, s: value, ...extra })}`;
      if (token.length > PROCESSOR_TOKEN_LIMIT) {
        const largest = largestPart(value, 'state');
        const part =
          largest === undefined
            ? ''
            : ` (its largest part, ${largest.path}, is ${largest.length} characters)`;
        throw new ContinuationStateError(
          `The continuation state is ${token.length} characters once encoded, ${token.length - PROCESSOR_TOKEN_LIMIT} over the limit of ${PROCESSOR_TOKEN_LIMIT} for a processor's continuation token${part}: keep large data elsewhere (an S3 object, a DynamoDB item) and put its key in the state`,
        );
      }
      return token;
    },
    decode(token) {
      if (!token.startsWith(STATE_TOKEN_PREFIX)) {
        const format = FORMAT.exec(token);
        if (format) {
          throw new ContinuationStateError(
            `The continuation token is a state of format ${format[1]}, and this copy of codepipeline-job-worker reads format 1: a later version of the package wrote it`,
          );
        }
        if (legacy === undefined) {
          throw new ContinuationStateError(
            `The continuation token (${token.length} characters) is not a continuation state: it does not begin with ${STATE_TOKEN_PREFIX} (an earlier version of the processor wrote it by hand?); give continuationState a legacy reader for such tokens, or retry the action to start it again`,
          );
        }
        return { value: checked(guarded(() => legacy(token), 'the legacy reader')), extra: {} };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(token.slice(STATE_TOKEN_PREFIX.length));
      } catch (error) {
        // The parser's message quotes the token: it stays in the cause, out of the job's message.
        throw new ContinuationStateError(
          'The continuation token begins as a continuation state but is not one: its JSON does not parse',
          { cause: error },
        );
      }
      const record = parsed as Record<string, unknown> | null;
      const written = record?.v;
      if (
        typeof record !== 'object' ||
        record === null ||
        Array.isArray(record) ||
        !Number.isSafeInteger(written) ||
        (written as number) < 1 ||
        !('s' in record)
      ) {
        throw new ContinuationStateError(
          'The continuation token begins as a continuation state but is not one: it holds no version (v, a whole number from 1) and state (s)',
        );
      }
      const { v: _version, s: state, ...extra } = record;
      return { value: checked(migrated(written as number, state)), extra };
    },
  };

  function read(source: { readonly continuationToken: string }): T;
  function read(source: { readonly continuationToken?: string }): T | undefined;
  function read(source: { readonly continuationToken?: string }): T | undefined {
    const token = source.continuationToken;
    return token === undefined ? undefined : codec.decode(token).value;
  }

  const definition: ContinuationStateDefinition<T> = {
    version,
    read,
    continue(value, details = {}) {
      return continueLater(codec.encode(value), details);
    },
    encode: (value) => codec.encode(value),
    decode: (token) => codec.decode(token).value,
  };
  CODECS.set(definition, codec as StateCodec<unknown>);
  return definition;
}
