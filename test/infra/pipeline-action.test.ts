import { App, SecretValue, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CustomActionJobWorker,
  type CustomActionJobWorkerProps,
} from '../../lib/custom-action-job-worker.js';
import type { JobWorkerAction, JobWorkerActionProps } from '../../lib/pipeline-action.js';
import { SAMPLE_ENTRY } from './synth.js';

const SCAN: CustomActionJobWorkerProps = {
  category: codepipeline.ActionCategory.TEST,
  provider: 'SecurityScan',
  version: '2',
  entry: SAMPLE_ENTRY,
  configurationProperties: [
    { name: 'Severity', required: true, key: true },
    { name: 'ApiToken', required: false, secret: true },
    { name: 'Paths', required: false },
  ],
  minInputArtifacts: 1,
  maxInputArtifacts: 1,
  minOutputArtifacts: 0,
  maxOutputArtifacts: 1,
};

/** A stack with the worker, and a pipeline: an S3 source, then `make(worker, source)`. */
function pipelineWith(
  make: (worker: CustomActionJobWorker, source: codepipeline.Artifact) => JobWorkerAction,
  workerProps: Partial<CustomActionJobWorkerProps> = {},
) {
  // Bundling skipped: the worker's function is not what these tests read.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Pipeline');
  const worker = new CustomActionJobWorker(stack, 'Scan', { ...SCAN, ...workerProps });
  const source = new codepipeline.Artifact('Source');
  const action = make(worker, source);
  const pipeline = new codepipeline.Pipeline(stack, 'Pipeline', {
    stages: [
      {
        stageName: 'Source',
        actions: [
          new actions.S3SourceAction({
            actionName: 'Source',
            bucket: new s3.Bucket(stack, 'SourceBucket', { versioned: true }),
            bucketKey: 'source.zip',
            output: source,
          }),
        ],
      },
      { stageName: 'Test', actions: [action] },
    ],
  });
  return { app, stack, worker, action, pipeline };
}

/** The error annotations `cdk synth` reports for the stack, one string each. */
function synthErrors(stack: Stack): string[] {
  return Annotations.fromStack(stack)
    .findError('*', Match.anyValue())
    .map((m) => String(m.entry.data));
}

const scanAction = (props: Partial<JobWorkerActionProps>) =>
  pipelineWith((worker, source) =>
    worker.action({
      actionName: 'Scan',
      input: source,
      configuration: { Severity: 'HIGH' },
      ...props,
    }),
  );

describe('CustomActionJobWorker.action in a pipeline', () => {
  // The first synth loads aws-cdk-lib's modules: slow on a loaded machine, so not in a test.
  beforeAll(() => {
    Template.fromStack(scanAction({}).stack);
  }, 120_000);

  it('is the action type in the pipeline template, with its configuration and artifacts', () => {
    const findings = new codepipeline.Artifact('Findings');
    const { stack } = scanAction({
      outputs: [findings],
      configuration: { Severity: 'HIGH', Paths: 'src/' },
      runOrder: 2,
    });

    expect(synthErrors(stack)).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        {
          Name: 'Test',
          Actions: [
            {
              Name: 'Scan',
              ActionTypeId: {
                Owner: 'Custom',
                Category: 'Test',
                Provider: 'SecurityScan',
                Version: '2',
              },
              Configuration: { Severity: 'HIGH', Paths: 'src/' },
              InputArtifacts: [{ Name: 'Source' }],
              OutputArtifacts: [{ Name: 'Findings' }],
              RunOrder: 2,
            },
          ],
        },
      ]),
    });
  });

  it("makes the pipeline depend on the action type's registration", () => {
    const { stack, worker } = scanAction({});
    const template = Template.fromStack(stack);
    const [typeId] = Object.keys(template.findResources('AWS::CodePipeline::CustomActionType'));

    expect(typeId).toBe(stack.getLogicalId(worker.registration?.node.defaultChild as never));
    template.hasResource('AWS::CodePipeline::Pipeline', {
      DependsOn: Match.arrayWith([typeId]),
    });
  });

  describe('of a worker that polls the type another worker registers', () => {
    // Two workers of one type poll for different values of its queryable property.
    const polled: Partial<CustomActionJobWorkerProps> = {
      configurationProperties: [
        { name: 'Severity', required: true, key: true },
        { name: 'Stage', required: true, queryable: true },
      ],
      queryParam: { Stage: 'prod' },
    };
    const second = (
      first: CustomActionJobWorker,
      props: Partial<CustomActionJobWorkerProps> = {},
    ) =>
      new CustomActionJobWorker(first, 'Second', {
        ...SCAN,
        ...polled,
        registeredBy: first,
        queryParam: { Stage: 'dev' },
        serviceName: 'second',
        ...props,
      });

    it("waits for the registering worker's registration, and polls its own value", () => {
      const { stack } = pipelineWith(
        (first, source) =>
          second(first).action({
            actionName: 'Scan',
            input: source,
            configuration: { Severity: 'LOW' },
          }),
        polled,
      );
      const template = Template.fromStack(stack);
      const typeIds = Object.keys(template.findResources('AWS::CodePipeline::CustomActionType'));

      expect(synthErrors(stack)).toEqual([]);
      expect(typeIds).toHaveLength(1);
      template.hasResource('AWS::CodePipeline::Pipeline', {
        DependsOn: Match.arrayWith(typeIds),
        Properties: {
          Stages: Match.arrayWith([
            Match.objectLike({
              Actions: [Match.objectLike({ Configuration: { Severity: 'LOW', Stage: 'dev' } })],
            }),
          ]),
        },
      });
    });

    it("counts artifacts against the registering worker's bounds", () => {
      const { stack } = pipelineWith(
        (first) =>
          second(first, { minInputArtifacts: 0 }).action({
            actionName: 'Scan',
            configuration: { Severity: 'LOW' },
          }),
        polled,
      );

      expect(synthErrors(stack)).toEqual([
        'inputs must hold 1 artifacts, as Custom/Test/SecurityScan/2 takes (got 0)',
      ]);
    });
  });

  it('takes a secret property as a reference that CloudFormation resolves', () => {
    const { stack } = scanAction({
      configuration: {
        Severity: 'HIGH',
        ApiToken: SecretValue.secretsManager('scan-token').unsafeUnwrap(),
      },
    });

    expect(synthErrors(stack)).toEqual([]);
    Template.fromStack(stack).hasResourceProperties('AWS::CodePipeline::Pipeline', {
      Stages: Match.arrayWith([
        Match.objectLike({
          Actions: [
            Match.objectLike({
              Configuration: {
                Severity: 'HIGH',
                ApiToken: '{{resolve:secretsmanager:scan-token:SecretString:::}}',
              },
            }),
          ],
        }),
      ]),
    });
  });

  it.each<[string, Partial<JobWorkerActionProps>, string]>([
    [
      'a required property left out',
      { configuration: { Paths: 'src/' } },
      "configuration must give 'Severity', a required property of Custom/Test/SecurityScan/2",
    ],
    [
      'an unknown property',
      { configuration: { Severity: 'HIGH', Pahts: 'src/' } },
      "configuration property 'Pahts' is not one of Custom/Test/SecurityScan/2's (Severity, ApiToken, Paths): did you mean 'Paths'?",
    ],
    [
      'an unknown property like none of them',
      { configuration: { Severity: 'HIGH', Threshold: '3' } },
      "configuration property 'Threshold' is not one of Custom/Test/SecurityScan/2's (Severity, ApiToken, Paths)",
    ],
    [
      'no input artifact for a type that takes one',
      { input: undefined },
      'inputs must hold 1 artifacts, as Custom/Test/SecurityScan/2 takes (got 0)',
    ],
    [
      'two output artifacts for a type that takes at most one',
      { outputs: [new codepipeline.Artifact('A'), new codepipeline.Artifact('B')] },
      'outputs must hold 0 to 1 artifacts, as Custom/Test/SecurityScan/2 takes (got 2)',
    ],
  ])('fails synth with one line for %s', (_name, props, message) => {
    const { stack } = scanAction(props);

    expect(synthErrors(stack)).toEqual([message]);
  });

  it('fails synth with one line for a misspelt prop, which an app run unchecked would drop', () => {
    const { stack } = pipelineWith((worker, source) =>
      worker.action({
        actionName: 'Scan',
        input: source,
        configuration: { Severity: 'HIGH' },
        runOrdr: 2,
      } as JobWorkerActionProps),
    );

    expect(synthErrors(stack)).toEqual([
      "runOrdr is not a prop of an action (actionName, runOrder, variablesNamespace, input, inputs, outputs, configuration): did you mean 'runOrder'?",
    ]);
  });

  it('fails synth with one line for both input and inputs', () => {
    const { stack } = pipelineWith((worker, source) =>
      worker.action({
        actionName: 'Scan',
        input: source,
        inputs: [source],
        configuration: { Severity: 'HIGH' },
      }),
    );

    expect(synthErrors(stack)).toEqual(['input must not be given with inputs: give one of them']);
  });

  it('fails synth for a secret property given as plain text, saying where it would show and what to give', () => {
    const { stack } = scanAction({
      configuration: { Severity: 'HIGH', ApiToken: 'hunter2-token' },
    });
    const errors = synthErrors(stack);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^configuration property 'ApiToken' is secret but given as plain text, which would be written into the CloudFormation template .*SecretValue\.secretsManager/,
    );
    expect(errors[0]).not.toContain('\n');
  });

  it('takes a hand-written Secrets Manager dynamic reference for a secret property', () => {
    const { stack } = scanAction({
      configuration: { Severity: 'HIGH', ApiToken: '{{resolve:secretsmanager:scan-token}}' },
    });

    expect(synthErrors(stack)).toEqual([]);
  });

  it('reports every problem at once, each on its own line', () => {
    const { stack } = scanAction({
      input: undefined,
      configuration: { Severty: 'HIGH', ApiToken: 'hunter2-token' },
    });

    expect(synthErrors(stack)).toEqual([
      "configuration must give 'Severity', a required property of Custom/Test/SecurityScan/2",
      "configuration property 'Severty' is not one of Custom/Test/SecurityScan/2's (Severity, ApiToken, Paths): did you mean 'Severity'?",
      expect.stringMatching(/^configuration property 'ApiToken' is secret but given as plain text/),
      'inputs must hold 1 artifacts, as Custom/Test/SecurityScan/2 takes (got 0)',
    ]);
  });

  describe('a queryable property', () => {
    const polled: Partial<CustomActionJobWorkerProps> = {
      configurationProperties: [
        { name: 'Severity', required: true, key: true },
        { name: 'Stage', required: true, queryable: true },
      ],
      queryParam: { Stage: 'prod' },
    };
    const withStage = (configuration: Record<string, string>) =>
      pipelineWith(
        (worker, source) => worker.action({ actionName: 'Scan', input: source, configuration }),
        polled,
      );

    it('left out, takes the value the worker polls for', () => {
      const { stack } = withStage({ Severity: 'HIGH' });

      expect(synthErrors(stack)).toEqual([]);
      Template.fromStack(stack).hasResourceProperties('AWS::CodePipeline::Pipeline', {
        Stages: Match.arrayWith([
          Match.objectLike({
            Actions: [Match.objectLike({ Configuration: { Severity: 'HIGH', Stage: 'prod' } })],
          }),
        ]),
      });
    });

    it('given another value than the worker polls for, fails synth: no job would reach it', () => {
      const { stack } = withStage({ Severity: 'HIGH', Stage: 'dev' });

      expect(synthErrors(stack)).toEqual([
        "configuration property 'Stage' must be 'prod', the value Pipeline/Scan polls for (got 'dev'): no job of this action would reach it",
      ]);
    });

    it('given a value CodePipeline refuses, fails synth', () => {
      const { stack } = withStage({ Severity: 'HIGH', Stage: 'prod/eu' });

      expect(synthErrors(stack)).toEqual([
        `configuration property 'Stage' is queryable, so CodePipeline takes 1-20 characters of [A-Za-z0-9_-] for it (got "prod/eu")`,
      ]);
    });
  });

  describe('variable', () => {
    it("is the expression of the action's output variable in its own namespace", () => {
      let scan: JobWorkerAction | undefined;
      const { stack } = pipelineWith((worker, source) => {
        scan = worker.action({
          actionName: 'Scan',
          input: source,
          configuration: { Severity: 'HIGH' },
          variablesNamespace: 'ScanVars',
        });
        return scan;
      });

      expect(stack.resolve(scan?.variable('Findings'))).toBe('#{ScanVars.Findings}');
      Template.fromStack(stack).hasResourceProperties('AWS::CodePipeline::Pipeline', {
        Stages: Match.arrayWith([
          Match.objectLike({ Actions: [Match.objectLike({ Namespace: 'ScanVars' })] }),
        ]),
      });
    });

    it.each([
      ['before', true],
      ['after', false],
    ])(
      'fails synth for a name no processor can return, read %s the action is added',
      (_when, before) => {
        let scan: JobWorkerAction | undefined;
        const { stack } = pipelineWith((worker, source) => {
          scan = worker.action({
            actionName: 'Scan',
            input: source,
            configuration: { Severity: 'HIGH' },
          });
          if (before) scan.variable('Files scanned');
          return scan;
        });
        if (!before) scan?.variable('Files scanned');

        expect(synthErrors(stack)).toEqual([
          'variable name "Files scanned" is not one a processor can return: use only letters, digits and @ - _',
        ]);
      },
    );

    it('gives the action a namespace of its own when it has none and a variable is read', () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Pipeline');
      const worker = new CustomActionJobWorker(stack, 'Scan', SCAN);
      const source = new codepipeline.Artifact('Source');
      const scan = worker.action({
        actionName: 'Scan',
        input: source,
        configuration: { Severity: 'HIGH' },
      });
      const approve = new actions.ManualApprovalAction({
        actionName: 'Approve',
        additionalInformation: `Findings: ${scan.variable('Findings')}`,
      });
      new codepipeline.Pipeline(stack, 'Pipeline', {
        stages: [
          {
            stageName: 'Source',
            actions: [
              new actions.S3SourceAction({
                actionName: 'Source',
                bucket: new s3.Bucket(stack, 'SourceBucket', { versioned: true }),
                bucketKey: 'source.zip',
                output: source,
              }),
            ],
          },
          { stageName: 'Test', actions: [scan] },
          { stageName: 'Approve', actions: [approve] },
        ],
      });
      const template = Template.fromStack(stack);

      template.hasResourceProperties('AWS::CodePipeline::Pipeline', {
        Stages: Match.arrayWith([
          Match.objectLike({
            Name: 'Test',
            Actions: [Match.objectLike({ Namespace: 'Test_Scan_NS' })],
          }),
          Match.objectLike({
            Name: 'Approve',
            Actions: [
              Match.objectLike({
                Configuration: { CustomData: 'Findings: #{Test_Scan_NS.Findings}' },
              }),
            ],
          }),
        ]),
      });
    });
  });
});
