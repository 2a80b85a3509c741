#!/usr/bin/env node
/**
 * The CDK app: one stack with the CodeBuildRunner custom action and its job worker.
 *
 *   npx cdk synth                                   builds of projects named app-*
 *   npx cdk synth -c projectNamePattern=release-*   builds of projects named release-*
 */
import { App } from 'aws-cdk-lib';
import { CodeBuildRunnerStack } from '../src/stack.js';

const app = new App();
const pattern: unknown = app.node.tryGetContext('projectNamePattern') ?? 'app-*';
new CodeBuildRunnerStack(app, 'CodeBuildRunnerWorker', {
  description: 'CodePipeline custom action Custom/Build/CodeBuildRunner/1 and its job worker',
  projectNamePattern: String(pattern),
});
