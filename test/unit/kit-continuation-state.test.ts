/**
 * continuationState: a typed, versioned state carried in the continuation token: round trips,
 * versions and chained migrations, a Standard Schema check, values JSON would change refused
 * with their path, tokens that are no state refused, and the size held to the processor's
 * token limit with the exact numbers.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Cancellation } from '../../lambda/job/cancellation.js';
import { LIMITS, PROCESSOR_TOKEN_LIMIT } from '../../lambda/job/limits.js';
import { JobFailureError, type JobOutcome, success } from '../../lambda/job/outcome.js';
import { Secret } from '../../lambda/job/secret.js';
import { stateCodec } from '../../lambda/kit/continuation-state.js';
import {
  ContinuationStateError,
  continuationState,
  STATE_TOKEN_PREFIX,
} from '../../lambda/kit/index.js';
import { jobFixture, processingContext } from '../../local/testing/index.js';
import { countingProcessor, uniqueJob, workerOnDynalite } from '../helpers/worker-harness.js';

/** The error `work` throws; fails the test when it throws nothing. */
function thrown(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected it to throw');
}

function cancellation(continuationToken: string): Cancellation {
  return { reason: 'canceled', continuationToken, actionExecutionId: 'a1b2c3d4' };
}

const BuildState = continuationState<{ buildId: string; attempts: number }>({ version: 1 });

describe('continuationState', () => {
  it('carries a state from a continue outcome to the next job, and back from a cancellation', () => {
    const outcome = BuildState.continue(
      { buildId: 'b-1', attempts: 2 },
      { checkAfterSeconds: 15, summary: 'Build b-1 started', percentComplete: 10 },
    );
    const next = jobFixture({ continuationToken: outcome.continuationToken });

    expect(outcome).toMatchObject({
      kind: 'continue',
      checkAfterSeconds: 15,
      summary: 'Build b-1 started',
      percentComplete: 10,
    });
    expect(outcome.continuationToken).toBe(
      `${STATE_TOKEN_PREFIX}{"v":1,"s":{"buildId":"b-1","attempts":2}}`,
    );
    expect(BuildState.read(next)).toEqual({ buildId: 'b-1', attempts: 2 });
    expect(BuildState.read(cancellation(outcome.continuationToken))).toEqual({
      buildId: 'b-1',
      attempts: 2,
    });
  });

  it('reads nothing from the first job of an execution', () => {
    expect(BuildState.read(jobFixture())).toBeUndefined();
  });

  it('encodes and decodes strings alone, the same way', () => {
    const token = BuildState.encode({ buildId: 'b-2', attempts: 1 });

    expect(BuildState.decode(token)).toEqual({ buildId: 'b-2', attempts: 1 });
    expect(BuildState.continue({ buildId: 'b-2', attempts: 1 }).continuationToken).toBe(token);
  });

  it('keeps unicode, nesting, null and optional properties as they were', () => {
    const State = continuationState<{ name: string; tags: (string | null)[]; note?: string }>({
      version: 1,
    });

    const value = State.decode(
      State.encode({ name: 'déploiement ✓', tags: ['a', null], note: undefined }),
    );

    expect(value).toEqual({ name: 'déploiement ✓', tags: ['a', null] });
  });

  it('gives a continue outcome the worker accepts as it is', async () => {
    const outcome = BuildState.continue({ buildId: 'b-1', attempts: 1 }, { summary: 'waiting' });

    await expect(processingContext().checked(outcome)).resolves.toBe(outcome);
  });
});

describe('versions', () => {
  const V1 = continuationState<{ id: string }>({ version: 1 });
  const V2Shape = continuationState<{ buildId: string }>({ version: 2 });
  const v1Token = V1.encode({ id: 'b-7' });

  it('fails a token of an earlier version, without its migration, saying which versions and that none is given', () => {
    const error = thrown(() => V2Shape.read(jobFixture({ continuationToken: v1Token })));

    expect(error).toBeInstanceOf(ContinuationStateError);
    expect(JobFailureError.is(error)).toBe(true);
    expect((error as ContinuationStateError).failureType).toBe('JobFailed');
    expect(error.message).toBe(
      'The continuation token holds version 1 of the state, and this processor reads version 2, with no migration from version 1 (migrate[1]). Give the migration, or retry the action to start it again with this version',
    );
  });

  it('fails a token of a later version: no migration goes back', () => {
    const error = thrown(() => V1.decode(V2Shape.encode({ buildId: 'b-7' })));

    expect(error).toBeInstanceOf(ContinuationStateError);
    expect(error.message).toBe(
      'The continuation token holds version 2 of the state, and this processor reads version 1: a later version of the processor wrote it, and no migration goes back. Retry the action to start it again with this version',
    );
  });

  it('chains migrations, each on the output of the one before (1 to 2 to 3)', () => {
    const seen: unknown[] = [];
    const V3 = continuationState<{ buildId: string; attempts: number; region: string }>({
      version: 3,
      migrate: {
        1: (old: { id: string }) => {
          seen.push(old);
          return { buildId: old.id, attempts: 1 };
        },
        2: (old: { buildId: string; attempts: number }) => {
          seen.push(old);
          return { ...old, region: 'us-east-1' };
        },
      },
    });

    expect(V3.decode(v1Token)).toEqual({ buildId: 'b-7', attempts: 1, region: 'us-east-1' });
    expect(seen).toEqual([{ id: 'b-7' }, { buildId: 'b-7', attempts: 1 }]);
    // A version 2 token takes the second step alone.
    expect(
      V3.decode(continuationState({ version: 2 }).encode({ buildId: 'b-8', attempts: 4 })),
    ).toEqual({
      buildId: 'b-8',
      attempts: 4,
      region: 'us-east-1',
    });
  });

  it('says which migration failed when one throws, keeping the cause', () => {
    const cause = new TypeError("Cannot read properties of undefined (reading 'id')");
    const V2 = continuationState<{ buildId: string }>({
      version: 2,
      migrate: {
        1: () => {
          throw cause;
        },
      },
    });

    const error = thrown(() => V2.decode(v1Token));

    expect(error).toBeInstanceOf(ContinuationStateError);
    expect(error.message).toBe(
      "The continuation state cannot be read: the migration from version 1 (migrate[1]) failed: Cannot read properties of undefined (reading 'id')",
    );
    expect(error.cause).toBe(cause);
  });

  it('keeps a JobFailureError a migration throws on purpose', () => {
    const refusal = new JobFailureError(
      'ConfigurationError',
      'Builds of version 1 cannot be resumed',
    );
    const V2 = continuationState<{ buildId: string }>({
      version: 2,
      migrate: {
        1: () => {
          throw refusal;
        },
      },
    });

    expect(thrown(() => V2.decode(v1Token))).toBe(refusal);
  });

  it('names the missing step of a chain, and where the chain started', () => {
    const V3 = continuationState<{ buildId: string }>({
      version: 3,
      migrate: { 1: (old: { id: string }) => ({ buildId: old.id }) },
    });

    expect(thrown(() => V3.decode(v1Token)).message).toBe(
      'The continuation token holds version 1 of the state, and this processor reads version 3, with no migration from version 2 (migrate[2]) (on the way from version 1). Give the migration, or retry the action to start it again with this version',
    );
  });

  it('reads the state a waitUntil token carries, ignoring the fields beside it', () => {
    const token = stateCodec(BuildState).encode(
      { buildId: 'b-1', attempts: 1 },
      { w: { n: 3, t: 1 } },
    );

    expect(BuildState.decode(token)).toEqual({ buildId: 'b-1', attempts: 1 });
    expect(stateCodec(BuildState).decode(token).extra).toEqual({ w: { n: 3, t: 1 } });
  });

  it.each([
    [{ version: 0 }, 'continuationState: version must be a whole number from 1, not 0'],
    [{ version: 1.5 }, 'continuationState: version must be a whole number from 1, not 1.5'],
    [
      { version: 2, migrate: { 2: () => 1 } },
      'continuationState: migrate[2] reads no earlier version: give migrations from 1 to 1',
    ],
    [
      { version: 2, migrate: { 0: () => 1 } },
      'continuationState: migrate[0] reads no earlier version: give migrations from 1 to 1',
    ],
    [{ version: 2, migrate: { 1: 'up' } }, 'continuationState: migrate[1] is not a function'],
    [{ version: 1, legacy: 'yes' }, 'continuationState: legacy is not a function'],
  ])('refuses invalid options (case %#)', (options, message) => {
    expect(() => continuationState(options as never)).toThrow(new TypeError(message));
  });

  it('refuses a definition it did not make as a waitUntil state', () => {
    expect(() => stateCodec({ ...BuildState })).toThrow(TypeError);
  });
});

describe('values JSON would change', () => {
  const Any = continuationState<unknown>({ version: 1 });
  const cycle: Record<string, unknown> = { a: { b: {} } };
  (cycle.a as { b: Record<string, unknown> }).b.back = cycle.a;

  it.each([
    ['undefined', undefined, 'state is undefined, which JSON cannot hold'],
    ['a function', { run: () => 1 }, 'state.run is a function, which JSON cannot hold'],
    [
      'a bigint',
      { size: 10n },
      'state.size is a bigint, which JSON cannot hold: store it as a string',
    ],
    ['a symbol', { tag: Symbol('x') }, 'state.tag is a symbol, which JSON cannot hold'],
    [
      'NaN',
      { ratio: Number.NaN },
      'state.ratio is NaN, which JSON writes as null: store a finite number',
    ],
    [
      'Infinity',
      { list: [1, Number.POSITIVE_INFINITY] },
      'state.list[1] is Infinity, which JSON writes as null: store a finite number',
    ],
    [
      'undefined in an array',
      { ids: ['a', undefined] },
      'state.ids[1] is undefined (or a hole), which JSON writes as null in an array',
    ],
    [
      'a hole in an array',
      // biome-ignore lint/suspicious/noSparseArray: the hole is the case
      { ids: ['a', , 'c'] },
      'state.ids[1] is undefined (or a hole), which JSON writes as null in an array',
    ],
    ['a cycle', cycle, 'state.a.b.back refers back to state.a: JSON cannot hold a cycle'],
    [
      'a Date',
      { at: new Date(0) },
      'state.at is a Date, which comes back from JSON as a string: store its getTime() or toISOString()',
    ],
    [
      'a Map',
      { 'build ids': new Map() },
      'state["build ids"] is a Map, which comes back from JSON as a plain object (or not at all): store plain objects, arrays, strings, finite numbers, booleans and null',
    ],
    [
      'a Secret',
      { token: new Secret('tok_9f8e7d6c5b4a') },
      'state.token is a Secret, which JSON writes as [REDACTED]: keep secret values out of the state',
    ],
  ])('refuses %s before anything is written, naming where it is', (_, value, problem) => {
    const error = thrown(() => Any.continue(value));

    expect(error).toBeInstanceOf(ContinuationStateError);
    expect(error.message).toBe(`The continuation state cannot be written: ${problem}`);
  });

  it('knows a Secret of another copy of the package by its shape', () => {
    class Secret {
      reveal(): string {
        return 'tok_9f8e7d6c5b4a';
      }
      toJSON(): string {
        return '[REDACTED]';
      }
    }

    expect(thrown(() => Any.encode({ token: new Secret() })).message).toBe(
      'The continuation state cannot be written: state.token is a Secret, which JSON writes as [REDACTED]: keep secret values out of the state',
    );
  });

  it('takes an object met twice, but not inside itself, as no cycle', () => {
    const shared = { id: 1 };

    expect(Any.decode(Any.encode({ first: shared, second: shared }))).toEqual({
      first: { id: 1 },
      second: { id: 1 },
    });
  });

  it('takes an object without a prototype as a plain one', () => {
    const bare = Object.assign(Object.create(null) as object, { id: 'x' });

    expect(Any.decode(Any.encode(bare))).toEqual({ id: 'x' });
  });
});

describe('the size', () => {
  const LogState = continuationState<{ id: string; log: string }>({ version: 1 });
  /** The characters of a token besides the log. */
  const overhead = LogState.encode({ id: 'b', log: '' }).length;

  it('takes a token of exactly the processor token limit, and the worker takes it too', async () => {
    const outcome = LogState.continue({
      id: 'b',
      log: 'x'.repeat(PROCESSOR_TOKEN_LIMIT - overhead),
    });

    expect(outcome.continuationToken).toHaveLength(PROCESSOR_TOKEN_LIMIT);
    await expect(processingContext().checked(outcome)).resolves.toBe(outcome);
  });

  it('refuses one character more, saying its length, the limit, how much is over and its largest part', () => {
    const log = 'x'.repeat(PROCESSOR_TOKEN_LIMIT - overhead + 1);

    const error = thrown(() => LogState.continue({ id: 'b', log }));

    expect(error).toBeInstanceOf(ContinuationStateError);
    expect(error.message).toBe(
      `The continuation state is ${PROCESSOR_TOKEN_LIMIT + 1} characters once encoded, 1 over the limit of ${PROCESSOR_TOKEN_LIMIT} for a processor's continuation token (its largest part, state.log, is ${log.length + 2} characters): keep large data elsewhere (an S3 object, a DynamoDB item) and put its key in the state`,
    );
    expect(error.message).toContain('is 2015 characters once encoded, 1 over the limit of 2014');
  });

  it('counts escapes as they are sent, and a state without parts has none to name', () => {
    const Text = continuationState<string>({ version: 1 });
    // Each quote is written as \" (2 characters): cpjs1: {"v":1,"s":"...."} is 6 + 11 + 2,022 + 1.
    const error = thrown(() => Text.encode('"'.repeat(1010)));

    expect(error.message).toBe(
      `The continuation state is 2040 characters once encoded, 26 over the limit of ${PROCESSOR_TOKEN_LIMIT} for a processor's continuation token: keep large data elsewhere (an S3 object, a DynamoDB item) and put its key in the state`,
    );
  });
});

describe('tokens that are no state', () => {
  it('fails a hand-written token, saying it is not a state and how to read it', () => {
    const error = thrown(() =>
      BuildState.read(jobFixture({ continuationToken: '{"buildId":"b-1"}' })),
    );

    expect(error).toBeInstanceOf(ContinuationStateError);
    expect(error.message).toBe(
      `The continuation token (17 characters) is not a continuation state: it does not begin with ${STATE_TOKEN_PREFIX} (an earlier version of the processor wrote it by hand?); give continuationState a legacy reader for such tokens, or retry the action to start it again`,
    );
  });

  it.each([
    [
      'JSON that does not parse',
      `${STATE_TOKEN_PREFIX}{"v":1,`,
      /^The continuation token begins as a continuation state but is not one: its JSON does not parse$/,
    ],
    [
      'no version',
      `${STATE_TOKEN_PREFIX}{"s":{"buildId":"b"}}`,
      /holds no version \(v, a whole number from 1\) and state \(s\)$/,
    ],
    ['version 0', `${STATE_TOKEN_PREFIX}{"v":0,"s":1}`, /holds no version/],
    ['a version that is a string', `${STATE_TOKEN_PREFIX}{"v":"1","s":1}`, /holds no version/],
    ['no state', `${STATE_TOKEN_PREFIX}{"v":1}`, /holds no version/],
    ['an array', `${STATE_TOKEN_PREFIX}[1,2]`, /holds no version/],
    ['null', `${STATE_TOKEN_PREFIX}null`, /holds no version/],
    [
      'a later format',
      'cpjs2:{"v":1,"s":1}',
      /^The continuation token is a state of format 2, and this copy of codepipeline-job-worker reads format 1/,
    ],
  ])('fails %s clearly', (_, token, message) => {
    const error = thrown(() => BuildState.decode(token));

    expect(error).toBeInstanceOf(ContinuationStateError);
    expect(error.message).toMatch(message);
  });

  it('reads a hand-written token with the legacy reader given, and writes its own format from then on', () => {
    const State = continuationState<{ buildId: string }>({
      version: 1,
      legacy: (token) => ({ buildId: (JSON.parse(token) as { buildId: string }).buildId }),
    });

    expect(State.decode('{"buildId":"b-1"}')).toEqual({ buildId: 'b-1' });
    expect(thrown(() => State.decode('b-1')).message).toMatch(
      /^The continuation state cannot be read: the legacy reader failed: .*JSON/,
    );
    expect(State.encode({ buildId: 'b-1' }).startsWith(STATE_TOKEN_PREFIX)).toBe(true);
  });
});

describe('a schema', () => {
  const schema = z.object({ buildId: z.string().min(1), attempts: z.number().int() });
  const Checked = continuationState({ version: 1, schema });

  it('types the state from the schema, and checks it when read', () => {
    const state: { buildId: string; attempts: number } | undefined = Checked.read(
      jobFixture({ continuationToken: Checked.encode({ buildId: 'b-1', attempts: 2 }) }),
    );

    expect(state).toEqual({ buildId: 'b-1', attempts: 2 });
  });

  it("fails a state the schema refuses with the schema's problems", () => {
    const token = continuationState<unknown>({ version: 1 }).encode({ buildId: '', attempts: 1.5 });

    const error = thrown(() => Checked.decode(token));

    expect(error).toBeInstanceOf(ContinuationStateError);
    expect(error.message).toMatch(
      /^The continuation state does not satisfy the state's schema \(version 1\): buildId: .+; attempts: .+$/,
    );
  });

  it('checks the result of the migrations', () => {
    const V2 = continuationState({
      version: 2,
      schema,
      migrate: { 1: (old: { id: string }) => ({ buildId: old.id }) },
    });
    const v1Token = continuationState({ version: 1 }).encode({ id: 'b-1' });

    expect(thrown(() => V2.decode(v1Token)).message).toMatch(/\(version 2\): attempts: /);
  });

  it('checks what a legacy reader gives', () => {
    const State = continuationState({
      version: 1,
      schema,
      legacy: (token) => ({ buildId: token }),
    });

    expect(thrown(() => State.decode('b-1')).message).toMatch(/schema \(version 1\): attempts: /);
  });

  it('refuses a schema that validates asynchronously', () => {
    const Async = continuationState({
      version: 1,
      schema: z.object({ id: z.string().refine(async () => true) }),
    });

    expect(() => Async.decode(Async.encode({ id: 'x' }))).toThrow(
      new TypeError(
        'continuationState: the schema validates asynchronously; use one whose checks are synchronous',
      ),
    );
  });
});

describe('through the worker', () => {
  const dynalite = workerOnDynalite();
  const LogState = continuationState<{ step: number; log: string }>({ version: 1 });
  const overhead = LogState.encode({ step: 1, log: '' }).length;

  it('carries a state of the full processor token limit to the next job, inside the worker envelope', async () => {
    const seen: unknown[] = [];
    const processor = countingProcessor(async (job): Promise<JobOutcome> => {
      const state = LogState.read(job);
      seen.push(state);
      return state === undefined
        ? LogState.continue({ step: 1, log: 'x'.repeat(PROCESSOR_TOKEN_LIMIT - overhead) })
        : success({ summary: `resumed at step ${state.step}` });
    });
    const { codePipeline, worker } = await dynalite.setup({ processor });
    const first = uniqueJob({ actionExecutionId: 'exec-1' });
    codePipeline.enqueue(first);
    await worker.drain({ deadline: Date.now() + 30_000 });
    const sent = codePipeline.resultsFor(first.id as string).at(-1);
    const token = sent?.kind === 'success' ? sent.input.continuationToken : undefined;

    const second = uniqueJob({ actionExecutionId: 'exec-1', continuationToken: token });
    codePipeline.enqueue(second);
    await worker.drain({ deadline: Date.now() + 30_000 });

    expect(token?.length).toBeLessThanOrEqual(LIMITS.continuationToken);
    expect(seen).toEqual([
      undefined,
      { step: 1, log: 'x'.repeat(PROCESSOR_TOKEN_LIMIT - overhead) },
    ]);
    expect(codePipeline.resultsFor(second.id as string).at(-1)?.input).toMatchObject({
      executionDetails: expect.objectContaining({ summary: 'resumed at step 1' }),
    });
  }, 60_000);

  it('fails the job with the size message when the state is one character over, reporting nothing else', async () => {
    const processor = countingProcessor(async () =>
      LogState.continue({ step: 1, log: 'x'.repeat(PROCESSOR_TOKEN_LIMIT - overhead + 1) }),
    );
    const { codePipeline, worker } = await dynalite.setup({ processor });
    const job = uniqueJob();
    codePipeline.enqueue(job);

    await worker.drain({ deadline: Date.now() + 30_000 });

    const results = codePipeline.resultsFor(job.id as string);
    expect(results.map((result) => result.kind)).toEqual(['failure']);
    expect(results[0]?.input).toMatchObject({
      failureDetails: {
        type: 'JobFailed',
        message: expect.stringContaining(
          `The continuation state is ${PROCESSOR_TOKEN_LIMIT + 1} characters once encoded, 1 over the limit of ${PROCESSOR_TOKEN_LIMIT}`,
        ),
      },
    });
  }, 60_000);
});
