import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { securityScanStacks } from '../src/stacks.js';

// Bundling skipped: the pipeline is what these tests read (`cdk synth` bundles for real).
const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const { pipelineStack, workerStack } = securityScanStacks(app);
const template = Template.fromStack(pipelineStack);

describe('the pipeline', () => {
  it('holds the SecurityScan action as declared, between the source and the approval', () => {
    const [pipeline] = Object.values(template.findResources('AWS::CodePipeline::Pipeline'));
    const stages = pipeline?.Properties.Stages as { Name: string; Actions: unknown[] }[];

    expect(stages.map((stage) => stage.Name)).toEqual(['Source', 'Scan', 'Approve']);
    expect(stages[1]?.Actions).toEqual([
      {
        Name: 'Scan',
        ActionTypeId: { Owner: 'Custom', Category: 'Test', Provider: 'SecurityScan', Version: '1' },
        Configuration: { MaxSizeMB: '10' },
        InputArtifacts: [{ Name: 'Source' }],
        OutputArtifacts: [{ Name: 'Findings' }],
        Namespace: 'Scan',
        RunOrder: 1,
      },
    ]);
  });

  it("shows the scan's output variables in the approval", () => {
    template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        Match.objectLike({
          Name: 'Approve',
          Actions: [
            Match.objectLike({
              Configuration: {
                CustomData:
                  'Scanned #{Scan.FilesScanned} files, #{Scan.ArtifactBytes} bytes: findings in the Findings artifact',
              },
            }),
          ],
        }),
      ]),
    });
  });

  it("is deployed after the worker's stack, which registers the action type", () => {
    expect(pipelineStack.dependencies).toContain(workerStack);
  });

  it('synthesizes without an error', () => {
    expect(Annotations.fromStack(pipelineStack).findError('*', Match.anyValue())).toEqual([]);
  });
});
