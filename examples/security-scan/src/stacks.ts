/**
 * The app's stacks: the SecurityScan action type with its job worker, and a pipeline that uses
 * the action (an S3 source, the scan, a manual approval that shows the scan's figures).
 * `cdk deploy SecurityScanPipeline` deploys the worker's stack first: the pipeline waits for
 * the action type's registration.
 */
import { type App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as actions from 'aws-cdk-lib/aws-codepipeline-actions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { CustomActionJobWorker } from 'codepipeline-job-worker/cdk';
import { SECURITY_SCAN_ACTION } from './action.js';
import { MAX_SIZE_PROPERTY } from './configuration.js';

/** The stacks of the app, and the worker (for tests). */
export interface SecurityScanStacks {
  readonly workerStack: Stack;
  readonly worker: CustomActionJobWorker;
  readonly pipelineStack: Stack;
}

/**
 * Adds the worker's stack and the pipeline's stack to `app`.
 *
 * @param app - the CDK app
 */
export function securityScanStacks(app: App): SecurityScanStacks {
  const workerStack = new Stack(app, 'SecurityScanWorker', {
    description: 'CodePipeline custom action Custom/Test/SecurityScan/1 and its job worker',
  });
  const worker = new CustomActionJobWorker(workerStack, 'SecurityScan', {
    ...SECURITY_SCAN_ACTION,
    entry: 'src/handler.ts',
    serviceName: 'security-scan-worker',
    metricsNamespace: 'SecurityScan',
  });

  const pipelineStack = new Stack(app, 'SecurityScanPipeline', {
    description: 'A pipeline that scans source.zip with the SecurityScan action before approval',
  });
  const sourceBucket = new s3.Bucket(pipelineStack, 'SourceBucket', {
    versioned: true,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    removalPolicy: RemovalPolicy.RETAIN,
  });
  const source = new codepipeline.Artifact('Source');
  const findings = new codepipeline.Artifact('Findings');
  const scan = worker.action({
    actionName: 'Scan',
    input: source,
    outputs: [findings],
    configuration: { [MAX_SIZE_PROPERTY]: '10' },
    variablesNamespace: 'Scan',
  });
  new codepipeline.Pipeline(pipelineStack, 'Pipeline', {
    stages: [
      {
        stageName: 'Source',
        actions: [
          new actions.S3SourceAction({
            actionName: 'Source',
            bucket: sourceBucket,
            bucketKey: 'source.zip',
            output: source,
          }),
        ],
      },
      { stageName: 'Scan', actions: [scan] },
      {
        stageName: 'Approve',
        actions: [
          new actions.ManualApprovalAction({
            actionName: 'Approve',
            additionalInformation: `Scanned ${scan.variable('FilesScanned')} files, ${scan.variable('ArtifactBytes')} bytes: findings in the Findings artifact`,
          }),
        ],
      },
    ],
  });
  return { workerStack, worker, pipelineStack };
}
