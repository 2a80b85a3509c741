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
import { readWorkerContext } from '../samples/worker-context.js';

/**
 * aws-cdk-lib announces every asset it bundles with a line on stderr, which the CLI prints as
 * an error even with `--quiet`: that line alone is dropped, so a clean synth prints nothing.
 * Everything else written to stderr (esbuild's own errors and warnings included) still is.
 */
function dropBundlingNotices(): void {
  const write = process.stderr.write.bind(process.stderr);
  const notice = /^Bundling asset \S+\.\.\.\r?\n$/;
  process.stderr.write = ((chunk: unknown, ...rest: unknown[]) =>
    typeof chunk === 'string' && notice.test(chunk)
      ? true
      : (write as (...args: unknown[]) => boolean)(chunk, ...rest)) as typeof process.stderr.write;
}

dropBundlingNotices();
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
