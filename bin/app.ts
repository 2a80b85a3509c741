#!/usr/bin/env node
/**
 * The CDK app: reads the worker's configuration from CDK context (cdk.json, `-c key=value`),
 * builds the stack and runs the cdk-nag AwsSolutions and Serverless packs on every synth.
 * Every unusable context value is reported as an error of `cdk synth`, all at once.
 */
import { App } from 'aws-cdk-lib';
import { JobWorkerStack } from '../lib/job-worker-stack.js';
import { addNagChecks } from '../lib/nag.js';
import { readWorkerContext } from '../lib/worker-context.js';

const app = new App();
const config = readWorkerContext(app.node);
new JobWorkerStack(app, config.stackName, {
  description: `CodePipeline custom action job worker (${config.worker.category}/${config.worker.provider})`,
  worker: config.worker,
  problems: config.problems,
});
addNagChecks(app);
