import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { ActionCategory } from 'aws-cdk-lib/aws-codepipeline';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMITTED_METRICS } from '../../lambda/contract.js';
import { eventVersionValues } from '../../lib/action-type.js';
import {
  CustomActionJobWorker,
  type CustomActionJobWorkerProps,
} from '../../lib/custom-action-job-worker.js';
import { createTestApp, SAMPLE_ENTRY, type TestApp } from './synth.js';

const MINIMAL: CustomActionJobWorkerProps = {
  category: ActionCategory.TEST,
  provider: 'BakeTimeGate',
  entry: SAMPLE_ENTRY,
};

// Both variant stacks live in one App, synthesized once for the whole file.
let testApp: TestApp;
let variant: Template;
let byoTopic: Template;
let shared: Template;
let twoValues: Template;
let report: { pluginReports: readonly unknown[] };

beforeAll(() => {
  testApp = createTestApp({ cfnValidation: false });
  const variantStack = new Stack(testApp.app, 'Variant');
  new CustomActionJobWorker(variantStack, 'Worker', {
    category: ActionCategory.DEPLOY,
    provider: 'Release_Gate-2',
    entry: SAMPLE_ENTRY,
    version: 'beta',
    configurationProperties: [
      { name: 'Stage', required: true, queryable: true, description: 'Polled stage' },
      { name: 'ApiKey', required: true, secret: true },
      { name: 'Token', required: false, secret: true },
    ],
    queryParam: { Stage: 'prod-eu_1' },
    dashboard: true,
    ledgerEncryption: 'aws-owned',
    maxContinuations: 50,
    maxContinuationAge: Duration.hours(2),
    cancelCheck: Duration.seconds(30),
    reportConcurrency: 4,
    minInputArtifacts: 1,
    maxInputArtifacts: 5,
    minOutputArtifacts: 0,
    maxOutputArtifacts: 2,
    reserveConcurrency: false,
    removalPolicy: RemovalPolicy.DESTROY,
    scheduleRate: Duration.minutes(10),
    missedPollPeriods: 2,
    timeout: Duration.minutes(5),
    memorySize: 1024,
    ephemeralStorageSize: Size.gibibytes(2),
    batchSize: 25,
    logLevel: 'DEBUG',
  });
  const topicStack = new Stack(testApp.app, 'ExistingTopic');
  new CustomActionJobWorker(topicStack, 'Worker', {
    ...MINIMAL,
    alarmTopic: sns.Topic.fromTopicArn(
      topicStack,
      'Topic',
      'arn:aws:sns:eu-west-1:111122223333:ops-alarms',
    ),
  });
  const sharedStack = new Stack(testApp.app, 'SharedDashboard');
  const dashboard = new cloudwatch.Dashboard(sharedStack, 'Workers');
  for (const provider of ['GateA', 'GateB']) {
    new CustomActionJobWorker(sharedStack, provider, {
      ...MINIMAL,
      provider,
      serviceName: provider.toLowerCase(),
      dashboard,
    });
  }
  const valuesStack = new Stack(testApp.app, 'TwoValues');
  const severity = [{ name: 'Severity', required: true, queryable: true }];
  const high = new CustomActionJobWorker(valuesStack, 'High', {
    ...MINIMAL,
    provider: 'Scan',
    serviceName: 'scan-high',
    configurationProperties: severity,
    queryParam: { Severity: 'high' },
  });
  new CustomActionJobWorker(valuesStack, 'Low', {
    ...MINIMAL,
    provider: 'Scan',
    serviceName: 'scan-low',
    queryParam: { Severity: 'low' },
    registeredBy: high,
  });
  report = testApp.synth();
  shared = Template.fromStack(sharedStack);
  twoValues = Template.fromStack(valuesStack);
  variant = Template.fromStack(variantStack);
  byoTopic = Template.fromStack(topicStack);
});

afterAll(() => testApp.cleanup());

describe('CustomActionJobWorker with non-default props', () => {
  it('declares the properties with every flag spelled out and the chosen artifact bounds', () => {
    variant.hasResourceProperties('AWS::CodePipeline::CustomActionType', {
      Category: 'Deploy',
      Provider: 'Release_Gate-2',
      Version: 'beta',
      ConfigurationProperties: [
        {
          Name: 'Stage',
          Required: true,
          Queryable: true,
          Key: false,
          Secret: false,
          Type: 'String',
          Description: 'Polled stage',
        },
        {
          Name: 'ApiKey',
          Required: true,
          Queryable: false,
          Key: false,
          Secret: true,
          Type: 'String',
        },
        {
          Name: 'Token',
          Required: false,
          Queryable: false,
          Key: false,
          Secret: true,
          Type: 'String',
        },
      ],
      InputArtifactDetails: { MinimumCount: 1, MaximumCount: 5 },
      OutputArtifactDetails: { MinimumCount: 0, MaximumCount: 2 },
    });
  });

  it('passes every secret property name to the worker', () => {
    variant.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          SECRET_CONFIGURATION_KEYS: 'ApiKey,Token',
          ACTION_CATEGORY: 'Deploy',
          ACTION_VERSION: 'beta',
          BATCH_SIZE: '25',
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          QUERY_PARAM: '{"Stage":"prod-eu_1"}',
          MAX_CONTINUATIONS: '50',
          MAX_CONTINUATION_MINUTES: '120',
          CANCEL_CHECK_SECONDS: '30',
        }),
      },
      MemorySize: 1024,
      Timeout: 300,
    });
  });

  it('gives the function the temporary storage asked for', () => {
    variant.hasResourceProperties('AWS::Lambda::Function', { EphemeralStorage: { Size: 2048 } });
  });

  it('tells the function its temporary storage, which the artifact limits are sized from', () => {
    variant.hasResourceProperties('AWS::Lambda::Function', {
      EphemeralStorage: { Size: 2048 },
      Environment: { Variables: Match.objectLike({ EPHEMERAL_STORAGE_MIB: '2048' }) },
    });
    byoTopic.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EPHEMERAL_STORAGE_MIB: '512' }) },
    });
  });

  it('tells the function how many reports it may send at once, 20 unless set', () => {
    variant.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REPORT_CONCURRENCY: '4' }) },
    });
    byoTopic.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ REPORT_CONCURRENCY: '20' }) },
    });
  });

  it('matches a non-numeric version only as a string', () => {
    variant.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        detail: { state: ['STARTED'], type: Match.objectLike({ version: ['beta'] }) },
      }),
    });
  });

  it('leaves concurrency unreserved when asked', () => {
    variant.hasResourceProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
  });

  it("encrypts the ledger with DynamoDB's own key when asked: no key, no KMS permission", () => {
    variant.resourceCountIs('AWS::KMS::Key', 0);
    // SSEEnabled false is DynamoDB's own encryption at rest, under a key AWS owns.
    variant.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: false },
    });
    expect(JSON.stringify(variant.findResources('AWS::DynamoDB::Table'))).not.toContain('KMS');
    const policies = JSON.stringify(variant.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain('kms:');
  });

  it('charts every metric the worker emits on its own dashboard when asked', () => {
    const [dashboard] = Object.values(variant.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    for (const metric of [...EMITTED_METRICS, 'Invocations', 'Errors', 'Throttles', 'Duration']) {
      expect(body, metric).toContain(`\\"${metric}\\"`);
    }
    expect(body).toContain('ApproximateNumberOfMessagesVisible');
    expect(body).toContain('{\\"value\\":300000,\\"label\\":\\"Timeout\\"');
  });

  it('puts several workers on one shared dashboard', () => {
    shared.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [dashboard] = Object.values(shared.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties?.DashboardBody);
    expect(body).toContain('\\"service\\",\\"gatea\\"');
    expect(body).toContain('\\"service\\",\\"gateb\\"');
  });

  it('deletes the ledger, its key and the logs with the stack under DESTROY', () => {
    variant.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
    variant.hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  it('uses the schedule rate as the poll alarm period when it is longer than 5 minutes', () => {
    variant.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(10 minutes)' });
    variant.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'PollsSucceeded',
      Period: 600,
      EvaluationPeriods: 2,
    });
    variant.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Duration',
      Threshold: 270_000,
    });
  });

  it('creates no topic and no alarm actions without an alarm e-mail', () => {
    variant.resourceCountIs('AWS::SNS::Topic', 0);
    variant.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
  });

  it('sends alarms to an existing topic when given one', () => {
    byoTopic.resourceCountIs('AWS::SNS::Topic', 0);
    byoTopic.resourceCountIs('AWS::CloudWatch::Alarm', 12);
    byoTopic.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:ops-alarms'],
      OKActions: ['arn:aws:sns:eu-west-1:111122223333:ops-alarms'],
    });
  });

  it('passes cdk-nag in every variant', () => {
    expect(report.pluginReports).toEqual([]);
  });
});

describe('two workers of one action type, polling two values', () => {
  const functionOf = (service: string) =>
    Object.entries(twoValues.findResources('AWS::Lambda::Function')).find(
      ([, fn]) => fn.Properties?.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service,
    );

  it('registers the type once; each function polls its own value', () => {
    twoValues.resourceCountIs('AWS::CodePipeline::CustomActionType', 1);
    expect(functionOf('scan-high')?.[1].Properties.Environment.Variables.QUERY_PARAM).toBe(
      '{"Severity":"high"}',
    );
    expect(functionOf('scan-low')?.[1].Properties.Environment.Variables.QUERY_PARAM).toBe(
      '{"Severity":"low"}',
    );
  });

  it("searches both workers' log groups from the Details link", () => {
    const [actionType] = Object.values(
      twoValues.findResources('AWS::CodePipeline::CustomActionType'),
    );
    const url = JSON.stringify(actionType?.Properties.Settings.ExecutionUrlTemplate);
    const logGroups = Object.keys(twoValues.findResources('AWS::Logs::LogGroup'));
    expect(logGroups).toHaveLength(2);
    for (const logGroup of logGroups) expect(url).toContain(`{"Ref":"${logGroup}"}`);
  });

  it('starts every rule of both workers only once the type is registered', () => {
    const [registration] = Object.keys(
      twoValues.findResources('AWS::CodePipeline::CustomActionType'),
    );
    const rules = Object.values(twoValues.findResources('AWS::Events::Rule'));
    expect(rules).toHaveLength(6);
    for (const rule of rules) expect(rule.DependsOn).toContain(registration);
  });
});

describe('CustomActionJobWorker validation', () => {
  // Construction only (no synth), and no bundling: the errors come before any asset work.
  const stack = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
  /** The error annotations `cdk synth` would report, one string each. */
  const errorsOf = (worker: CustomActionJobWorker) =>
    worker.node.metadata.filter((m) => m.type === 'aws:cdk:error').map((m) => String(m.data));
  const errors = (props: Partial<CustomActionJobWorkerProps>) =>
    errorsOf(new CustomActionJobWorker(stack(), 'W', { ...MINIMAL, ...props }));
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `P${i}`, required: false }));

  it('reports a configuration property without a name (an app run without a type check) instead of crashing', () => {
    const unnamed = { nam: 'Token', required: true } as unknown as {
      name: string;
      required: boolean;
    };

    expect(errors({ configurationProperties: [...many(1), unnamed] })).toEqual([
      expect.stringMatching(/entry number 2 has no field 'nam' \(did you mean 'name'\?\)/),
      expect.stringMatching(/property number 2 needs a name \(a string of 1-50 characters\)/),
    ]);
  });

  it.each<[string, Partial<CustomActionJobWorkerProps>, RegExp]>([
    ['a provider with a space', { provider: 'Bake Time' }, /provider/],
    ['a provider of 36 characters', { provider: 'P'.repeat(36) }, /provider/],
    ['a version of 10 characters', { version: '1234567890' }, /version/],
    ['an unknown category', { category: 'Lint' as ActionCategory }, /category/],
    ['11 configuration properties', { configurationProperties: many(11) }, /at most 10/],
    [
      'two queryable properties',
      {
        configurationProperties: [
          { name: 'A', required: true, queryable: true },
          { name: 'B', required: true, queryable: true },
        ],
      },
      /at most one queryable/,
    ],
    [
      'a queryable secret',
      {
        configurationProperties: [{ name: 'A', required: true, queryable: true, secret: true }],
        queryParam: { A: 'x' },
      },
      /must be required and not secret/,
    ],
    [
      'a queryable optional property',
      {
        configurationProperties: [{ name: 'A', required: false, queryable: true }],
        queryParam: { A: 'x' },
      },
      /must be required and not secret/,
    ],
    [
      'a duplicate property',
      { configurationProperties: [...many(1), ...many(1)] },
      /declared twice/,
    ],
    [
      'a description of 161 characters',
      { configurationProperties: [{ name: 'A', required: false, description: 'd'.repeat(161) }] },
      /1-160/,
    ],
    [
      'an unknown property type',
      { configurationProperties: [{ name: 'A', required: false, type: 'Integer' }] },
      /type/,
    ],
    ['6 input artifacts', { maxInputArtifacts: 6 }, /^maxInputArtifacts .*0 to 5/],
    [
      'more minimum than maximum outputs',
      { minOutputArtifacts: 2, maxOutputArtifacts: 1 },
      /^minOutputArtifacts must not exceed maxOutputArtifacts/,
    ],
    ['a batch size of 0', { batchSize: 0 }, /batchSize/],
    ['a schedule of 90 minutes', { scheduleRate: Duration.minutes(90) }, /scheduleRate/],
    ['a schedule of 30 seconds', { scheduleRate: Duration.seconds(30) }, /scheduleRate/],
    ['3 retry attempts', { retryAttempts: 3 }, /retryAttempts/],
    ['a maximum event age of 30 seconds', { maxEventAge: Duration.seconds(30) }, /maxEventAge/],
    [
      'a timeout within the deadline margin',
      { timeout: Duration.seconds(25) },
      /^timeout .*deadlineMargin/,
    ],
    ['a record retention of 1 day', { recordRetention: Duration.days(1) }, /recordRetention/],
    ['reserved concurrency 0', { reservedConcurrentExecutions: 0 }, /reservedConcurrent/],
    [
      'temporary storage of 256 MiB',
      { ephemeralStorageSize: Size.mebibytes(256) },
      /^ephemeralStorageSize must be a whole number of MiB from 512 to 10240 \(got 256 MiB\)$/,
    ],
    [
      'temporary storage of 10241 MiB',
      { ephemeralStorageSize: Size.mebibytes(10_241) },
      /^ephemeralStorageSize .*\(got 10241 MiB\)$/,
    ],
    [
      'temporary storage of part of a MiB',
      { ephemeralStorageSize: Size.kibibytes(600_000) },
      /^ephemeralStorageSize .*\(got 585\.9375 MiB\)$/,
    ],
    ['an alarm e-mail without @', { alarmEmail: 'oncall.example.com' }, /alarmEmail/],
    [
      'a queryable property without a queryParam',
      { configurationProperties: [{ name: 'Severity', required: true, queryable: true }] },
      /^queryParam is required: configuration property 'Severity' is queryable/,
    ],
    [
      'a queryParam without a queryable property',
      { queryParam: { Severity: 'high' } },
      /^queryParam must be unset: no configuration property is queryable/,
    ],
    [
      'a queryParam naming another property',
      {
        configurationProperties: [{ name: 'Severity', required: true, queryable: true }],
        queryParam: { Level: 'high' },
      },
      /^queryParam must name the queryable property 'Severity' \(got 'Level'\)/,
    ],
    [
      'a queryParam value CodePipeline could never match',
      {
        configurationProperties: [{ name: 'Severity', required: true, queryable: true }],
        queryParam: { Severity: 'h'.repeat(21) },
      },
      /^queryParam must map 'Severity' to 1-20 characters of \[A-Za-z0-9_-\]/,
    ],
    ['a namespace CloudWatch reserves', { metricsNamespace: 'AWS/Lambda' }, /^metricsNamespace /],
    ['an empty service name', { serviceName: '' }, /^serviceName must be 1-1024/],
    [
      'a reservation while reserveConcurrency is false',
      { reserveConcurrency: false, reservedConcurrentExecutions: 5 },
      /^reservedConcurrentExecutions is set while reserveConcurrency is false/,
    ],
    [
      'an unknown ledger encryption',
      { ledgerEncryption: 'none' as never },
      /^ledgerEncryption must be one of customer-managed, aws-owned/,
    ],
    ['an error alarm threshold of 0', { errorAlarmThreshold: 0 }, /^errorAlarmThreshold /],
    [
      'a continuation age past the action timeout',
      { maxContinuationAge: Duration.hours(25) },
      /^maxContinuationAge must be a whole number of minutes from 1 to 1440/,
    ],
    [
      'a stop check slower than five minutes',
      { cancelCheck: Duration.seconds(301) },
      /^cancelCheck must be a whole number of seconds from 1 to 300 \(got 301 seconds\)/,
    ],
  ])('reports %s as one synth error naming the prop', (_, props, message) => {
    const found = errors(props);

    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
    const [prop] = Object.keys(props);
    const named = [
      'configurationProperties',
      'minOutputArtifacts',
      'timeout',
      'reserveConcurrency',
    ];
    if (!named.includes(prop ?? '')) {
      expect(found[0]?.startsWith(`${prop} `)).toBe(true);
    }
  });

  it('reports no error for valid props', () => {
    expect(errors({})).toEqual([]);
  });

  it('reports every bad value at once, each on one line', () => {
    const found = errors({
      provider: 'Bake Time',
      batchSize: 0,
      concurrency: 101,
      timeout: Duration.seconds(901),
      alarmEmail: 'nobody',
    });

    expect(found.map((line) => line.split(' ')[0]).sort()).toEqual(
      ['alarmEmail', 'batchSize', 'concurrency', 'provider', 'timeout'].sort(),
    );
    for (const line of found) expect(line).not.toContain('\n');
  });

  it('refuses a worker of a registered type that describes another type or polls the same value', () => {
    const scope = stack();
    const severity = [{ name: 'Severity', required: true, queryable: true }];
    const high = new CustomActionJobWorker(scope, 'High', {
      ...MINIMAL,
      configurationProperties: severity,
      queryParam: { Severity: 'high' },
    });
    const other = new CustomActionJobWorker(scope, 'Other', {
      ...MINIMAL,
      provider: 'Other',
      serviceName: 'other',
      configurationProperties: [...severity, { name: 'Extra', required: false }],
      queryParam: { Severity: 'high' },
      registeredBy: high,
    });

    expect(
      errorsOf(other)
        .map((line) => line.split(' ')[0])
        .sort(),
    ).toEqual(['configurationProperties', 'provider', 'queryParam']);
  });

  it('refuses as registeredBy a construct that only looks like a worker', () => {
    const scope = stack();
    const high = new CustomActionJobWorker(scope, 'High', MINIMAL);
    // Everything a registering worker shows, but not a worker whose Details link can search
    // this worker's log group.
    const lookalike = Object.assign(new Construct(scope, 'Lookalike'), {
      actionType: high.actionType,
      configurationProperties: high.configurationProperties,
      registration: high.registration,
      queryParam: { Severity: 'high' },
    });
    const low = new CustomActionJobWorker(scope, 'Low', {
      ...MINIMAL,
      serviceName: 'low',
      registeredBy: lookalike,
    });

    expect(errorsOf(low)).toEqual([
      'registeredBy must be a CustomActionJobWorker (S/Lookalike is not)',
    ]);
  });

  it('refuses two workers that would share their metrics, naming serviceName', () => {
    const shared = stack();
    new CustomActionJobWorker(shared, 'One', MINIMAL);
    const two = new CustomActionJobWorker(shared, 'Two', { ...MINIMAL, provider: 'Other' });

    expect(errorsOf(two)).toEqual([
      expect.stringMatching(/^serviceName must differ from that of S\/One/),
    ]);
  });
});

describe('eventVersionValues', () => {
  it.each<[string, (string | number)[]]>([
    ['1', ['1', 1]],
    ['42', ['42', 42]],
    ['01', ['01']],
    ['beta', ['beta']],
    ['2-rc', ['2-rc']],
  ])('matches version %s as %j', (version, expected) => {
    expect(eventVersionValues(version)).toEqual(expected);
  });
});
