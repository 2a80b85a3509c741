/**
 * Synth and runtime agree: for every setting of the contract, the construct (and the CDK
 * app's context key) accepts exactly the values the function's configuration accepts, and the
 * value it accepts reaches the function as the function reads it. The integer settings are
 * enumerated from the contract, so a new one is covered as soon as it exists.
 */
import { App, Stack } from 'aws-cdk-lib';
import { ActionCategory } from 'aws-cdk-lib/aws-codepipeline';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { loadConfig, WorkerConfigError } from '../../lambda/config.js';
import {
  INTEGER_SETTINGS,
  type IntegerSettingName,
  LEDGER_TABLE_ENV,
  QUERY_PARAM_ENV,
} from '../../lambda/contract.js';
import {
  CustomActionJobWorker,
  type CustomActionJobWorkerProps,
} from '../../lib/custom-action-job-worker.js';
import { propValue, toDuration } from '../../lib/worker-settings.js';
import { CONTRACT_CONTEXT_KEYS, readWorkerContext } from '../../samples/worker-context.js';
import { cdkJsonContext, SAMPLE_ENTRY } from './synth.js';

// A timeout long enough that no rule between settings refuses any value of one setting.
const BASE: CustomActionJobWorkerProps = {
  category: ActionCategory.TEST,
  provider: 'Agreement',
  entry: SAMPLE_ENTRY,
  timeout: toDuration('s', 900),
};

/** The worker built from `props`: its synth errors and the environment its function gets. */
function build(props: Partial<CustomActionJobWorkerProps>) {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
  const worker = new CustomActionJobWorker(stack, 'W', { ...BASE, ...props });
  const errors = worker.node.metadata
    .filter((m) => m.type === 'aws:cdk:error')
    .map((m) => String(m.data));
  const cfn = worker.workerFunction.node.defaultChild as lambda.CfnFunction;
  const resolved = stack.resolve(cfn.environment) as { variables: Record<string, unknown> };
  const env = Object.fromEntries(
    Object.entries(resolved.variables).map(([name, value]) => [
      name,
      typeof value === 'string' ? value : 'resolved-at-deploy',
    ]),
  );
  const variables: Record<string, string> = { ...env, [LEDGER_TABLE_ENV]: 'ledger-table' };
  return { errors, env: variables };
}

/** Whether the function's configuration accepts `value` for `variable`. */
function runtimeAccepts(variable: string, value: string): boolean {
  const env = {
    ACTION_CATEGORY: 'Test',
    ACTION_PROVIDER: 'Agreement',
    ACTION_VERSION: '1',
    [LEDGER_TABLE_ENV]: 'ledger-table',
    [variable]: value,
  };
  try {
    loadConfig(env);
    return true;
  } catch (error) {
    if (!(error instanceof WorkerConfigError)) throw error;
    expect(error.variables).toEqual([variable]);
    return false;
  }
}

/** Whether the CDK app accepts `value` for context key `key`, given as `-c key=value`. */
function contextAccepts(key: string, value: string): boolean {
  const { problems } = readWorkerContext(
    new App({ context: { ...cdkJsonContext(), timeoutSeconds: '900', [key]: value } }).node,
  );
  const own = problems.filter((line) => line.startsWith(`CDK context '${key}'`));
  expect(problems).toEqual(own);
  return own.length === 0;
}

/** Values on and around every bound, and a fraction, in the setting's unit. */
function candidates(name: IntegerSettingName): number[] {
  const { min, max, default: fallback } = INTEGER_SETTINGS[name];
  return [min - 1, min, min + 0.5, fallback, max, max + 1];
}

const names = Object.keys(INTEGER_SETTINGS) as IntegerSettingName[];

// Each setting's prop is named after it (lib/ does not compile otherwise).
describe('every integer setting of the contract', () => {
  describe.each(names)('%s', (name) => {
    const setting = INTEGER_SETTINGS[name];
    const prop = name;
    const key = CONTRACT_CONTEXT_KEYS[name];

    it.each(candidates(name))(
      `is accepted by the construct, the context and the function alike: %d ${setting.unit}`,
      (value) => {
        const runtime = runtimeAccepts(setting.variable, String(value));
        // A Duration cannot be negative, so no prop can carry a negative time; the context can.
        if (setting.unit === 'count' || value >= 0) {
          const { errors, env } = build({ [prop]: propValue(setting.unit, value) });
          const constructAccepts = !errors.some((line) => line.startsWith(`${prop} `));
          expect(errors.filter((line) => !line.startsWith(`${prop} `))).toEqual([]);
          expect(constructAccepts, `construct vs function for ${value}`).toBe(runtime);
          if (runtime) {
            // What synth accepted reaches the function unchanged, and the function takes it.
            expect(env[setting.variable]).toBe(String(value));
            expect(() => loadConfig(env)).not.toThrow();
          }
        }
        expect(contextAccepts(key, String(value)), `context vs function for ${value}`).toBe(
          runtime,
        );
      },
    );
  });
});

describe(`${QUERY_PARAM_ENV} (the queryable property's value)`, () => {
  const queryable = [{ name: 'Severity', required: true, queryable: true }];

  it.each([
    'h',
    'high',
    'prod-eu_1',
    'x'.repeat(20),
    'x'.repeat(21),
    'x'.repeat(50),
    '',
    'v1.2',
    'with space',
    'émoi',
  ])('is accepted by the construct, the context and the function alike: %j', (value) => {
    const { errors, env } = build({
      configurationProperties: queryable,
      queryParam: { Severity: value },
    });
    const constructAccepts = !errors.some((line) => line.startsWith('queryParam '));

    const runtime = runtimeAccepts(QUERY_PARAM_ENV, JSON.stringify({ Severity: value }));
    expect(constructAccepts).toBe(runtime);
    const { problems } = readWorkerContext(
      new App({
        context: {
          ...cdkJsonContext(),
          configurationProperties: JSON.stringify(queryable),
          queryParam: JSON.stringify({ Severity: value }),
        },
      }).node,
    );
    expect(problems.length === 0).toBe(runtime);
    if (runtime) {
      expect(loadConfig(env).queryParam).toEqual({ Severity: value });
    }
  });
});
