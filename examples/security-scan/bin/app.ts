#!/usr/bin/env node
/**
 * The CDK app: one stack with the SecurityScan custom action and its job worker.
 */
import { App, Stack } from 'aws-cdk-lib';
import { CustomActionJobWorker } from 'codepipeline-job-worker/cdk';
import { SECURITY_SCAN_ACTION } from '../src/action.js';

const app = new App();
const stack = new Stack(app, 'SecurityScanWorker', {
  description: 'CodePipeline custom action Custom/Test/SecurityScan/1 and its job worker',
});
new CustomActionJobWorker(stack, 'SecurityScan', {
  ...SECURITY_SCAN_ACTION,
  entry: 'src/handler.ts',
  serviceName: 'security-scan-worker',
  metricsNamespace: 'SecurityScan',
});
