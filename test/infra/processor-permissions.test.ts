import { App, Aws, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { ActionCategory } from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CustomActionJobWorker,
  type CustomActionJobWorkerProps,
} from '../../lib/custom-action-job-worker.js';
import { URL_TEMPLATE_LENGTH } from '../../lib/url-templates.js';
import { createTestApp, onlyResource, SAMPLE_ENTRY, type TestApp } from './synth.js';

const MINIMAL: CustomActionJobWorkerProps = {
  category: ActionCategory.BUILD,
  provider: 'CodeBuildRunner',
  entry: SAMPLE_ENTRY,
  configurationProperties: [
    { name: 'ProjectName', required: true },
    { name: 'Token', required: true, secret: true },
    { name: 'Comment', required: false },
  ],
};

const EXECUTION_URL = `https://console.aws.amazon.com/codesuite/codebuild/projects/{Config:ProjectName}/build/{ExternalExecutionId}/?region=${Aws.REGION}`;
const ENTITY_URL =
  'https://console.aws.amazon.com/codesuite/codebuild/projects/{Config:ProjectName}';

let testApp: TestApp;
let granted: Template;
let plain: Template;
let report: { pluginReports: readonly unknown[] };

beforeAll(() => {
  testApp = createTestApp({ cfnValidation: false });
  const grantedStack = new Stack(testApp.app, 'Granted');
  const worker = new CustomActionJobWorker(grantedStack, 'Worker', {
    ...MINIMAL,
    executionUrlTemplate: EXECUTION_URL,
    entityUrlTemplate: ENTITY_URL,
    policyStatements: [
      new iam.PolicyStatement({
        actions: ['ssm:GetParameter'],
        resources: ['arn:aws:ssm:eu-west-1:111122223333:parameter/builds/settings'],
      }),
    ],
  });
  const project = codebuild.Project.fromProjectName(grantedStack, 'Project', 'app-build');
  iam.Grant.addToPrincipal({
    grantee: worker,
    actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
    resourceArns: [project.projectArn],
  });
  sfn.StateMachine.fromStateMachineName(grantedStack, 'Flow', 'release-flow').grantStartExecution(
    worker,
  );
  worker.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['sns:Publish'],
      resources: ['arn:aws:sns:eu-west-1:111122223333:builds'],
    }),
  );
  const plainStack = new Stack(testApp.app, 'Plain');
  new CustomActionJobWorker(plainStack, 'Worker', MINIMAL);
  report = testApp.synth();
  granted = Template.fromStack(grantedStack);
  plain = Template.fromStack(plainStack);
});

afterAll(() => testApp.cleanup());

/** Synthesizes an App whose worker's processor is given `*`, acknowledged or not. */
function synthWildcard(acknowledge: boolean): void {
  const wildcardApp = createTestApp({ cfnValidation: false });
  try {
    const worker = new CustomActionJobWorker(new Stack(wildcardApp.app, 'Wildcard'), 'Worker', {
      ...MINIMAL,
      policyStatements: [
        new iam.PolicyStatement({ actions: ['codebuild:BatchGetBuilds'], resources: ['*'] }),
      ],
    });
    if (acknowledge && worker.processorPolicy) {
      Validations.of(worker.processorPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'The processor reads builds of projects named only in the pipeline.',
      });
    }
    wildcardApp.synth();
  } finally {
    wildcardApp.cleanup();
  }
}

/** The policies of a template attached to the worker function's role, by logical id. */
function rolePolicies(
  template: Template,
): Record<string, { Statement: Record<string, unknown>[] }> {
  const [roleId] = Object.keys(template.findResources('AWS::IAM::Role'));
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  return Object.fromEntries(
    Object.entries(policies).map(([id, policy]) => [id, policy.Properties.PolicyDocument]),
  );
}

/** The ARN CDK builds for a resource of this stack's account and region. */
function arn(service: string, resource: string): unknown {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        `:${service}:`,
        { Ref: 'AWS::Region' },
        ':',
        { Ref: 'AWS::AccountId' },
        `:${resource}`,
      ],
    ],
  };
}

function processorPolicy(template: Template): [string, { Statement: Record<string, unknown>[] }] {
  const entries = Object.entries(rolePolicies(template)).filter(
    ([id]) => !id.includes('DefaultPolicy'),
  );
  expect(entries).toHaveLength(1);
  const [entry] = entries;
  if (!entry) throw new Error('no processor policy');
  return entry;
}

describe('CustomActionJobWorker as a grantee', () => {
  it("puts a grant made to the worker in the function role's processor policy", () => {
    const [, document] = processorPolicy(granted);

    expect(document.Statement).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: ['codebuild:BatchGetBuilds', 'codebuild:StartBuild'],
          Resource: arn('codebuild', 'project/app-build'),
        },
        {
          Effect: 'Allow',
          Action: 'states:StartExecution',
          Resource: arn('states', 'stateMachine:release-flow'),
        },
      ]),
    );
  });

  it('puts policyStatements and addToRolePolicy statements in the same policy', () => {
    const [, document] = processorPolicy(granted);

    expect(document.Statement).toEqual(
      expect.arrayContaining([
        {
          Effect: 'Allow',
          Action: 'ssm:GetParameter',
          Resource: 'arn:aws:ssm:eu-west-1:111122223333:parameter/builds/settings',
        },
        {
          Effect: 'Allow',
          Action: 'sns:Publish',
          Resource: 'arn:aws:sns:eu-west-1:111122223333:builds',
        },
      ]),
    );
    expect(document.Statement).toHaveLength(4);
  });

  it("keeps the processor's statements out of the worker's own policy", () => {
    const defaults = Object.entries(rolePolicies(granted)).filter(([id]) =>
      id.includes('DefaultPolicy'),
    );
    const own = JSON.stringify(defaults);

    expect(defaults).toHaveLength(1);
    for (const action of ['codebuild:', 'states:', 'ssm:', 'sns:']) {
      expect(own).not.toContain(action);
    }
  });

  it('starts the function only once the processor policy is attached', () => {
    const [policyId] = processorPolicy(granted);
    const [, fn] = Object.entries(granted.findResources('AWS::Lambda::Function'))[0] ?? [];

    expect(fn?.DependsOn).toContain(policyId);
  });

  it('adds no policy to a worker nothing was granted to', () => {
    expect(Object.keys(rolePolicies(plain))).toEqual([expect.stringMatching(/DefaultPolicy/)]);
  });

  it('passes cdk-nag with scoped grants and statements', () => {
    expect(report.pluginReports).toEqual([]);
  });

  it("fails synth on a wildcard in the processor's statements, naming the processor policy (AwsSolutions-IAM5)", () => {
    let message = '';
    try {
      synthWildcard(false);
    } catch (error) {
      message = String(error);
    }

    expect(message).toMatch(/Wildcard\/Worker\/Processor\/Policy\/Resource/);
    expect(message).toContain('AwsSolutions-IAM5[Resource::*]');
    expect(message).not.toContain('DefaultPolicy');
  });

  it('synthesizes a wildcard acknowledged on processorPolicy', () => {
    expect(() => synthWildcard(true)).not.toThrow();
  });
});

describe('CustomActionJobWorker link templates', () => {
  const settings = (template: Template) => {
    const [, properties] = onlyResource(
      template.findResources('AWS::CodePipeline::CustomActionType'),
    );
    return properties.Settings as Record<string, unknown>;
  };

  it("puts the templates in the action type's settings, deploy-time values resolved", () => {
    expect(settings(granted)).toEqual({
      EntityUrlTemplate: ENTITY_URL,
      ExecutionUrlTemplate: {
        'Fn::Join': [
          '',
          [
            'https://console.aws.amazon.com/codesuite/codebuild/projects/{Config:ProjectName}/build/{ExternalExecutionId}/?region=',
            { Ref: 'AWS::Region' },
          ],
        ],
      },
    });
  });

  it('keeps the Logs Insights query as the Details link and the function page as the entity link by default', () => {
    const { ExecutionUrlTemplate, EntityUrlTemplate } = settings(plain);

    expect(JSON.stringify(ExecutionUrlTemplate)).toContain('logs-insights');
    expect(JSON.stringify(ExecutionUrlTemplate)).toContain('{ExternalExecutionId}');
    expect(JSON.stringify(EntityUrlTemplate)).toContain('/lambda/home');
  });
});

describe('CustomActionJobWorker link template validation', () => {
  const errorsOf = (worker: CustomActionJobWorker) =>
    worker.node.metadata.filter((m) => m.type === 'aws:cdk:error').map((m) => String(m.data));
  const errors = (props: Partial<CustomActionJobWorkerProps>) =>
    errorsOf(
      new CustomActionJobWorker(
        new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S'),
        'W',
        { ...MINIMAL, ...props },
      ),
    );
  const base = 'https://ci.example.com/';

  it.each<[string, Partial<CustomActionJobWorkerProps>, string]>([
    [
      'a misspelt property',
      { executionUrlTemplate: `${base}{Config:ProjectNam}/{ExternalExecutionId}` },
      "executionUrlTemplate uses {Config:ProjectNam}, but the action type declares no property 'ProjectNam': did you mean {Config:ProjectName}?",
    ],
    [
      'a property nothing resembles',
      { entityUrlTemplate: `${base}{Config:Branch}` },
      "entityUrlTemplate uses {Config:Branch}, but the action type declares no property 'Branch' (usable: ProjectName)",
    ],
    [
      'a secret property',
      { executionUrlTemplate: `${base}{Config:Token}` },
      'executionUrlTemplate uses {Config:Token}, but CodePipeline fills in only properties that are required and not secret',
    ],
    [
      'an optional property',
      { entityUrlTemplate: `${base}{Config:Comment}` },
      'entityUrlTemplate uses {Config:Comment}, but CodePipeline fills in only properties that are required and not secret',
    ],
    [
      'the execution id in the entity link',
      { entityUrlTemplate: `${base}{ExternalExecutionId}` },
      'entityUrlTemplate uses {ExternalExecutionId}, which CodePipeline fills in only in executionUrlTemplate',
    ],
    [
      'an unknown placeholder',
      { executionUrlTemplate: `${base}{JobId}` },
      'executionUrlTemplate has an unknown placeholder {JobId}: use {Config:Name} (a configuration property) or {ExternalExecutionId}',
    ],
    [
      'a plain http link',
      { executionUrlTemplate: 'http://ci.example.com/{ExternalExecutionId}' },
      "executionUrlTemplate must be an https:// link (got 'http://ci.example.com/{ExternalExecutionId}')",
    ],
    [
      'a link that starts with a placeholder',
      { entityUrlTemplate: '{Config:ProjectName}/builds' },
      "entityUrlTemplate must be an https:// link (got '{Config:ProjectName}/builds')",
    ],
    [
      'a link one character too long',
      { executionUrlTemplate: `${base}${'a'.repeat(URL_TEMPLATE_LENGTH.max + 1 - base.length)}` },
      'executionUrlTemplate must be 1-2048 characters (got 2049)',
    ],
    [
      'a link too long even before its deploy-time values',
      { entityUrlTemplate: `${base}${Aws.REGION}/${'a'.repeat(2048)}` },
      'entityUrlTemplate must be 1-2048 characters (got 2072)',
    ],
  ])('reports %s as one synth error naming the prop', (_, props, message) => {
    expect(errors(props)).toEqual([message]);
  });

  it('reports an empty link as too short', () => {
    expect(errors({ entityUrlTemplate: '' })).toEqual([
      'entityUrlTemplate must be 1-2048 characters (got 0)',
    ]);
  });

  it('accepts links of 2048 characters, with deploy-time values, and tokens the link starts with', () => {
    expect(
      errors({
        executionUrlTemplate: `${base}${'a'.repeat(URL_TEMPLATE_LENGTH.max - base.length)}`,
        entityUrlTemplate: `${Aws.URL_SUFFIX}/{Config:ProjectName}`,
      }),
    ).toEqual([]);
    expect(errors({ executionUrlTemplate: EXECUTION_URL, entityUrlTemplate: ENTITY_URL })).toEqual(
      [],
    );
  });

  it("refuses links on a worker that polls another worker's action type", () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S');
    const first = new CustomActionJobWorker(stack, 'First', {
      ...MINIMAL,
      configurationProperties: [{ name: 'Queue', required: true, queryable: true }],
      queryParam: { Queue: 'a' },
    });
    const second = new CustomActionJobWorker(stack, 'Second', {
      ...MINIMAL,
      configurationProperties: undefined,
      serviceName: 'second',
      queryParam: { Queue: 'b' },
      registeredBy: first,
      executionUrlTemplate: `${base}{ExternalExecutionId}`,
    });

    expect(errorsOf(second)).toEqual([
      'executionUrlTemplate must be unset: S/First registers the action type, whose links are set there',
    ]);
  });
});
