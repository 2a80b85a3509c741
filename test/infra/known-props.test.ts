import { App, Duration, Stack } from 'aws-cdk-lib';
import type * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import { ActionCategory } from 'aws-cdk-lib/aws-codepipeline';
import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  CustomActionJobWorker,
  type CustomActionJobWorkerProps,
} from '../../lib/custom-action-job-worker.js';
import {
  CONFIGURATION_PROPERTY_FIELDS,
  type PropTable,
  unknownPropProblems,
  WORKER_PROP_NAMES,
} from '../../lib/known-props.js';
import { SAMPLE_ENTRY } from './synth.js';

const MINIMAL: CustomActionJobWorkerProps = {
  category: ActionCategory.TEST,
  provider: 'BakeTimeGate',
  entry: SAMPLE_ENTRY,
};

/** Props as an app run by tsx (or JavaScript) may pass them: not held to the interface. */
const untyped = (props: Record<string, unknown>) =>
  ({ ...MINIMAL, ...props }) as unknown as CustomActionJobWorkerProps;

// Construction only (no synth), and no bundling: the errors come before any asset work.
const errors = (props: CustomActionJobWorkerProps) => {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
  const worker = new CustomActionJobWorker(stack, 'W', props);
  return worker.node.metadata.filter((m) => m.type === 'aws:cdk:error').map((m) => String(m.data));
};

describe('CustomActionJobWorker with a prop it does not know', () => {
  it.each([
    ['maxInputArtfacts', 2, 'maxInputArtifacts'],
    ['batchSiz', 5, 'batchSize'],
    ['timout', Duration.minutes(2), 'timeout'],
    ['BatchSize', 5, 'batchSize'],
    ['alarmEmial', 'ops@example.com', 'alarmEmail'],
    ['reportConcurency', 4, 'reportConcurrency'],
  ])('fails synth with one line naming %s and the prop it likely meant', (typo, value, meant) => {
    expect(errors(untyped({ [typo]: value }))).toEqual([
      `${typo} is not a prop of CustomActionJobWorker (did you mean '${meant}'?)`,
    ]);
  });

  it('names a prop with no close match and suggests nothing', () => {
    expect(errors(untyped({ vpc: {}, functionName: 'worker' }))).toEqual([
      'vpc is not a prop of CustomActionJobWorker',
      'functionName is not a prop of CustomActionJobWorker',
    ]);
  });

  it('reports a misspelt prop even when its value is undefined', () => {
    expect(errors(untyped({ memorySze: undefined }))).toEqual([
      "memorySze is not a prop of CustomActionJobWorker (did you mean 'memorySize'?)",
    ]);
  });

  it('fails synth for a misspelt field of a configuration property, naming the property', () => {
    const found = errors(
      untyped({
        configurationProperties: [
          { name: 'Project', required: true, key: true },
          { name: 'Token', required: false, secrt: true },
        ],
      }),
    );

    expect(found).toEqual([
      "configurationProperties entry 'Token' has no field 'secrt' (did you mean 'secret'?)",
    ]);
  });

  it('names a configuration property without a name by its place', () => {
    const problems = unknownPropProblems(
      untyped({ configurationProperties: [{ nam: 'Project', required: true }] }),
    );

    expect(problems).toEqual([
      {
        setting: 'configurationProperties',
        problem: "entry number 1 has no field 'nam' (did you mean 'name'?)",
      },
    ]);
  });

  it('reports unknown props together with every bad value, each on one line', () => {
    const found = errors(
      untyped({ batchSiz: 5, timout: Duration.minutes(2), concurrency: 101, provider: 'A B' }),
    );

    expect(found.map((line) => line.split(' ')[0]).sort()).toEqual(
      ['batchSiz', 'concurrency', 'provider', 'timout'].sort(),
    );
    for (const line of found) expect(line).not.toContain('\n');
  });

  it('leaves the shapes of aws-cdk-lib to aws-cdk-lib: bundling options are not checked', () => {
    const bundling = { minify: true, someFutureOption: 1 } as unknown;

    expect(
      errors({ ...MINIMAL, bundling: bundling as CustomActionJobWorkerProps['bundling'] }),
    ).toEqual([]);
  });
});

describe('the known props', () => {
  it('accepts every prop of the interface', () => {
    const everyProp = Object.fromEntries(
      Object.keys(WORKER_PROP_NAMES).map((name) => [name, undefined]),
    );

    expect(unknownPropProblems(untyped({ ...everyProp, ...MINIMAL }))).toEqual([]);
  });

  it('accepts every field of a configuration property', () => {
    const property = Object.fromEntries(
      Object.keys(CONFIGURATION_PROPERTY_FIELDS).map((field) => [field, undefined]),
    );

    expect(unknownPropProblems(untyped({ configurationProperties: [property] }))).toEqual([]);
  });

  it('are exactly the keys of the interfaces, to the compiler', () => {
    expectTypeOf<keyof typeof WORKER_PROP_NAMES>().toEqualTypeOf<
      keyof CustomActionJobWorkerProps
    >();
    expectTypeOf<keyof typeof CONFIGURATION_PROPERTY_FIELDS>().toEqualTypeOf<
      keyof codepipeline.CustomActionProperty
    >();
  });

  it('is a table the compiler refuses with a prop missing or one too many', () => {
    interface Two {
      readonly a: number;
      readonly b?: string;
    }
    // @ts-expect-error: 'b' (optional) is missing
    const missing = { a: true } as const satisfies PropTable<Two>;
    // @ts-expect-error: 'c' is no key of Two
    const extra = { a: true, b: true, c: true } as const satisfies PropTable<Two>;

    expect([missing, extra]).toHaveLength(2);
  });
});
