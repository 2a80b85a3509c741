import { App, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ActionCategory } from 'aws-cdk-lib/aws-codepipeline';
import * as sns from 'aws-cdk-lib/aws-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  report = testApp.synth();
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
        }),
      },
      MemorySize: 1024,
      Timeout: 300,
    });
  });

  it('gives the function the temporary storage asked for', () => {
    variant.hasResourceProperties('AWS::Lambda::Function', { EphemeralStorage: { Size: 2048 } });
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

  it('deletes the ledger, its key and the logs with the stack under DESTROY', () => {
    variant.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
      DeletionPolicy: 'Delete',
    });
    variant.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
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
    byoTopic.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    byoTopic.allResourcesProperties('AWS::CloudWatch::Alarm', {
      AlarmActions: ['arn:aws:sns:eu-west-1:111122223333:ops-alarms'],
      OKActions: ['arn:aws:sns:eu-west-1:111122223333:ops-alarms'],
    });
  });

  it('passes cdk-nag in every variant', () => {
    expect(report.pluginReports).toEqual([]);
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
      { configurationProperties: [{ name: 'A', required: true, queryable: true, secret: true }] },
      /must be required and not secret/,
    ],
    [
      'a queryable optional property',
      { configurationProperties: [{ name: 'A', required: false, queryable: true }] },
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
  ])('reports %s as one synth error naming the prop', (_, props, message) => {
    const found = errors(props);

    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(message);
    const [prop] = Object.keys(props);
    if (!['configurationProperties', 'minOutputArtifacts', 'timeout'].includes(prop ?? '')) {
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
