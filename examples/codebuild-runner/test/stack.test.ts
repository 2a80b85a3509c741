/**
 * What `cdk synth` deploys: the worker may start, read and stop builds of the configured
 * projects only, and the action's links open CodeBuild's console. Bundling is skipped here
 * (`cdk synth` in CI bundles for real).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CodeBuildRunnerStack } from '../src/stack.js';

describe('CodeBuildRunnerStack', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'codebuild-runner-synth-'));
  let template: Template;
  beforeAll(() => {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new CodeBuildRunnerStack(app, 'Runner', { projectNamePattern: 'release-*' });
    template = Template.fromStack(stack);
  }, 60_000);
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('allows the worker to start, read and stop builds of the configured projects only', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
            Resource: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':codebuild:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':project/release-*',
                ],
              ],
            },
          },
        ],
      },
    });
    // Nowhere else: no statement of any policy names CodeBuild with another resource.
    const statements = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[],
    );
    const codebuild = statements.filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('codebuild:')),
    );
    expect(codebuild).toHaveLength(1);
  });

  it("links the action's Details to the build and the action to the project", () => {
    const projectPage =
      'https://console.aws.amazon.com/codesuite/codebuild/projects/{Config:ProjectName}';
    template.hasResourceProperties('AWS::CodePipeline::CustomActionType', {
      Category: 'Build',
      Provider: 'CodeBuildRunner',
      Settings: {
        ExecutionUrlTemplate: {
          'Fn::Join': [
            '',
            [`${projectPage}/build/{ExternalExecutionId}/?region=`, { Ref: 'AWS::Region' }],
          ],
        },
        EntityUrlTemplate: {
          'Fn::Join': ['', [`${projectPage}/history?region=`, { Ref: 'AWS::Region' }]],
        },
      },
      ConfigurationProperties: Match.arrayWith([
        Match.objectLike({ Name: 'ProjectName', Required: true, Secret: false }),
      ]),
    });
  });

  it('refuses a project name pattern that is not one', () => {
    const app = new App({ outdir, context: { 'aws:cdk:bundling-stacks': [] } });

    expect(() => new CodeBuildRunnerStack(app, 'Wide', { projectNamePattern: 'app/*' })).toThrow(
      'projectNamePattern must be a CodeBuild project name or a pattern with *',
    );
  });
});
