/**
 * Bad input, through the real handler: malformed invocation events, jobs with missing, wrong or
 * hostile configuration, and processor outcomes over the API's limits. Each gets a clear answer
 * (InvalidEventError before any poll; a ConfigurationError naming the field, never its value; a
 * result truncated or failed as lambda/worker/outcome-check.ts documents), and none of them costs the
 * good jobs of the same invocation anything.
 *
 * The CodePipeline emulator (which validates configuration against the action type, as the
 * service does) carries everything AWS could send; shapes it refuses, because AWS would never
 * send them, go through the fake at the SDK boundary.
 */
import type { Job as SdkJob } from '@aws-sdk/client-codepipeline';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig, type WorkerConfig } from '../../lambda/config.js';
import { createHandler } from '../../lambda/create-handler.js';
import { InvalidEventError } from '../../lambda/events.js';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { unwrapToken } from '../../lambda/worker/continuation.js';
import { LIMITS } from '../../lambda/worker/report.js';
import { EmulatorInputError, type JobView } from '../../local/emulator/index.js';
import { DEMO_ACTION_TYPE } from '../../samples/local/worker-env.js';
import { bakeTimeGate } from '../../samples/processors/bake-time-gate.js';
import { type LocalDynamoDb, startDynalite } from '../helpers/dynalite.js';
import { FakeCodePipeline } from '../helpers/fake-codepipeline.js';
import { ACTION_TYPE } from '../helpers/jobs.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import { uniqueJob } from '../helpers/worker-harness.js';

const FAST = { DEADLINE_MARGIN_MS: '2000', LEASE_GRACE_SECONDS: '0', CONCURRENCY: '8' };
const STATE_CHANGE = 'CodePipeline Action Execution State Change';
const OUR_TYPE = { ...DEMO_ACTION_TYPE };

/** A STARTED event for `type`, with `detail` fields replaced. */
function actionEvent(detail: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': STATE_CHANGE,
    source: 'aws.codepipeline',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:codepipeline:us-east-1:123456789012:demo'],
    detail: {
      pipeline: 'demo',
      'execution-id': 'e-1',
      state: 'STARTED',
      type: OUR_TYPE,
      ...detail,
    },
  };
}

/** Deeply nested arrays, as JSON.parse builds them from a small (200 KB) event. */
const DEEP = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;

/** Events Lambda could be invoked with that are none of the accepted kinds. */
const MALFORMED_EVENTS: readonly [string, () => unknown][] = [
  ['a string', () => 'tick'],
  ['a number', () => 42],
  ['a boolean', () => true],
  ['null', () => null],
  ['an array', () => []],
  ['an array holding a scheduled event', () => [scheduledEvent()]],
  ['a scheduled event without detail-type', () => ({ source: 'aws.events', detail: {} })],
  ['a detail-type without source', () => ({ 'detail-type': 'Scheduled Event' })],
  ['a scheduled event from another source', () => ({ ...scheduledEvent(), source: 'aws.s3' })],
  ['a source in other case', () => ({ ...scheduledEvent(), source: 'AWS.Events' })],
  [
    'a detail-type that is an array',
    () => ({ ...scheduledEvent(), 'detail-type': ['Scheduled Event'] }),
  ],
  ['a source that is an object', () => ({ ...scheduledEvent(), source: { S: 'aws.events' } })],
  [
    'an action event for another provider',
    () => actionEvent({ type: { ...OUR_TYPE, provider: 'Other' } }),
  ],
  [
    'an action event for another category',
    () => actionEvent({ type: { ...OUR_TYPE, category: 'Build' } }),
  ],
  ['an action event for owner AWS', () => actionEvent({ type: { ...OUR_TYPE, owner: 'AWS' } })],
  ['an action event for version 2', () => actionEvent({ type: { ...OUR_TYPE, version: '2' } })],
  [
    'an action event whose version is an object',
    () => actionEvent({ type: { ...OUR_TYPE, version: { n: 1 } } }),
  ],
  [
    'an action event whose version is null',
    () => actionEvent({ type: { ...OUR_TYPE, version: null } }),
  ],
  ['an action event whose type is an array', () => actionEvent({ type: [OUR_TYPE] })],
  ['an action event without a type', () => actionEvent({ type: undefined })],
  ['an action event in state SUCCEEDED', () => actionEvent({ state: 'SUCCEEDED' })],
  ['an action event in state FAILED', () => actionEvent({ state: 'FAILED' })],
  ['an action event in state started (lower case)', () => actionEvent({ state: 'started' })],
  ['an action event without a state', () => actionEvent({ state: undefined })],
  ['an action event without detail', () => ({ ...actionEvent(), detail: undefined })],
  ['an action event whose detail is a string', () => ({ ...actionEvent(), detail: 'STARTED' })],
  // Prototype-pollution shapes, parsed from JSON as Lambda parses every event.
  [
    'a scheduled event hidden under __proto__',
    () => JSON.parse('{"__proto__": {"source": "aws.events", "detail-type": "Scheduled Event"}}'),
  ],
  [
    'a constructor.prototype payload',
    () =>
      JSON.parse(
        '{"constructor": {"prototype": {"source": "aws.events", "detail-type": "Scheduled Event", "polluted": true}}}',
      ),
  ],
  [
    'an action event whose detail hides STARTED and our type under __proto__',
    () =>
      JSON.parse(
        JSON.stringify({ ...actionEvent(), detail: { x: 1 } }).replace(
          '"detail":{"x":1}',
          `"detail":{"__proto__":${JSON.stringify({ state: 'STARTED', type: OUR_TYPE })}}`,
        ),
      ),
  ],
  [
    'an action event whose type hides our provider under __proto__',
    () =>
      JSON.parse(
        JSON.stringify(
          actionEvent({ type: { owner: 'Custom', category: 'Test', version: '1' } }),
        ).replace('"version":"1"}', '"version":"1","__proto__":{"provider":"BakeTimeGate"}}'),
      ),
  ],
];

/** Malformed events whose values are huge: still rejected, with a message of bounded size. */
const HUGE_EVENTS: readonly [string, () => unknown][] = [
  ['a 1 MB source', () => ({ ...scheduledEvent(), source: 'x'.repeat(1_000_000) })],
  ['a 1 MB state', () => actionEvent({ state: 's'.repeat(1_000_000) })],
  [
    'a 1 MB provider',
    () => actionEvent({ type: { ...OUR_TYPE, provider: 'p'.repeat(1_000_000) } }),
  ],
  [
    '100,000 keys',
    () => Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])),
  ],
  ['a source nested 100,000 deep', () => JSON.parse(`{"source": ${DEEP}}`)],
  [
    'a state nested 100,000 deep',
    () =>
      JSON.parse(
        JSON.stringify(actionEvent({ state: 'X' })).replace('"state":"X"', `"state":${DEEP}`),
      ),
  ],
];

function countPolls() {
  let polls = 0;
  return {
    onRequest: (entry: { operation: string }) => {
      if (entry.operation === 'PollForJobs') polls++;
    },
    get count() {
      return polls;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('the handler accepted the event'),
    (error: unknown) => error,
  );
}

describe('malformed invocation events (real handler, emulator)', () => {
  const polls = countPolls();
  let stack: LocalStack;
  let handler: ReturnType<LocalStack['handler']>;
  let queued: string;

  beforeAll(async () => {
    stack = await startLocalStack({ onRequest: polls.onRequest });
    handler = stack.handler(FAST);
    queued = stack.enqueue({ BakeTimeSeconds: '0' });
  });
  afterAll(() => stack.close());

  it.each(MALFORMED_EVENTS)(
    'rejects %s with InvalidEventError before any poll',
    async (_, event) => {
      const error = await rejection(handler(event() as never, lambdaContext()));

      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as Error).message).toMatch(/^Rejected invocation event: /);
      expect(polls.count).toBe(0);
      expect(stack.emulator.getJob(queued)?.status).toBe('Queued');
      expect(Object.prototype).not.toHaveProperty('polluted');
      expect(Object.prototype).not.toHaveProperty('source');
    },
  );

  it.each(HUGE_EVENTS)(
    'rejects %s with InvalidEventError of at most 1,000 characters, before any poll',
    async (_, event) => {
      const error = await rejection(handler(event() as never, lambdaContext()));

      expect(error).toBeInstanceOf(InvalidEventError);
      expect((error as Error).message.length).toBeLessThanOrEqual(1_000);
      expect(polls.count).toBe(0);
    },
  );

  // Runs last: proves the poll counter above counts, and that no rejection left harm behind.
  it('still drains the queue on the next well-formed event', async () => {
    const summary = await handler(scheduledEvent(), lambdaContext());

    expect(summary).toMatchObject({ polled: 1, succeeded: 1 });
    expect(polls.count).toBeGreaterThan(0);
    expect(stack.emulator.getJob(queued)?.status).toBe('Succeeded');
  });
});

/** The one result the emulator accepted for a job. */
function onlyResult(view: JobView | undefined) {
  expect(view?.results, `results of ${view?.jobId}`).toHaveLength(1);
  const [result] = view?.results ?? [];
  if (!result) throw new Error(`no result for ${view?.jobId}`);
  return result;
}

function expectConfigurationError(view: JobView | undefined, value: string): void {
  expect(view?.status).toBe('Failed');
  const request = onlyResult(view).request as {
    failureDetails?: { type?: string; message?: string };
  };
  expect(request.failureDetails?.type).toBe('ConfigurationError');
  expect(request.failureDetails?.message).toContain('BakeTimeSeconds');
  expect(request.failureDetails?.message).not.toContain(value);
}

/** BakeTimeSeconds values the service accepts (1-1000 characters) that are not a bake time. */
const BAD_BAKE_TIMES: readonly string[] = [
  '-1',
  '1e9',
  '9'.repeat(1000),
  '86401',
  '1.5',
  '0x10',
  'NaN',
  'Infinity',
  '5 seconds',
  '<script>alert(1)</script>',
  '../../etc/passwd',
  "' OR '1'='1",
  '\u0024{jndi:ldap://127.0.0.1/a}',
  '%s%s%s%n',
  '１２０',
  '٣٠',
  '⏱️60',
  '\u202e06',
  'x\u0000y',
  ' \t ',
];

describe('hostile configuration values (real handler, emulator)', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack();
  });
  afterAll(() => stack.close());

  it('fails every job whose BakeTimeSeconds is no bake time with a ConfigurationError naming the field, not the value, and runs the good jobs of the batch', async () => {
    const good = [stack.enqueue({ BakeTimeSeconds: '0' })];
    const bad = BAD_BAKE_TIMES.map((value) => ({
      value,
      id: stack.enqueue({ BakeTimeSeconds: value }),
    }));
    good.push(
      stack.enqueue({ BakeTimeSeconds: '0', Environment: '<script>alert(1)</script>' }),
      stack.enqueue({ BakeTimeSeconds: ' 0 ', Environment: '../../etc/passwd' }),
    );

    const summary = await stack.handler(FAST)(scheduledEvent(), lambdaContext());

    expect(summary).toMatchObject({ failed: bad.length, succeeded: good.length, reportErrors: 0 });
    for (const { value, id } of bad) expectConfigurationError(stack.emulator.getJob(id), value);
    for (const id of good) expect(stack.emulator.getJob(id)?.status).toBe('Succeeded');
  });

  it.each([
    ['missing', {}],
    ['empty', { BakeTimeSeconds: '' }],
    ['1,001 characters', { BakeTimeSeconds: '9'.repeat(1001) }],
    ['an object', { BakeTimeSeconds: { value: '5' } }],
  ])(
    'refuses to enqueue a BakeTimeSeconds that is %s, as the service would (the fake carries it below)',
    (_, configuration) => {
      expect(() =>
        stack.emulator.enqueueJob({
          actionTypeId: { ...DEMO_ACTION_TYPE },
          configuration: configuration as Record<string, string>,
        }),
      ).toThrow(EmulatorInputError);
    },
  );
});

const ENV = {
  ACTION_CATEGORY: ACTION_TYPE.category,
  ACTION_PROVIDER: ACTION_TYPE.provider,
  ACTION_VERSION: ACTION_TYPE.version,
  SECRET_CONFIGURATION_KEYS: 'ApiToken,WebhookSecret',
  CONCURRENCY: '8',
  DEADLINE_MARGIN_MS: '2000',
};

/** A raw job whose `actionConfiguration.configuration` is `configuration`, whatever its shape. */
function jobWithConfiguration(configuration: unknown): SdkJob {
  const job = uniqueJob();
  return {
    ...job,
    data: { ...job.data, actionConfiguration: { configuration: configuration as never } },
  };
}

/** Shapes of configuration AWS would never send (the emulator refuses them). */
const IMPOSSIBLE_CONFIGURATIONS: readonly [string, unknown, string | undefined][] = [
  ['BakeTimeSeconds missing', { Environment: 'production' }, undefined],
  ['BakeTimeSeconds empty', { BakeTimeSeconds: '' }, undefined],
  ['BakeTimeSeconds of 1,001 characters', { BakeTimeSeconds: '7'.repeat(1001) }, '7'.repeat(1001)],
  ['BakeTimeSeconds of 100 KB', { BakeTimeSeconds: '8'.repeat(100_000) }, '8'.repeat(100_000)],
  ['BakeTimeSeconds as a number', { BakeTimeSeconds: 60 }, '60'],
  ['BakeTimeSeconds as an object', { BakeTimeSeconds: { value: '61' } }, '61'],
  ['BakeTimeSeconds as an array', { BakeTimeSeconds: ['62'] }, '62'],
  ['BakeTimeSeconds as null', { BakeTimeSeconds: null }, undefined],
  ['BakeTimeSeconds as true', { BakeTimeSeconds: true }, 'true'],
  ['a configuration that is a string', 'BakeTimeSeconds=63', '63'],
  ['a configuration that is an array', ['64'], '64'],
  ['a configuration that is null', null, undefined],
  [
    'BakeTimeSeconds hidden under __proto__',
    JSON.parse('{"__proto__": {"BakeTimeSeconds": "0"}}'),
    undefined,
  ],
  [
    'BakeTimeSeconds hidden under constructor.prototype',
    JSON.parse('{"constructor": {"prototype": {"BakeTimeSeconds": "0"}}}'),
    undefined,
  ],
];

describe('configurations AWS would never send (real handler, fake CodePipeline)', () => {
  let db: LocalDynamoDb;
  let dynamoDbClient: DynamoDBClient;
  let config: WorkerConfig;
  let codePipeline: FakeCodePipeline;

  beforeAll(async () => {
    db = await startDynalite();
    dynamoDbClient = db.client();
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    config = loadConfig({ ...ENV, LEDGER_TABLE_NAME: await db.createLedgerTable() });
    codePipeline = new FakeCodePipeline();
  });

  const handler = () =>
    createHandler({
      config,
      processor: bakeTimeGate(),
      codePipelineClient: codePipeline.client,
      dynamoDbClient,
    });

  it('fails each with a ConfigurationError naming BakeTimeSeconds and not the value, skips a job it cannot identify, and runs the good jobs of the batch', async () => {
    const bad = IMPOSSIBLE_CONFIGURATIONS.map(([name, configuration, value]) => ({
      name,
      value,
      job: jobWithConfiguration(configuration),
    }));
    const good = [
      uniqueJob({ configuration: { BakeTimeSeconds: '0' } }),
      jobWithConfiguration(
        JSON.parse('{"BakeTimeSeconds": "0", "__proto__": {"polluted": "yes"}}'),
      ),
    ];
    const unidentifiable = [
      { ...uniqueJob(), nonce: undefined },
      { ...uniqueJob(), id: 42 as never },
    ];
    codePipeline.enqueue(
      good[0] as SdkJob,
      ...bad.map((b) => b.job),
      ...unidentifiable,
      good[1] as SdkJob,
    );

    const summary = await handler()(scheduledEvent(), lambdaContext());

    expect(summary).toMatchObject({ failed: bad.length, succeeded: good.length, reportErrors: 0 });
    for (const { name, value, job } of bad) {
      const results = codePipeline.resultsFor(job.id as string);
      expect(results, name).toHaveLength(1);
      const [result] = results;
      expect(result?.kind, name).toBe('failure');
      const details = result?.kind === 'failure' ? result.input.failureDetails : undefined;
      expect(details?.type, name).toBe('ConfigurationError');
      expect(details?.message, name).toContain('BakeTimeSeconds');
      if (value !== undefined) expect(details?.message, name).not.toContain(value);
    }
    for (const job of good) {
      expect(codePipeline.resultsFor(job.id as string).map((r) => r.kind)).toEqual(['success']);
    }
    expect(codePipeline.acknowledged.map((a) => a.jobId)).not.toContain(unidentifiable[0]?.id);
    expect(Object.prototype).not.toHaveProperty('polluted');
    expect(Object.prototype).not.toHaveProperty('BakeTimeSeconds');
  });
});

// ---------------------------------------------------------------------------------------------
// Outcomes over the API's limits
// ---------------------------------------------------------------------------------------------

interface OutcomeCase {
  readonly name: string;
  readonly outcome: () => JobOutcome;
  /** What the emulator must have recorded; it refuses anything over the API's limits. */
  readonly expect: (view: JobView) => void;
}

type SuccessRequest = {
  continuationToken?: string;
  executionDetails?: { summary?: string; percentComplete?: number; externalExecutionId?: string };
  outputVariables?: Record<string, string>;
  currentRevision?: { revision?: string; revisionSummary?: string };
};
type FailureRequest = { failureDetails?: { type?: string; message?: string } };

const succeeded = (check: (request: SuccessRequest) => void) => (view: JobView) => {
  expect(view.status, view.jobId).toBe('Succeeded');
  const result = onlyResult(view);
  expect(result.operation).toBe('PutJobSuccessResult');
  check(result.request as SuccessRequest);
};
const failed = (type: string, message: RegExp | ((message: string) => void)) => (view: JobView) => {
  expect(view.status, view.jobId).toBe('Failed');
  const result = onlyResult(view);
  const details = (result.request as FailureRequest).failureDetails;
  expect(details?.type).toBe(type);
  if (typeof message === 'function') message(details?.message ?? '');
  else expect(details?.message).toMatch(message);
};
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** `bytes` bytes of output variables: one key, an ASCII value. */
const variablesOf = (bytes: number) => ({ Big: 'v'.repeat(bytes - 'Big'.length) });

const OUTCOMES: readonly OutcomeCase[] = [
  {
    name: 'a 100,000-character summary',
    outcome: () => ({ kind: 'success', summary: 's'.repeat(100_000) }),
    expect: succeeded((r) => {
      expect(r.executionDetails?.summary).toHaveLength(LIMITS.summary);
      expect(r.executionDetails?.summary?.endsWith('...')).toBe(true);
    }),
  },
  {
    name: 'a summary of 3,000 emoji',
    outcome: () => ({ kind: 'success', summary: '😀'.repeat(3_000) }),
    expect: succeeded((r) => {
      expect(r.executionDetails?.summary?.length).toBeLessThanOrEqual(LIMITS.summary);
      expect(r.executionDetails?.summary).not.toMatch(LONE_SURROGATE);
    }),
  },
  {
    name: 'a 100,000-character failure message',
    outcome: () => ({ kind: 'failure', failureType: 'JobFailed', message: 'm'.repeat(100_000) }),
    expect: failed('JobFailed', (message) => expect(message).toHaveLength(LIMITS.failureMessage)),
  },
  {
    name: 'an empty failure message',
    outcome: () => ({ kind: 'failure', failureType: 'PermissionError', message: '' }),
    expect: failed('JobFailed', /a failure outcome needs a message \(a non-empty string\)/),
  },
  {
    name: 'an unknown failure type',
    outcome: () => ({ kind: 'failure', failureType: 'Bogus' as never, message: 'no' }),
    expect: failed('JobFailed', /the failureType "Bogus" is unknown: use JobFailed, /),
  },
  {
    name: 'a 1,501-character external execution id',
    outcome: () => ({ kind: 'success', externalExecutionId: 'e'.repeat(1_501) }),
    expect: failed('JobFailed', /externalExecutionId is 1501 characters, 1 over the limit of 1500/),
  },
  {
    name: 'an output variable named "bad key!"',
    outcome: () => ({ kind: 'success', outputVariables: { 'bad key!': 'x' } }),
    expect: failed('JobFailed', /output variable name "bad key!" is invalid/),
  },
  {
    name: 'an output variable with an empty name',
    outcome: () => ({ kind: 'success', outputVariables: { '': 'x' } }),
    expect: failed('JobFailed', /output variable name "" is invalid/),
  },
  {
    name: 'an output variable whose value is a number',
    outcome: () => ({ kind: 'success', outputVariables: { Count: 3 as never } }),
    expect: failed('JobFailed', /output variable "Count" must be a string/),
  },
  {
    name: 'output variables of 122,881 bytes',
    outcome: () => ({
      kind: 'success',
      outputVariables: variablesOf(LIMITS.outputVariablesBytes + 1),
    }),
    expect: failed(
      'JobFailed',
      /output variables \(names and values\) take 122881 bytes, 1 over the limit of 122880/,
    ),
  },
  {
    name: 'output variables of 70,000 characters but 140,000 bytes',
    outcome: () => ({ kind: 'success', outputVariables: { Accents: 'é'.repeat(70_000) } }),
    expect: failed('JobFailed', /output variables \(names and values\) take 140007 bytes/),
  },
  {
    name: 'output variables of exactly 122,880 bytes',
    outcome: () => ({ kind: 'success', outputVariables: variablesOf(LIMITS.outputVariablesBytes) }),
    expect: succeeded((r) => {
      expect(r.outputVariables).toEqual(variablesOf(LIMITS.outputVariablesBytes));
    }),
  },
  {
    name: 'an output variable named __proto__',
    outcome: () => ({
      kind: 'success',
      outputVariables: JSON.parse('{"__proto__": "p", "Good": "g"}'),
    }),
    expect: (view) => {
      // Either reported as named, or refused with a reason; never silently dropped.
      if (view.status === 'Succeeded') {
        const request = onlyResult(view).request as SuccessRequest;
        expect(Object.entries(request.outputVariables ?? {})).toEqual([
          ['__proto__', 'p'],
          ['Good', 'g'],
        ]);
      } else {
        failed('JobFailed', /__proto__/)(view);
      }
    },
  },
  {
    // The API takes 2,048; the worker's envelope around the token keeps 34 of them.
    name: 'a 2,015-character continuation token',
    outcome: () => ({ kind: 'continue', continuationToken: 't'.repeat(2_015) }),
    expect: failed('JobFailed', /continuationToken is 2015 characters, 1 over the limit of 2014/),
  },
  {
    name: 'a 2,014-character continuation token',
    outcome: () => ({ kind: 'continue', continuationToken: 't'.repeat(2_014) }),
    expect: succeeded((r) => {
      expect(r.continuationToken?.length).toBeLessThanOrEqual(2_048);
      expect(unwrapToken(r.continuationToken).continuationToken).toBe('t'.repeat(2_014));
    }),
  },
  {
    name: 'an empty continuation token',
    outcome: () => ({ kind: 'continue', continuationToken: '' }),
    expect: failed('JobFailed', /a continue outcome needs a continuationToken/),
  },
  ...(
    [
      [0, 0],
      [100, 100],
      [33.6, 34],
    ] as const
  ).map(
    ([percent, sent]): OutcomeCase => ({
      name: `percentComplete ${percent}`,
      outcome: () => ({ kind: 'continue', continuationToken: 'k', percentComplete: percent }),
      expect: succeeded((r) => expect(r.executionDetails?.percentComplete).toBe(sent)),
    }),
  ),
  ...[1e9, -5, Number.NaN, Number.POSITIVE_INFINITY].map(
    (percent): OutcomeCase => ({
      name: `percentComplete ${percent}`,
      outcome: () => ({ kind: 'continue', continuationToken: 'k', percentComplete: percent }),
      expect: failed('JobFailed', /percentComplete must be a number from 0 to 100/),
    }),
  ),
  {
    name: 'a 1,501-character revision',
    outcome: () => ({
      kind: 'success',
      currentRevision: { revision: 'r'.repeat(1_501), changeIdentifier: 'c' },
    }),
    expect: failed('JobFailed', /currentRevision.revision is 1501 characters/),
  },
  {
    name: 'a 5,000-character revision summary',
    outcome: () => ({
      kind: 'success',
      currentRevision: { revision: 'r', changeIdentifier: 'c', revisionSummary: 'x'.repeat(5_000) },
    }),
    expect: succeeded((r) =>
      expect(r.currentRevision?.revisionSummary).toHaveLength(LIMITS.revisionSummary),
    ),
  },
  {
    name: 'an unknown outcome kind',
    outcome: () => ({ kind: 'maybe' }) as never,
    expect: failed('JobFailed', /the outcome kind "maybe" is unknown/),
  },
  {
    name: 'no outcome at all',
    outcome: () => undefined as never,
    expect: failed(
      'JobFailed',
      /^The job processor returned an invalid result: it returned undefined instead of an outcome/,
    ),
  },
  {
    name: 'a thrown 1 MB message',
    outcome: () => {
      throw new Error('boom '.repeat(200_000));
    },
    expect: failed('JobFailed', (message) => {
      expect(message.startsWith('The job processor failed: boom')).toBe(true);
      expect(message).toHaveLength(LIMITS.failureMessage);
    }),
  },
  {
    name: 'a thrown string',
    outcome: () => {
      throw 'plain string';
    },
    expect: failed('JobFailed', /^The job processor failed: plain string$/),
  },
];

/** A processor that answers each job with the outcome its `Environment` names. */
function outcomeProcessor(cases: readonly OutcomeCase[]): JobProcessor {
  return {
    name: 'outcomes',
    async process(job) {
      // The job a continuation created succeeds, or it would continue for ever.
      if (job.continuationToken !== undefined) return { kind: 'success', summary: 'continued' };
      const found = cases.find((c) => c.name === job.configuration.Environment);
      return found ? found.outcome() : { kind: 'success', summary: 'good job' };
    },
  };
}

describe('outcomes over the API limits (real handler, emulator)', () => {
  let stack: LocalStack;

  afterEach(() => stack.close());

  it('truncates or fails each as documented, reports every job once, and runs the good jobs of the batch', async () => {
    stack = await startLocalStack();
    const good = [stack.enqueue({ BakeTimeSeconds: '0' })];
    const bad = OUTCOMES.map((c) => ({
      c,
      id: stack.enqueue({ BakeTimeSeconds: '0', Environment: c.name }),
    }));
    good.push(stack.enqueue({ BakeTimeSeconds: '0' }));

    const handler = stack.handler(FAST, { processor: outcomeProcessor(OUTCOMES) });
    const summary = await handler(scheduledEvent(), lambdaContext());

    expect(summary).toMatchObject({ reportErrors: 0, ledgerErrors: 0 });
    for (const { c, id } of bad) {
      const view = stack.emulator.getJob(id);
      expect(view, c.name).toBeDefined();
      c.expect(view as JobView);
    }
    for (const id of good) expect(stack.emulator.getJob(id)?.status).toBe('Succeeded');
    const continuations = bad.flatMap(
      ({ id }) => stack.emulator.getJob(id)?.continuationJobId ?? [],
    );
    // The 2,014-character token, and percentComplete 0, 100 and 33.6.
    expect(continuations).toHaveLength(4);
    // A continuation queued after the invocation's last poll is taken by the next invocation.
    const next = await handler(scheduledEvent(), lambdaContext());
    for (const id of continuations) expect(stack.emulator.getJob(id)?.status).toBe('Succeeded');
    expect(next).toMatchObject({ reportErrors: 0, ledgerErrors: 0, processorRuns: next.polled });
    expect(summary.polled + next.polled).toBe(bad.length + good.length + continuations.length);
  });

  it('fails a job whose processor throws a value that cannot be turned into text, and runs the others', async () => {
    stack = await startLocalStack();
    const hostile: OutcomeCase = {
      name: 'a thrown object without a prototype',
      outcome: () => {
        throw Object.create(null);
      },
      expect: failed('JobFailed', /^The job processor failed: /),
    };
    const good = stack.enqueue({ BakeTimeSeconds: '0' });
    const bad = stack.enqueue({ BakeTimeSeconds: '0', Environment: hostile.name });

    const summary = await stack.handler(FAST, { processor: outcomeProcessor([hostile]) })(
      scheduledEvent(),
      lambdaContext(),
    );

    expect(stack.emulator.getJob(good)?.status).toBe('Succeeded');
    expect(summary.succeeded).toBe(1);
    hostile.expect(stack.emulator.getJob(bad) as JobView);
  });
});
