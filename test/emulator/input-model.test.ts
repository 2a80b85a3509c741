import * as sdk from '@aws-sdk/client-codepipeline';
import {
  AcknowledgeJobCommand,
  type CodePipelineClient,
  CodePipelineServiceException,
  CreateCustomActionTypeCommand,
  DeleteCustomActionTypeCommand,
  GetJobDetailsCommand,
  ListActionTypesCommand,
  PollForJobsCommand,
  PutJobFailureResultCommand,
  PutJobSuccessResultCommand,
} from '@aws-sdk/client-codepipeline';
import { NormalizedSchema } from '@smithy/core/schema';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { INPUT_SHAPES, type Shape } from '../../local/emulator/input-model.js';
import { OPERATIONS, type Operation } from '../../local/emulator/types.js';
import {
  BAKE_ACTION,
  JENKINS_ACTION,
  JENKINS_ID,
  sdkClient,
  signedCall,
} from '../helpers/emulator.js';
import {
  type ConstraintCase,
  constraintCases,
  normalized,
  OMIT,
  parseViolations,
  type Step,
  sampleOf,
  type Violation,
  valueAt,
  withValue,
  wrongTypeCases,
} from '../helpers/model-cases.js';

/** A structure's members, types and required members, as the table and the SDK both describe them. */
interface Outline {
  type: string;
  name?: string;
  required?: string[];
  members?: Record<string, Outline>;
  element?: Outline;
  key?: Outline;
  value?: Outline;
}

function tableOutline(shape: Shape): Outline {
  switch (shape.type) {
    case 'structure':
      return {
        type: 'structure',
        name: shape.name,
        required: [...shape.required].sort(),
        members: Object.fromEntries(
          Object.entries(shape.members).map(([name, member]) => [name, tableOutline(member)]),
        ),
      };
    case 'list':
      return { type: 'list', element: tableOutline(shape.member) };
    case 'map':
      return { type: 'map', key: tableOutline(shape.key), value: tableOutline(shape.value) };
    default:
      return { type: shape.type };
  }
}

/** The same outline read from the SDK's Smithy schema (required members come first there). */
function sdkOutline(schema: NormalizedSchema): Outline {
  if (schema.isStructSchema()) {
    const raw = schema.getSchema() as unknown as [number, string, string, unknown, string[]];
    const requiredCount = (raw as unknown as unknown[])[6];
    const members = [...schema.structIterator()];
    return {
      type: 'structure',
      name: schema.getName(),
      required: raw[4].slice(0, typeof requiredCount === 'number' ? requiredCount : 0).sort(),
      members: Object.fromEntries(members.map(([name, member]) => [name, sdkOutline(member)])),
    };
  }
  if (schema.isListSchema()) return { type: 'list', element: sdkOutline(schema.getValueSchema()) };
  if (schema.isMapSchema()) {
    return {
      type: 'map',
      key: sdkOutline(schema.getKeySchema()),
      value: sdkOutline(schema.getValueSchema()),
    };
  }
  if (schema.isStringSchema()) return { type: 'string' };
  // The SDK's schemas do not tell integers from other numbers; the model's are all integers.
  if (schema.isNumericSchema()) return { type: 'integer' };
  if (schema.isBooleanSchema()) return { type: 'boolean' };
  if (schema.isTimestampSchema()) return { type: 'timestamp' };
  return { type: 'unknown' };
}

function enumShapes(shape: Shape): Array<{ name: string; values: readonly string[] }> {
  switch (shape.type) {
    case 'string':
      return shape.enum ? [{ name: shape.name, values: shape.enum }] : [];
    case 'structure':
      return Object.values(shape.members).flatMap(enumShapes);
    case 'list':
      return enumShapes(shape.member);
    case 'map':
      return [...enumShapes(shape.key), ...enumShapes(shape.value)];
    default:
      return [];
  }
}

const exported = sdk as unknown as Record<string, unknown>;

describe('the emulator input model (local/emulator/input-model.ts)', () => {
  describe('agrees with what the AWS SDK ships', () => {
    it.each(OPERATIONS)(
      '%s: the same members, types, structure names and required members at every depth',
      (operation) => {
        const schema = exported[`${operation}Input$`];

        expect(schema).toBeDefined();
        expect(tableOutline(INPUT_SHAPES[operation])).toEqual(
          sdkOutline(NormalizedSchema.of(schema as Parameters<typeof NormalizedSchema.of>[0])),
        );
      },
    );

    const enums = new Map(
      Object.values(INPUT_SHAPES)
        .flatMap(enumShapes)
        .map((e) => [e.name, e.values]),
    );

    it('has enums at all (the check below is not empty)', () => {
      expect([...enums.keys()].sort()).toEqual([
        'ActionCategory',
        'ActionConfigurationPropertyType',
        'ActionOwner',
        'FailureType',
      ]);
    });

    it.each([...enums])('%s has the values the SDK exports', (name, values) => {
      const fromSdk = exported[name] as Record<string, string> | undefined;

      expect(Object.values(fromSdk ?? {}).sort()).toEqual([...values].sort());
    });
  });
});

/** The base input of each operation: a valid value everywhere, so every member path exists. */
const OVERRIDES: Partial<Record<Operation, Array<[Step[], unknown]>>> = {
  // A registered type with its queryable property, so the base poll answers 200.
  PollForJobs: [
    [['actionTypeId'], JENKINS_ID],
    [['queryParam'], { ProjectName: 'web' }],
  ],
  // A result carries either output variables or a continuation token, not both.
  PutJobSuccessResult: [[['continuationToken'], OMIT]],
  DeleteCustomActionType: [
    [['category'], BAKE_ACTION.category],
    [['provider'], BAKE_ACTION.provider],
    [['version'], BAKE_ACTION.version],
  ],
  // Only the emulator can issue a valid token.
  ListActionTypes: [[['nextToken'], OMIT]],
};

function baseInput(operation: Operation): unknown {
  let input = sampleOf(INPUT_SHAPES[operation]);
  for (const [at, value] of OVERRIDES[operation] ?? []) input = withValue(input, at, value);
  return input;
}

/** What the base input gets: proof that it passes validation (jobs are unknown ids). */
const BASE_OUTCOME: Record<Operation, string> = {
  PollForJobs: '200',
  AcknowledgeJob: 'JobNotFoundException',
  PutJobSuccessResult: 'JobNotFoundException',
  PutJobFailureResult: 'JobNotFoundException',
  GetJobDetails: 'JobNotFoundException',
  CreateCustomActionType: '200',
  DeleteCustomActionType: '200',
  ListActionTypes: '200',
};

/** Answers that only come once a request has passed the model's constraints. */
const PAST_VALIDATION: Record<Operation, string[]> = {
  PollForJobs: ['ActionTypeNotFoundException'],
  AcknowledgeJob: ['InvalidNonceException', 'JobNotFoundException'],
  PutJobSuccessResult: [
    'JobNotFoundException',
    'InvalidJobStateException',
    'OutputVariablesSizeExceededException',
  ],
  PutJobFailureResult: ['JobNotFoundException', 'InvalidJobStateException'],
  GetJobDetails: ['JobNotFoundException'],
  CreateCustomActionType: ['LimitExceededException'],
  DeleteCustomActionType: ['ActionTypeNotFoundException'],
  ListActionTypes: ['InvalidNextTokenException'],
};

const COMMANDS = {
  PollForJobs: PollForJobsCommand,
  AcknowledgeJob: AcknowledgeJobCommand,
  PutJobSuccessResult: PutJobSuccessResultCommand,
  PutJobFailureResult: PutJobFailureResultCommand,
  GetJobDetails: GetJobDetailsCommand,
  CreateCustomActionType: CreateCustomActionTypeCommand,
  DeleteCustomActionType: DeleteCustomActionTypeCommand,
  ListActionTypes: ListActionTypesCommand,
} as const;

interface Outcome {
  name: string;
  message: string;
}

/** A ValidationException in AWS's constraint wording, as opposed to a service rule's. */
function isConstraintRefusal(outcome: Outcome): boolean {
  return (
    outcome.name === 'ValidationException' &&
    /^\d+ validation errors? detected: /.test(outcome.message)
  );
}

/** Wire form of an SDK input: timestamps as epoch seconds. */
function toWire(input: unknown): string {
  return JSON.stringify(input, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : value;
  });
}

describe('constraint cases generated from the input model', () => {
  let emulator: RunningEmulator;
  let client: CodePipelineClient;
  /** The JSON body the SDK put on the wire for the last call. */
  let sentBody: string | undefined;

  beforeAll(async () => {
    emulator = await startEmulator({ actionTypes: [BAKE_ACTION, JENKINS_ACTION] });
    client = sdkClient(emulator);
    client.middlewareStack.add(
      (next) => async (args) => {
        const { body } = args.request as { body?: unknown };
        // Recent SDKs serialize JSON to bytes; older ones to a string.
        sentBody =
          body instanceof Uint8Array
            ? Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8')
            : typeof body === 'string'
              ? body
              : undefined;
        return next(args);
      },
      { step: 'build', name: 'captureBody' },
    );
  });
  beforeEach(() => {
    emulator.reset();
    sentBody = undefined;
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  async function send(operation: Operation, input: unknown): Promise<Outcome> {
    const Command = COMMANDS[operation] as unknown as new (input: unknown) => PollForJobsCommand;
    try {
      await client.send(new Command(input));
      return { name: '200', message: '' };
    } catch (error) {
      if (error instanceof CodePipelineServiceException) {
        return { name: error.name, message: error.message };
      }
      throw error;
    }
  }

  /** Sends the case through the SDK, checking that the SDK put the value on the wire unchanged. */
  async function sendCase(c: ConstraintCase): Promise<Outcome> {
    const outcome = await send(c.operation, withValue(baseInput(c.operation), c.at, c.value));
    const onWire = valueAt(JSON.parse(sentBody ?? 'null'), c.at);
    expect(onWire).toEqual(c.value === OMIT ? undefined : c.value);
    return outcome;
  }

  it.each(OPERATIONS)('passes the base %s input through validation', async (operation) => {
    const outcome = await send(operation, baseInput(operation));

    expect(outcome).toEqual({ name: BASE_OUTCOME[operation], message: expect.any(String) });
  });

  const cases = constraintCases();
  const inside = cases.filter((c) => c.violations === undefined);
  const outside = cases.filter((c) => c.violations !== undefined);

  it('generates both sides for every constrained member of every operation', () => {
    const paths = (list: ConstraintCase[]) =>
      new Set(list.map((c) => `${c.operation} ${c.label.split(' ')[0]}`));
    const accepted = paths(inside);

    expect(inside.length).toBeGreaterThan(100);
    expect(outside.length).toBeGreaterThan(100);
    // Every member refused some way is also accepted some way, unless it only has "required".
    for (const member of paths(outside.filter((c) => c.value !== OMIT))) {
      expect(accepted.has(member), member).toBe(true);
    }
  });

  const named = (list: ConstraintCase[]) => list.map((c) => [c.operation, c.label, c] as const);

  it.each(named(inside))('%s accepts %s', async (_operation, _label, c) => {
    const outcome = await sendCase(c);

    expect(isConstraintRefusal(outcome), outcome.message).toBe(false);
    expect(['200', 'ValidationException', ...PAST_VALIDATION[c.operation]]).toContain(outcome.name);
  });

  it.each(named(outside))('%s refuses %s', async (_operation, _label, c) => {
    const expected = normalized(c.violations ?? []).map(
      (v): Violation => (v.value === undefined ? { ...v, value: expect.any(String) } : v),
    );

    const outcome = await sendCase(c);

    expect(outcome.name).toBe('ValidationException');
    expect(normalized(parseViolations(outcome.message))).toEqual(expected);
  });

  describe('wrong JSON types, as raw signed JSON (the SDK input types do not allow them)', () => {
    const target = (operation: Operation) => `CodePipeline_20150709.${operation}`;

    it.each(OPERATIONS)(
      'passes the raw base %s body through deserialization',
      async (operation) => {
        const response = await signedCall(
          emulator,
          target(operation),
          toWire(baseInput(operation)),
        );

        expect(String(response.json.__type ?? '200')).not.toMatch(/Serialization|Validation/);
      },
    );

    const wrongTypes = wrongTypeCases().map((c) => [c.operation, c.path, c] as const);

    it.each(wrongTypes)('%s answers SerializationException to %s', async (_op, _path, c) => {
      const body = toWire(withValue(baseInput(c.operation), c.at, c.value));

      const response = await signedCall(emulator, target(c.operation), body);

      expect(response.status).toBe(400);
      expect(response.json.__type).toBe('com.amazon.coral.service#SerializationException');
    });
  });
});
