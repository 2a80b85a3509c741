/**
 * codepipeline-job-worker, the infrastructure side: the CDK construct that deploys a
 * CodePipeline custom action with its serverless job worker.
 *
 * @example
 * import { CustomActionJobWorker } from 'codepipeline-job-worker/cdk';
 *
 * new CustomActionJobWorker(this, 'SecurityScan', {
 *   category: codepipeline.ActionCategory.TEST,
 *   provider: 'SecurityScan',
 *   entry: 'src/handler.ts',
 * });
 */
export type { ActionTypeIdentity, ArtifactBounds } from './action-type.js';
export { CustomActionJobWorker } from './custom-action-job-worker.js';
export type {
  CustomActionJobWorkerProps,
  ICustomActionJobWorker,
  LedgerEncryption,
  WorkerLogLevel,
} from './custom-action-job-worker-props.js';
export { MissingPeerDependencyError, type OptionalPeer } from './optional-peer.js';
export { JobWorkerAction, type JobWorkerActionProps } from './pipeline-action.js';
export type { WorkerAlarmName } from './worker-monitoring.js';
