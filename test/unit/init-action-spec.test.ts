import type { CustomActionProperty } from 'aws-cdk-lib/aws-codepipeline';
import { describe, expect, it } from 'vitest';
import { actionTypeProblems } from '../../lib/action-type.js';
import {
  type ActionAnswers,
  type ActionSpec,
  actionSpec,
  InitRefusedError,
  projectNameFrom,
  providerFromName,
} from '../../local/init/action-spec.js';

const DEFAULTS = { projectName: 'my-scan', provider: 'MyScan', packageSpec: '^0.2.0' };

/** The problems the construct finds in the action type `spec` declares. */
function constructProblems(spec: ActionSpec): string[] {
  const properties: CustomActionProperty[] = spec.properties.map((p) => ({ ...p }));
  return actionTypeProblems(
    {
      owner: 'Custom',
      category: spec.category as never,
      provider: spec.provider,
      version: spec.version,
    },
    properties,
    {
      minInputs: spec.inputs.min,
      maxInputs: spec.inputs.max,
      minOutputs: spec.outputs.min,
      maxOutputs: spec.outputs.max,
    },
  ).map((p) => `${p.setting} ${p.problem}`);
}

/** The refusal of `answers`, or a failure if they are accepted. */
function refusal(answers: ActionAnswers): InitRefusedError {
  try {
    actionSpec(answers, DEFAULTS);
  } catch (error) {
    if (error instanceof InitRefusedError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(answers)}`);
}

describe('actionSpec', () => {
  it('takes the defaults for what the answers leave out', () => {
    const spec = actionSpec({}, DEFAULTS);

    expect(spec).toEqual({
      projectName: 'my-scan',
      category: 'Test',
      provider: 'MyScan',
      version: '1',
      properties: [{ name: 'Target', required: true, secret: false }],
      inputs: { min: 0, max: 1 },
      outputs: { min: 0, max: 1 },
      packageSpec: '^0.2.0',
    });
  });

  it('reads properties with their flags, counts as N or MIN-MAX, and the limits themselves', () => {
    const spec = actionSpec(
      {
        category: 'Deploy',
        provider: 'A'.repeat(35),
        version: 'v_1-beta2',
        properties: ['Target:required', 'ApiToken:secret:required', 'Notes', 'X'.repeat(50)],
        inputs: '5',
        outputs: '0-5',
        packageSpec: 'file:/tmp/pkg.tgz',
      },
      DEFAULTS,
    );

    expect(spec.properties).toEqual([
      { name: 'Target', required: true, secret: false },
      { name: 'ApiToken', required: true, secret: true },
      { name: 'Notes', required: false, secret: false },
      { name: 'X'.repeat(50), required: false, secret: false },
    ]);
    expect(spec.inputs).toEqual({ min: 5, max: 5 });
    expect(spec.outputs).toEqual({ min: 0, max: 5 });
    expect(constructProblems(spec)).toEqual([]);
  });

  it.each<[string, ActionAnswers, string]>([
    ['an unknown category', { category: 'Testing' }, '--category must be one of Source, Build'],
    ['a category in the wrong case', { category: 'test' }, '--category must be one of'],
    ['a provider with a space', { provider: 'My Scan' }, '--provider must be 1-35 characters'],
    ['a provider of 36 characters', { provider: 'A'.repeat(36) }, '--provider must be 1-35'],
    ['an empty provider', { provider: '' }, '--provider must be 1-35'],
    ['a version with a dot', { version: '1.0' }, '--version must be 1-9 characters'],
    ['a version of 10 characters', { version: '1234567890' }, '--version must be 1-9'],
    ['a property name with a comma', { properties: ['A,B'] }, 'property name must be 1-50'],
    ['a property name with a space', { properties: ['A B'] }, 'property name must be 1-50'],
    ['a property name of 51 characters', { properties: ['P'.repeat(51)] }, 'must be 1-50'],
    ['a property without a name', { properties: [':required'] }, 'property name must be 1-50'],
    ['a misspelt property flag', { properties: ['A:requird'] }, 'unknown flag "requird"'],
    ['a property given twice', { properties: ['A', 'A:required'] }, "property 'A' is given twice"],
    [
      '11 properties',
      { properties: Array.from({ length: 11 }, (_, i) => `P${i}`) },
      'at most 10 configuration properties (got 11)',
    ],
    ['__proto__', { properties: ['__proto__'] }, '"__proto__" is reserved'],
    ['6 inputs', { inputs: '6' }, '--inputs must be N or MIN-MAX, each from 0 to 5'],
    ['inputs min over max', { inputs: '2-1' }, '--inputs: MIN must not exceed MAX (got 2-1)'],
    ['outputs that are not a number', { outputs: 'one' }, '--outputs must be N or MIN-MAX'],
    ['a negative count', { outputs: '-1' }, '--outputs must be N or MIN-MAX'],
    ['an empty package spec', { packageSpec: ' ' }, '--package must not be empty'],
  ])('refuses %s, naming the problem', (_, answers, message) => {
    const error = refusal(answers);

    expect(error.message).toContain(message);
    expect(error.message).not.toContain('\n');
  });

  it('names every problem at once, in one line', () => {
    const error = refusal({ category: 'Nope', provider: 'a b', version: '1.0', inputs: '9' });

    expect(error.problems).toHaveLength(4);
    expect(error.message).toBe(error.problems.join('; '));
  });

  // What init refuses, the construct refuses at synth: init never writes an app that cannot synth.
  it.each<[string, Partial<ActionSpec>]>([
    ['provider', { provider: 'My Scan' }],
    ['version', { version: '1.0' }],
    ['category', { category: 'Testing' as never }],
    ['artifact count', { inputs: { min: 0, max: 6 } }],
    ['artifact range', { outputs: { min: 2, max: 1 } }],
    [
      'property count',
      {
        properties: Array.from({ length: 11 }, (_, i) => ({
          name: `P${i}`,
          required: false,
          secret: false,
        })),
      },
    ],
    ['secret property name', { properties: [{ name: 'A,B', required: true, secret: true }] }],
    [
      'property name length',
      { properties: [{ name: 'P'.repeat(51), required: true, secret: false }] },
    ],
  ])('agrees with the construct on a refused %s', (_, change) => {
    const spec = { ...actionSpec({}, DEFAULTS), ...change };

    expect(constructProblems(spec)).not.toEqual([]);
  });
});

describe('providerFromName', () => {
  it.each([
    ['my-scan', 'MyScan'],
    ['security_scan_v2', 'SecurityScanV2'],
    ['.', 'MyAction'],
    ['---', 'MyAction'],
    ['x'.repeat(40), `X${'x'.repeat(34)}`],
  ])('makes %s into %s, a provider CodePipeline accepts', (name, provider) => {
    expect(providerFromName(name)).toBe(provider);
    expect(actionSpec({}, { ...DEFAULTS, provider: providerFromName(name) }).provider).toBe(
      provider,
    );
  });
});

describe('projectNameFrom', () => {
  it.each([
    ['My Scan!', 'my-scan'],
    ['my-scan', 'my-scan'],
    ['_hidden', 'hidden'],
    ['', 'my-action'],
  ])('makes %s into the npm name %s', (name, projectName) => {
    expect(projectNameFrom(name)).toBe(projectName);
  });
});
