import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_STACK_NAME, readWorkerContext } from '../../lib/worker-context.js';
import { cdkJsonContext } from './synth.js';

const read = (context: Record<string, unknown>) => readWorkerContext(new App({ context }).node);
const withDefaults = (overrides: Record<string, unknown>) =>
  read({ ...cdkJsonContext(), ...overrides });

describe('readWorkerContext', () => {
  it('turns the cdk.json defaults into the BakeTimeGate worker', () => {
    const { stackName, worker } = read(cdkJsonContext());
    expect(stackName).toBe(DEFAULT_STACK_NAME);
    expect(worker).toMatchObject({
      category: 'Test',
      provider: 'BakeTimeGate',
      version: '1',
      minInputArtifacts: 0,
      maxInputArtifacts: 1,
      minOutputArtifacts: 0,
      maxOutputArtifacts: 0,
      jobProcessor: 'bake-time-gate',
      batchSize: 10,
      concurrency: 10,
      reservedConcurrentExecutions: 5,
      memorySize: 512,
      removalPolicy: RemovalPolicy.RETAIN,
      alarmEmail: undefined,
    });
    expect(worker.scheduleRate?.toMinutes()).toBe(1);
    expect(worker.timeout?.toSeconds()).toBe(60);
    expect(worker.configurationProperties).toEqual([
      expect.objectContaining({
        name: 'BakeTimeSeconds',
        required: true,
        secret: false,
        type: 'Number',
        description: 'Seconds to wait before the action succeeds',
      }),
      expect.objectContaining({
        name: 'Environment',
        required: false,
        secret: false,
        queryable: false,
      }),
      expect.objectContaining({ name: 'NotifyToken', required: false, secret: true }),
    ]);
  });

  it('parses -c overrides, which arrive as strings', () => {
    const { stackName, worker } = withDefaults({
      stackName: 'GateWorker',
      actionVersion: 2,
      batchSize: '25',
      concurrency: ' 4 ',
      scheduleRateMinutes: '5',
      timeoutSeconds: '120',
      deadlineMarginMs: '30000',
      maxEventAgeMinutes: '30',
      logRetentionDays: '90',
      logLevel: 'DEBUG',
      removalPolicy: 'destroy',
      alarmEmail: 'oncall@example.com',
      configurationProperties:
        '[{"name":"Window","required":true,"queryable":true,"description":"Change window"}]',
    });
    expect(stackName).toBe('GateWorker');
    expect(worker).toMatchObject({
      version: '2',
      batchSize: 25,
      concurrency: 4,
      logLevel: 'DEBUG',
      logRetention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
      alarmEmail: 'oncall@example.com',
      configurationProperties: [
        { name: 'Window', required: true, queryable: true, description: 'Change window' },
      ],
    });
    expect(worker.scheduleRate?.toMinutes()).toBe(5);
    expect(worker.timeout?.toSeconds()).toBe(120);
    expect(worker.deadlineMargin?.toMilliseconds()).toBe(30_000);
    expect(worker.maxEventAge).toEqual(Duration.minutes(30));
  });

  it.each([['none'], [false]])(
    'leaves concurrency unreserved with reservedConcurrency=%s',
    (value) => {
      const { worker } = withDefaults({ reservedConcurrency: value });
      expect(worker.reserveConcurrency).toBe(false);
      expect(worker.reservedConcurrentExecutions).toBeUndefined();
    },
  );

  it('treats an empty alarmEmail as unset', () => {
    expect(withDefaults({ alarmEmail: '' }).worker.alarmEmail).toBeUndefined();
  });

  it.each<[string, Record<string, unknown>, RegExp]>([
    ['a missing provider', { actionProvider: undefined }, /'actionProvider' is required/],
    ['a batch size that is not a number', { batchSize: 'ten' }, /'batchSize' must be a number/],
    [
      'an unknown removal policy',
      { removalPolicy: 'snapshot' },
      /'removalPolicy' must be one of retain, destroy/,
    ],
    ['an unknown log level', { logLevel: 'TRACE' }, /'logLevel'/],
    ['a retention CloudWatch does not offer', { logRetentionDays: '31' }, /'logRetentionDays'/],
    ['properties that are not JSON', { configurationProperties: '[{name:' }, /JSON array/],
    [
      'a property without required',
      { configurationProperties: [{ name: 'A' }] },
      /boolean 'required'/,
    ],
    [
      'a property with an unknown key',
      { configurationProperties: [{ name: 'A', required: true, hidden: true }] },
      /unknown keys: hidden/,
    ],
    [
      'a non-boolean flag',
      { configurationProperties: [{ name: 'A', required: true, secret: 'yes' }] },
      /secret' must be a boolean/,
    ],
  ])('names the key for %s', (_, overrides, message) => {
    expect(() => withDefaults(overrides)).toThrow(message);
  });
});
