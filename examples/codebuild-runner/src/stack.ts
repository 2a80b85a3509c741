/**
 * The stack: the CodeBuildRunner action type and its job worker, allowed to start, read and
 * stop the builds of the projects named by `projectNamePattern`, with links to CodeBuild's
 * console.
 * Only the app and the tests import this module (it brings aws-cdk-lib).
 */
import { Aws, Stack, type StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { CustomActionJobWorker } from 'codepipeline-job-worker/cdk';
import type { Construct } from 'constructs';
import { CODEBUILD_RUNNER_ACTION } from './action.js';
import { PROJECT_NAME_PROPERTY } from './configuration.js';

/** A project name, or a pattern of them with `*` (IAM's wildcard). */
const PROJECT_NAME_PATTERN = /^[A-Za-z0-9*][A-Za-z0-9_*-]{0,254}$/;

export interface CodeBuildRunnerStackProps extends StackProps {
  /**
   * The CodeBuild projects the action may build, by name or pattern (`app-*`): the worker is
   * allowed to start, read and stop builds of these, in the stack's account and region, and no
   * others.
   */
  readonly projectNamePattern: string;
}

export class CodeBuildRunnerStack extends Stack {
  readonly worker: CustomActionJobWorker;

  constructor(scope: Construct, id: string, props: CodeBuildRunnerStackProps) {
    super(scope, id, props);
    const { projectNamePattern } = props;
    if (!PROJECT_NAME_PATTERN.test(projectNamePattern)) {
      throw new Error(
        `projectNamePattern must be a CodeBuild project name or a pattern with * (1-255 letters, digits, -, _ and *), not '${projectNamePattern}'`,
      );
    }
    const projects = this.formatArn({
      service: 'codebuild',
      resource: 'project',
      resourceName: projectNamePattern,
    });
    const codebuildConsole = 'https://console.aws.amazon.com/codesuite/codebuild';
    const project = `{Config:${PROJECT_NAME_PROPERTY}}`;

    this.worker = new CustomActionJobWorker(this, 'CodeBuildRunner', {
      ...CODEBUILD_RUNNER_ACTION,
      entry: 'src/handler.ts',
      serviceName: 'codebuild-runner-worker',
      metricsNamespace: 'CodeBuildRunner',
      // The processor's own calls, on the projects it may build and nothing else: StartBuild
      // in the first job, BatchGetBuilds in each check, StopBuild in `cancel`.
      policyStatements: [
        new iam.PolicyStatement({
          actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds', 'codebuild:StopBuild'],
          resources: [projects],
        }),
      ],
      // The action's Details link: the build the job reported as its external execution id.
      executionUrlTemplate: `${codebuildConsole}/projects/${project}/build/{ExternalExecutionId}/?region=${Aws.REGION}`,
      // The link on the action itself: the project's build history.
      entityUrlTemplate: `${codebuildConsole}/projects/${project}/history?region=${Aws.REGION}`,
    });
  }
}
