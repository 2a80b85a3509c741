import { CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ActionCategory } from 'aws-cdk-lib/aws-codepipeline';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CustomActionJobWorker } from '../../lib/custom-action-job-worker.js';
import { createTestApp, expectNoAnnotations, SAMPLE_ENTRY, type TestApp } from './synth.js';

let testApp: TestApp;
let stack: Stack;
let template: Template;
let report: { pluginReports: readonly unknown[] };
let bake: CustomActionJobWorker;
let approval: CustomActionJobWorker;

beforeAll(() => {
  testApp = createTestApp({ cfnValidation: false });
  stack = new Stack(testApp.app, 'TwoWorkers');
  bake = new CustomActionJobWorker(stack, 'BakeTimeGate', {
    category: ActionCategory.TEST,
    provider: 'BakeTimeGate',
    entry: SAMPLE_ENTRY,
    configurationProperties: [{ name: 'BakeTimeSeconds', required: true, type: 'Number' }],
    alarmEmail: 'bake@example.com',
  });
  approval = new CustomActionJobWorker(stack, 'ChangeWindow', {
    category: ActionCategory.APPROVAL,
    provider: 'ChangeWindow',
    entry: SAMPLE_ENTRY,
    version: '2',
    configurationProperties: [{ name: 'Token', required: true, secret: true }],
    serviceName: 'change-window-worker',
    alarmEmail: 'change@example.com',
  });
  report = testApp.synth();
  template = Template.fromStack(stack);
});

afterAll(() => testApp.cleanup());

function refTo(construct: IConstruct | undefined): string {
  const resource = construct?.node.defaultChild;
  if (!(resource instanceof CfnElement)) {
    throw new Error(`${construct?.node.path} has no CloudFormation resource`);
  }
  return stack.getLogicalId(resource);
}

describe('two workers in one stack', () => {
  it('get one of everything each', () => {
    for (const [type, count] of [
      ['AWS::CodePipeline::CustomActionType', 2],
      ['AWS::Lambda::Function', 2],
      ['AWS::DynamoDB::Table', 2],
      ['AWS::SQS::Queue', 2],
      ['AWS::Events::Rule', 6],
      // A dashboard only when asked for (neither is).
      ['AWS::CloudWatch::Dashboard', 0],
      ['AWS::CloudWatch::Alarm', 24],
      ['AWS::SNS::Topic', 2],
      ['AWS::KMS::Key', 4],
    ] as const) {
      template.resourceCountIs(type, count);
    }
  });

  it('share one console-domain mapping', () => {
    expect(Object.keys(template.findMappings('*'))).toEqual(['ConsoleDomainByPartition']);
  });

  it('each poll only their own action type', () => {
    for (const [worker, suffix] of [
      [bake, ':actiontype:Custom/Test/BakeTimeGate/1'],
      [approval, ':actiontype:Custom/Approval/ChangeWindow/2'],
    ] as const) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: refTo(worker.workerFunction.role) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'codepipeline:PollForJobs',
              Resource: { 'Fn::Join': ['', Match.arrayWith([suffix])] },
            }),
            Match.objectLike({
              Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
              Resource: { 'Fn::GetAtt': [refTo(worker.ledgerTable), 'Arn'] },
            }),
          ]),
        },
      });
    }
  });

  it('each wake up on their own STARTED events and feed their own function', () => {
    for (const [worker, category, provider, version] of [
      [bake, 'Test', 'BakeTimeGate', ['1', 1]],
      [approval, 'Approval', 'ChangeWindow', ['2', 2]],
    ] as const) {
      template.hasResourceProperties('AWS::Events::Rule', {
        EventPattern: Match.objectLike({
          detail: {
            state: ['STARTED'],
            type: { owner: ['Custom'], category: [category], provider: [provider], version },
          },
        }),
        Targets: [
          Match.objectLike({ Arn: { 'Fn::GetAtt': [refTo(worker.workerFunction), 'Arn'] } }),
        ],
      });
    }
  });

  it('each get their own configuration, table and metrics identity', () => {
    for (const [worker, provider, service, secrets] of [
      [bake, 'BakeTimeGate', 'codepipeline-job-worker', ''],
      [approval, 'ChangeWindow', 'change-window-worker', 'Token'],
    ] as const) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: {
          Variables: Match.objectLike({
            ACTION_PROVIDER: provider,
            POWERTOOLS_SERVICE_NAME: service,
            SECRET_CONFIGURATION_KEYS: secrets,
            LEDGER_TABLE_NAME: { Ref: refTo(worker.ledgerTable) },
          }),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'PollsSucceeded',
        Dimensions: [{ Name: 'service', Value: service }],
      });
    }
  });

  it('pass cdk-nag with no annotations', () => {
    expect(report.pluginReports).toEqual([]);
    expectNoAnnotations(stack);
  });
});
