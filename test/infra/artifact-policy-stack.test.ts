import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobWorkerStack } from '../../lib/job-worker-stack.js';
import { ARTIFACT_POLICY_PROPERTIES } from '../../samples/processors/artifact-policy-config.js';
import { readWorkerContext } from '../../samples/worker-context.js';
import {
  cdkJsonContext,
  createTestApp,
  expectNoAnnotations,
  onlyResource,
  type TestApp,
} from './synth.js';

// The stack bin/app.ts builds for `cdk synth -c jobProcessor=artifact-policy
// -c ephemeralStorageMiB=2048`: cdk.json's context with those two, told apart from cdk.json.
let testApp: TestApp;
let stack: JobWorkerStack;
let template: Template;
let report: { pluginReports: readonly unknown[] };

beforeAll(() => {
  testApp = createTestApp({
    context: { jobProcessor: 'artifact-policy', ephemeralStorageMiB: '2048' },
    cfnValidation: false,
  });
  const config = readWorkerContext(testApp.app.node, { cdkJson: cdkJsonContext() });
  expect(config.problems).toEqual([]);
  stack = new JobWorkerStack(testApp.app, config.stackName, { worker: config.worker });
  report = testApp.synth();
  template = Template.fromStack(stack);
});

afterAll(() => testApp.cleanup());

type Statement = {
  Sid?: string;
  Action: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
};

/** Every statement of every policy the worker's role has: inline, attached, managed. */
function roleStatements(): Statement[] {
  const [roleId, role] = onlyResource(template.findResources('AWS::IAM::Role'));
  expect(role.ManagedPolicyArns).toBeUndefined();
  const inline = (
    (role.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>
  ).flatMap((policy) => policy.PolicyDocument.Statement);
  const attached = Object.values(template.findResources('AWS::IAM::Policy'))
    .map(
      (resource) =>
        resource.Properties as { Roles: unknown[]; PolicyDocument: { Statement: Statement[] } },
    )
    .filter((policy) => JSON.stringify(policy.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => policy.PolicyDocument.Statement);
  expect(template.findResources('AWS::IAM::ManagedPolicy')).toEqual({});
  return [...inline, ...attached];
}

const actionsOf = (statement: Statement): string[] =>
  Array.isArray(statement.Action) ? statement.Action : [statement.Action];

describe('the artifact policy worker (-c jobProcessor=artifact-policy)', () => {
  it('is a stack of its own, ArtifactPolicyWorker', () => {
    expect(stack.stackName).toBe('ArtifactPolicyWorker');
  });

  it('registers Custom/Test/ArtifactPolicy/1: its properties, one input, an optional report', () => {
    template.hasResourceProperties('AWS::CodePipeline::CustomActionType', {
      Category: 'Test',
      Provider: 'ArtifactPolicy',
      Version: '1',
      ConfigurationProperties: ARTIFACT_POLICY_PROPERTIES.map((property) =>
        Match.objectEquals({
          Name: property.name,
          Required: false,
          Key: true,
          Secret: false,
          Queryable: false,
          Type: property.type,
          Description: property.description,
        }),
      ),
      InputArtifactDetails: { MinimumCount: 1, MaximumCount: 1 },
      OutputArtifactDetails: { MinimumCount: 0, MaximumCount: 1 },
    });
  });

  it('runs under its own service name, with the temporary storage asked for', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      EphemeralStorage: { Size: 2048 },
      Environment: {
        Variables: Match.objectLike({
          ACTION_PROVIDER: 'ArtifactPolicy',
          SECRET_CONFIGURATION_KEYS: '',
          POWERTOOLS_SERVICE_NAME: 'artifact-policy-worker',
        }),
      },
    });
  });

  it("gives the function's role no S3 permission, and KMS only for the ledger through DynamoDB", () => {
    // Artifacts are read and written with each job's own credentials, never the role's. The
    // ledger key's statement is the one KMS grant, usable only through DynamoDB (ViaService).
    const statements = roleStatements();
    const actions = statements.flatMap(actionsOf);

    expect(actions.length).toBeGreaterThan(10);
    expect(actions.filter((action) => /^s3:|^s3-object-lambda:|^\*$/i.test(action))).toEqual([]);
    const kms = statements.filter((statement) =>
      actionsOf(statement).some((action) => /^kms:/i.test(action)),
    );
    expect(kms).toEqual([
      expect.objectContaining({
        Sid: 'UseLedgerKeyThroughDynamoDB',
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

  it('passes cdk-nag (AwsSolutions and Serverless) with nothing unacknowledged', () => {
    expect(report.pluginReports).toEqual([]);
    expectNoAnnotations(stack);
  });
});
