#!/usr/bin/env node
/**
 * The CDK app: reads the worker's configuration from CDK context (cdk.json, `-c key=value`),
 * builds the stack and runs the cdk-nag AwsSolutions and Serverless packs on every synth.
 * Every unusable context value is reported as an error of `cdk synth`, all at once.
 * `-c jobProcessor=artifact-policy` deploys the artifact policy sample with its own action
 * type, stack and service names instead of the bake-time gate's.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { JobWorkerStack } from '../lib/job-worker-stack.js';
import { addNagChecks } from '../lib/nag.js';
import { readWorkerContext } from '../lib/worker-context.js';

const app = new App();
// cdk.json's own context, to tell its values (which configure its jobProcessor) from -c ones.
const cdkJson = (
  JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context?: Record<string, unknown>;
  }
).context;
const config = readWorkerContext(app.node, { cdkJson });
new JobWorkerStack(app, config.stackName, {
  description: `CodePipeline custom action job worker (${config.worker.category}/${config.worker.provider})`,
  worker: config.worker,
  problems: config.problems,
});
addNagChecks(app);
