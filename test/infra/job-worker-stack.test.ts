import { Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobWorkerStack } from '../../lib/job-worker-stack.js';
import { readWorkerContext } from '../../samples/worker-context.js';
import { createTestApp, expectNoAnnotations, onlyResource, type TestApp } from './synth.js';

// One synth for the whole file: the stack bin/app.ts builds from cdk.json, plus an alarm
// e-mail so the optional topic is covered too.
let testApp: TestApp;
let stack: JobWorkerStack;
let template: Template;
let report: { pluginReports: readonly unknown[] };

beforeAll(() => {
  testApp = createTestApp({ context: { alarmEmail: 'oncall@example.com' } });
  const config = readWorkerContext(testApp.app.node);
  stack = new JobWorkerStack(testApp.app, config.stackName, { worker: config.worker });
  report = testApp.synth();
  template = Template.fromStack(stack);
});

afterAll(() => testApp.cleanup());

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string };

function roleStatements(): Statement[] {
  const [, policy] = onlyResource(template.findResources('AWS::IAM::Policy'));
  return (policy.PolicyDocument as { Statement: Statement[] }).Statement;
}

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

function logicalId(type: string): string {
  const [id] = onlyResource(template.findResources(type));
  return id;
}

describe('the custom action type', () => {
  it('registers Custom/Test/BakeTimeGate/1 with the configuration properties from cdk.json', () => {
    template.hasResourceProperties('AWS::CodePipeline::CustomActionType', {
      Category: 'Test',
      Provider: 'BakeTimeGate',
      Version: '1',
      ConfigurationProperties: [
        Match.objectEquals({
          Name: 'BakeTimeSeconds',
          Required: true,
          Key: true,
          Secret: false,
          Queryable: false,
          Type: 'Number',
          Description: 'Seconds to wait before the action succeeds',
        }),
        Match.objectLike({ Name: 'Environment', Required: false, Secret: false, Queryable: false }),
        Match.objectLike({ Name: 'NotifyToken', Required: false, Secret: true, Queryable: false }),
      ],
      InputArtifactDetails: { MinimumCount: 0, MaximumCount: 1 },
      OutputArtifactDetails: { MinimumCount: 0, MaximumCount: 0 },
    });
  });

  it('links each execution to a Logs Insights query on the log group and {ExternalExecutionId}', () => {
    template.hasResourceProperties('AWS::CodePipeline::CustomActionType', {
      Settings: {
        ExecutionUrlTemplate: {
          'Fn::Join': [
            '',
            Match.arrayWith([
              Match.stringLikeRegexp(
                '#logsV2:logs-insights\\$3FqueryDetail.*\\{ExternalExecutionId\\}',
              ),
              { Ref: logicalId('AWS::Logs::LogGroup') },
            ]),
          ],
        },
        // The function's console page: it exists whether or not a dashboard does.
        EntityUrlTemplate: {
          'Fn::Join': [
            '',
            Match.arrayWith([
              Match.stringLikeRegexp('/lambda/home\\?region='),
              { Ref: logicalId('AWS::Lambda::Function') },
              '?tab=monitoring',
            ]),
          ],
        },
      },
    });
  });
});

describe('the worker function', () => {
  it('runs Node.js 24 on arm64 with tracing, 512 MiB of /tmp and its own log group, reserving no concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 512,
      EphemeralStorage: { Size: 512 },
      Timeout: 60,
      TracingConfig: { Mode: 'Active' },
      // A reservation fails to deploy in an account whose quota is 10 (Lambda keeps 10 free).
      ReservedConcurrentExecutions: Match.absent(),
      LoggingConfig: { LogGroup: { Ref: logicalId('AWS::Logs::LogGroup') } },
    });
  });

  it('passes exactly the environment the worker reads', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectEquals({
          ACTION_CATEGORY: 'Test',
          ACTION_PROVIDER: 'BakeTimeGate',
          ACTION_VERSION: '1',
          LEDGER_TABLE_NAME: { Ref: logicalId('AWS::DynamoDB::Table') },
          BATCH_SIZE: '10',
          CONCURRENCY: '10',
          REPORT_CONCURRENCY: '20',
          DEADLINE_MARGIN_MS: '20000',
          LEASE_GRACE_SECONDS: '10',
          RECORD_RETENTION_DAYS: '30',
          SECRET_CONFIGURATION_KEYS: 'NotifyToken',
          SDK_MAX_ATTEMPTS: '3',
          SDK_REQUEST_TIMEOUT_MS: '5000',
          MAX_CONTINUATIONS: '3000',
          MAX_CONTINUATION_MINUTES: '1380',
          CANCEL_CHECK_SECONDS: '10',
          EPHEMERAL_STORAGE_MIB: '512',
          POWERTOOLS_SERVICE_NAME: 'codepipeline-job-worker',
          POWERTOOLS_METRICS_NAMESPACE: 'CodePipelineJobWorker',
          POWERTOOLS_LOG_LEVEL: 'INFO',
        }),
      },
    });
  });

  it('keeps its logs for 30 days and retains them with the stack', () => {
    template.hasResource('AWS::Logs::LogGroup', {
      Properties: { RetentionInDays: 30 },
      DeletionPolicy: 'Retain',
    });
  });

  it('sends failed asynchronous invocations to the dead-letter queue after bounded retries', () => {
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 600,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue'), 'Arn'] } },
      },
    });
  });
});

describe('the triggers', () => {
  const targetOf = () =>
    Match.objectLike({
      Arn: { 'Fn::GetAtt': [logicalId('AWS::Lambda::Function'), 'Arn'] },
      DeadLetterConfig: { Arn: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue'), 'Arn'] } },
      RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 600 },
      Input: Match.absent(),
      InputTransformer: Match.absent(),
    });

  it('invokes the function every minute with the standard scheduled event', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [targetOf()],
    });
  });

  it('invokes the function on STARTED events of this action type, version as string or number', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectEquals({
        source: ['aws.codepipeline'],
        'detail-type': ['CodePipeline Action Execution State Change'],
        detail: {
          state: ['STARTED'],
          type: {
            owner: ['Custom'],
            category: ['Test'],
            provider: ['BakeTimeGate'],
            version: ['1', 1],
          },
        },
      }),
      Targets: [targetOf()],
    });
  });

  it('invokes the function on ABANDONED, CANCELED and FAILED events of this action type', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectEquals({
        source: ['aws.codepipeline'],
        'detail-type': ['CodePipeline Action Execution State Change'],
        detail: {
          state: ['ABANDONED', 'CANCELED', 'FAILED'],
          type: {
            owner: ['Custom'],
            category: ['Test'],
            provider: ['BakeTimeGate'],
            version: ['1', 1],
          },
        },
      }),
      Targets: [targetOf()],
    });
  });

  it('creates every rule only after the action type exists', () => {
    const rules = template.findResources('AWS::Events::Rule');
    expect(Object.keys(rules)).toHaveLength(3);
    for (const rule of Object.values(rules)) {
      expect(rule.DependsOn).toContain(logicalId('AWS::CodePipeline::CustomActionType'));
    }
  });

  it('lets only these three rules invoke the function', () => {
    template.resourceCountIs('AWS::Lambda::Permission', 3);
    template.allResourcesProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Rule'), 'Arn'] },
    });
  });
});

describe('the nonce ledger', () => {
  it('is an on-demand table keyed by jobId with TTL on expiresAt and the pending-claims index', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'jobId', KeyType: 'HASH' }],
      AttributeDefinitions: Match.arrayWith([{ AttributeName: 'jobId', AttributeType: 'S' }]),
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        {
          IndexName: 'pending-claims',
          KeySchema: [
            { AttributeName: 'pendingShard', KeyType: 'HASH' },
            { AttributeName: 'leaseExpiresAt', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    });
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: 'pendingShard', AttributeType: 'S' },
        { AttributeName: 'leaseExpiresAt', AttributeType: 'N' },
      ]),
    });
  });

  it('has point-in-time recovery and a rotated customer-managed key, and is retained', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('LedgerKey'), 'Arn'] },
        },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.hasResource('AWS::KMS::Key', {
      Properties: Match.objectLike({
        EnableKeyRotation: true,
        Description: Match.stringLikeRegexp('nonce ledger'),
      }),
      DeletionPolicy: 'Retain',
    });
  });
});

describe('the dead-letter queue', () => {
  it('is encrypted, keeps messages 14 days and refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('the execution role', () => {
  it('has no managed policies', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
      },
      ManagedPolicyArns: Match.absent(),
    });
  });

  it('may poll only this action type', () => {
    const poll = roleStatements().filter((s) => actionsOf(s).includes('codepipeline:PollForJobs'));
    expect(poll).toEqual([
      {
        Sid: 'PollThisActionType',
        Effect: 'Allow',
        Action: 'codepipeline:PollForJobs',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':codepipeline:',
              { Ref: 'AWS::Region' },
              ':',
              { Ref: 'AWS::AccountId' },
              ':actiontype:Custom/Test/BakeTimeGate/1',
            ],
          ],
        },
      },
    ]);
  });

  it('gets the job actions that accept only "*" in a statement of their own', () => {
    const jobActions = roleStatements().filter((s) => s.Sid === 'WorkOnPolledJobs');
    expect(jobActions).toEqual([
      {
        Sid: 'WorkOnPolledJobs',
        Effect: 'Allow',
        Action: [
          'codepipeline:AcknowledgeJob',
          'codepipeline:GetJobDetails',
          'codepipeline:PutJobFailureResult',
          'codepipeline:PutJobSuccessResult',
        ],
        Resource: '*',
      },
    ]);
    const codepipeline = roleStatements()
      .flatMap(actionsOf)
      .filter((a) => a.startsWith('codepipeline:'));
    expect(codepipeline).toHaveLength(5);
  });

  it('may only get and update ledger items, and query the pending-claims index', () => {
    const table = logicalId('AWS::DynamoDB::Table');
    const dynamo = roleStatements().filter((s) =>
      actionsOf(s).some((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo).toEqual([
      {
        Sid: 'ClaimJobsInLedger',
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [table, 'Arn'] },
      },
      {
        Sid: 'FindExpiredClaims',
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [table, 'Arn'] }, '/index/pending-claims']] },
      },
    ]);
  });

  it('may use the ledger key only through DynamoDB', () => {
    const kms = roleStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    expect(kms).toEqual([
      expect.objectContaining({
        Action: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^WorkerLedgerKey/), 'Arn'] },
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Join': [
                '',
                ['dynamodb.', { Ref: 'AWS::Region' }, '.', { Ref: 'AWS::URLSuffix' }],
              ],
            },
          },
        },
      }),
    ]);
  });

  it('writes logs only to its log group and nothing else is granted', () => {
    const statements = roleStatements();
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: { 'Fn::GetAtt': [logicalId('AWS::Logs::LogGroup'), 'Arn'] },
    });
    expect(statements.flatMap(actionsOf).sort()).toEqual([
      'codepipeline:AcknowledgeJob',
      'codepipeline:GetJobDetails',
      'codepipeline:PollForJobs',
      'codepipeline:PutJobFailureResult',
      'codepipeline:PutJobSuccessResult',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
      'xray:PutTelemetryRecords',
      'xray:PutTraceSegments',
    ]);
    const wildcardResources = statements.filter((s) => s.Resource === '*').map((s) => actionsOf(s));
    expect(wildcardResources).toEqual([
      ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
      [
        'codepipeline:AcknowledgeJob',
        'codepipeline:GetJobDetails',
        'codepipeline:PutJobFailureResult',
        'codepipeline:PutJobSuccessResult',
      ],
    ]);
  });
});

describe('monitoring', () => {
  const topicAction = () => [{ Ref: logicalId('AWS::SNS::Topic') }];

  it('alarms on errors, throttles, duration near the timeout, dead letters and job failures', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 12);
    const fn = { Name: 'FunctionName', Value: { Ref: logicalId('AWS::Lambda::Function') } };
    const common = {
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      Period: 300,
      AlarmActions: topicAction(),
      OKActions: topicAction(),
    };
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [fn],
      Statistic: 'Sum',
      EvaluationPeriods: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/Lambda',
      MetricName: 'Throttles',
      Dimensions: [fn],
      EvaluationPeriods: 3,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/Lambda',
      MetricName: 'Duration',
      Statistic: 'Maximum',
      Threshold: 54_000,
      EvaluationPeriods: 1,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        { Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId('AWS::SQS::Queue'), 'QueueName'] } },
      ],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'CodePipelineJobWorker',
      MetricName: 'JobsFailed',
      Dimensions: [{ Name: 'service', Value: 'codepipeline-job-worker' }],
      Statistic: 'Sum',
    });
  });

  it.each<[string, string, number]>([
    ['AcknowledgeErrors', 'Sum', 3],
    ['ReportErrors', 'Sum', 3],
    ['LedgerErrors', 'Sum', 3],
    ['JobsAbandoned', 'Sum', 1],
    ['ContinuationLimitsReached', 'Sum', 1],
    // Two poll periods of 5 minutes: a dead worker's claim no invocation could recover.
    ['OldestExpiredClaimAge', 'Maximum', 600_000],
  ])(
    'alarms on %s (%s) at %d in 5 minutes, reading missing data as none',
    (metric, statistic, threshold) => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'CodePipelineJobWorker',
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: 'codepipeline-job-worker' }],
        Statistic: statistic,
        Period: 300,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        Threshold: threshold,
        TreatMissingData: 'notBreaching',
        AlarmActions: topicAction(),
      });
    },
  );

  it('reads missing data as breaching only where a healthy worker always publishes', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties as { MetricName: string; TreatMissingData: string },
    );
    const breaching = alarms.filter((alarm) => alarm.TreatMissingData !== 'notBreaching');
    expect(breaching.map((alarm) => alarm.MetricName)).toEqual(['PollsSucceeded']);
  });

  it('has no dashboard unless asked for one ($3 a month each)', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
  });

  it('alarms when no poll succeeded for 3 periods, counting missing data as breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CodePipelineJobWorker',
      MetricName: 'PollsSucceeded',
      Dimensions: [{ Name: 'service', Value: 'codepipeline-job-worker' }],
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
      AlarmActions: topicAction(),
    });
  });

  it('notifies the alarm e-mail through a topic encrypted with its own key, TLS only', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmTopicKey'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          }),
        ]),
      },
    });
  });
});

describe('stack outputs', () => {
  it('give the action type, function and table, and no dashboard URL without a dashboard', () => {
    template.hasOutput('ActionType', { Value: 'Custom/Test/BakeTimeGate/1' });
    template.hasOutput('FunctionName', { Value: { Ref: logicalId('AWS::Lambda::Function') } });
    template.hasOutput('LedgerTableName', { Value: { Ref: logicalId('AWS::DynamoDB::Table') } });
    expect(template.findOutputs('DashboardUrl')).toEqual({});
  });
});

describe('cdk-nag', () => {
  it('reports nothing unacknowledged (AwsSolutions and Serverless)', () => {
    expect(report.pluginReports).toEqual([]);
    expectNoAnnotations(stack);
  });

  it('has exactly these acknowledgements, each with a reason', () => {
    const acknowledged = stack.node.findAll().flatMap((c) =>
      c.node.metadata
        .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
        .flatMap((m) => Object.entries(m.data as Record<string, string>))
        .map(([id, reason]) => ({ path: c.node.path, id, reason })),
    );
    expect(
      acknowledged.map(({ path, id }) => `${path} ${id.replace(/^Annotation::/, '')}`).sort(),
    ).toEqual([
      'CodePipelineJobWorker/Worker/AlarmTopic/oncall@example.com Serverless-SNSRedrivePolicy',
      'CodePipelineJobWorker/Worker/DeadLetterQueue AwsSolutions-SQS3',
      'CodePipelineJobWorker/Worker/DeadLetterQueue Serverless-SQSRedrivePolicy',
      'CodePipelineJobWorker/Worker/Function Serverless-LambdaDLQ',
      'CodePipelineJobWorker/Worker/Role/DefaultPolicy AwsSolutions-IAM5[Resource::*]',
    ]);
    for (const { reason } of acknowledged) {
      expect(reason.length).toBeGreaterThan(60);
    }
  });
});
