import { App, Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { PRESET_KEYS, SAMPLE_PRESETS } from '../../samples/presets.js';
import { ARTIFACT_POLICY_PROPERTIES } from '../../samples/processors/artifact-policy-config.js';
import {
  DEFAULT_STACK_NAME,
  readWorkerContext,
  SAMPLE_PROCESSORS,
} from '../../samples/worker-context.js';
import { cdkJsonContext } from './synth.js';

const read = (context: Record<string, unknown>) => readWorkerContext(new App({ context }).node);
const withDefaults = (overrides: Record<string, unknown>) =>
  read({ ...cdkJsonContext(), ...overrides });
/** As bin/app.ts reads it: cdk.json's context, `-c` values over it, cdk.json told apart. */
const asTheApp = (overrides: Record<string, unknown>) =>
  readWorkerContext(new App({ context: { ...cdkJsonContext(), ...overrides } }).node, {
    cdkJson: cdkJsonContext(),
  });

describe('readWorkerContext', () => {
  it('turns the cdk.json defaults into the BakeTimeGate worker', () => {
    const { stackName, worker, problems } = read(cdkJsonContext());
    expect(problems).toEqual([]);
    expect(stackName).toBe(DEFAULT_STACK_NAME);
    expect(worker).toMatchObject({
      category: 'Test',
      provider: 'BakeTimeGate',
      version: '1',
      minInputArtifacts: 0,
      maxInputArtifacts: 1,
      minOutputArtifacts: 0,
      maxOutputArtifacts: 0,
      entry: SAMPLE_PROCESSORS['bake-time-gate'],
      batchSize: 10,
      concurrency: 10,
      reserveConcurrency: false,
      reservedConcurrentExecutions: undefined,
      dashboard: false,
      ledgerEncryption: 'customer-managed',
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
    const { stackName, worker, problems } = withDefaults({
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
      queryParam: '{"Window":"weekend"}',
      reservedConcurrency: '8',
      dashboard: 'true',
      ledgerEncryption: 'aws-owned',
      maxContinuations: '20',
      maxContinuationMinutes: '90',
      errorAlarmThreshold: '5',
    });
    expect(problems).toEqual([]);
    expect(stackName).toBe('GateWorker');
    expect(worker).toMatchObject({
      version: '2',
      batchSize: 25,
      concurrency: 4,
      logLevel: 'DEBUG',
      logRetention: logs.RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
      alarmEmail: 'oncall@example.com',
      queryParam: { Window: 'weekend' },
      reservedConcurrentExecutions: 8,
      dashboard: true,
      ledgerEncryption: 'aws-owned',
      maxContinuations: 20,
      errorAlarmThreshold: 5,
      configurationProperties: [
        { name: 'Window', required: true, queryable: true, description: 'Change window' },
      ],
    });
    expect(worker.scheduleRate?.toMinutes()).toBe(5);
    expect(worker.timeout?.toSeconds()).toBe(120);
    expect(worker.deadlineMargin?.toMilliseconds()).toBe(30_000);
    expect(worker.maxEventAge).toEqual(Duration.minutes(30));
    expect(worker.maxContinuationAge?.toMinutes()).toBe(90);
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
    [
      'a processor this app does not have',
      { jobProcessor: 'securty-scan' },
      /^CDK context 'jobProcessor' must be one of bake-time-gate/,
    ],
    [
      'a misspelt sample',
      { jobProcessor: 'artifact-polcy', actionProvider: 'BakeTimeGate' },
      /^CDK context 'jobProcessor' must be one of bake-time-gate, artifact-policy \(got "artifact-polcy"\)$/,
    ],
    [
      'a temporary storage Lambda does not offer',
      { ephemeralStorageMiB: '256' },
      /^CDK context 'ephemeralStorageMiB' must be a whole number of MiB from 512 to 10240 \(got 256 MiB\)$/,
    ],
    [
      'a timeout the function cannot have',
      { timeoutSeconds: '901' },
      /^CDK context 'timeoutSeconds' must be a whole number of seconds from 1 to 900/,
    ],
    [
      'a batch size the function refuses',
      { batchSize: '0' },
      /^CDK context 'batchSize' must be an integer from 1 to 100 \(got 0\)/,
    ],
    [
      'a deadline margin the function refuses',
      { deadlineMarginMs: '999' },
      /^CDK context 'deadlineMarginMs' must be a whole number of ms from 1000 to 600000/,
    ],
    [
      'a provider CodePipeline refuses',
      { actionProvider: 'Bake Time' },
      /^CDK context 'actionProvider' must be 1-35 characters/,
    ],
    [
      'two queryable properties',
      {
        configurationProperties: [
          { name: 'A', required: true, queryable: true },
          { name: 'B', required: true, queryable: true },
        ],
      },
      /^CDK context 'configurationProperties' may have at most one queryable property/,
    ],
    [
      'a queryable property without a queryParam',
      { configurationProperties: [{ name: 'Severity', required: true, queryable: true }] },
      /^CDK context 'queryParam' is required: configuration property 'Severity' is queryable/,
    ],
    [
      'a queryParam that is not JSON',
      {
        configurationProperties: [{ name: 'Severity', required: true, queryable: true }],
        queryParam: 'Severity=high',
      },
      /^CDK context 'queryParam' must be a JSON object such as/,
    ],
    [
      'a queryParam for an action type without a queryable property',
      { queryParam: '{"Severity":"high"}' },
      /^CDK context 'queryParam' must be unset/,
    ],
    [
      'a continuation age past the action timeout',
      { maxContinuationMinutes: '1441' },
      /^CDK context 'maxContinuationMinutes' must be a whole number of minutes from 1 to 1440/,
    ],
    ['a dashboard flag that is not a boolean', { dashboard: 'yes' }, /'dashboard' must be true/],
    [
      'an unknown ledger encryption',
      { ledgerEncryption: 'none' },
      /^CDK context 'ledgerEncryption' must be one of customer-managed, aws-owned/,
    ],
    [
      'a namespace CloudWatch reserves',
      { metricsNamespace: 'AWS/Lambda' },
      /^CDK context 'metricsNamespace' .*AWS\//,
    ],
  ])('names the key for %s, on one line', (_, overrides, message) => {
    const { problems } = withDefaults(overrides);

    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
    expect(problems[0]).not.toContain('\n');
  });

  it("fills a key left unset from the processor's preset", () => {
    const { worker, problems } = withDefaults({ actionProvider: undefined, actionCategory: '' });

    expect(problems).toEqual([]);
    expect(worker).toMatchObject({ category: 'Test', provider: 'BakeTimeGate' });
  });

  it('reads the temporary storage in MiB', () => {
    expect(withDefaults({ ephemeralStorageMiB: '2048' }).worker.ephemeralStorageSize).toEqual(
      Size.mebibytes(2048),
    );
    expect(withDefaults({}).worker.ephemeralStorageSize).toBeUndefined();
  });

  it('reports every unusable value at once', () => {
    const { problems } = asTheApp({
      batchSize: 'ten',
      concurrency: '0',
      jobProcessor: 'nope',
      logLevel: 'TRACE',
      timeoutSeconds: '25',
    });

    expect(problems.map((line) => /'([^']+)'/.exec(line)?.[1]).sort()).toEqual(
      ['batchSize', 'concurrency', 'jobProcessor', 'logLevel', 'timeoutSeconds'].sort(),
    );
  });
});

describe('sample presets (-c jobProcessor=...)', () => {
  it("keeps cdk.json's bake-time gate, whose action type is the bake-time gate preset", () => {
    const cdkJson = cdkJsonContext();
    const preset = SAMPLE_PRESETS['bake-time-gate']?.context ?? {};

    for (const key of PRESET_KEYS) {
      if (key in cdkJson) expect(cdkJson[key], key).toEqual(preset[key as keyof typeof preset]);
    }
    expect(asTheApp({})).toEqual(read(cdkJsonContext()));
  });

  it('deploys the artifact policy with its own action type, stack and service', () => {
    const { stackName, worker, problems } = asTheApp({ jobProcessor: 'artifact-policy' });

    expect(problems).toEqual([]);
    expect(stackName).toBe('ArtifactPolicyWorker');
    expect(worker).toMatchObject({
      category: 'Test',
      provider: 'ArtifactPolicy',
      version: '1',
      serviceName: 'artifact-policy-worker',
      entry: SAMPLE_PROCESSORS['artifact-policy'],
      minInputArtifacts: 1,
      maxInputArtifacts: 1,
      minOutputArtifacts: 0,
      maxOutputArtifacts: 1,
    });
    expect(worker.configurationProperties).toEqual(ARTIFACT_POLICY_PROPERTIES);
  });

  it('keeps the -c values that differ from cdk.json over the preset', () => {
    const { stackName, worker } = asTheApp({
      jobProcessor: 'artifact-policy',
      actionVersion: '2',
      stackName: 'PolicyCheck',
      maxOutputArtifacts: '0',
      batchSize: '3',
    });

    expect(stackName).toBe('PolicyCheck');
    expect(worker).toMatchObject({
      provider: 'ArtifactPolicy',
      version: '2',
      maxOutputArtifacts: 0,
      batchSize: 3,
    });
  });

  it('names a context key that is no setting of the app, suggesting the one it was meant to be', () => {
    const { problems } = withDefaults({ batchSiz: '5', pipelineName: 'shop' });

    expect(problems).toEqual([
      "CDK context 'batchSiz' is not a setting of this app (did you mean 'batchSize'?)",
      "CDK context 'pipelineName' is not a setting of this app",
    ]);
  });

  it("leaves the CDK's own keys alone: feature flags and the CLI's", () => {
    const { problems } = withDefaults({
      '@aws-cdk/core:newStyleStackSynthesis': true,
      'aws:cdk:bundling-stacks': [],
      'cli-telemetry': false,
    });

    expect(problems).toEqual([]);
  });
});
