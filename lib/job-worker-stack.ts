import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  CustomActionJobWorker,
  type CustomActionJobWorkerProps,
} from './custom-action-job-worker.js';

/** Properties of {@link JobWorkerStack}. */
export interface JobWorkerStackProps extends StackProps {
  /** The worker to deploy: its action type, function, ledger and monitoring. */
  readonly worker: CustomActionJobWorkerProps;
}

/**
 * One CodePipeline custom action job worker and the outputs an operator needs.
 *
 * @example
 * new JobWorkerStack(app, 'CodePipelineJobWorker', {
 *   worker: { category: ActionCategory.TEST, provider: 'BakeTimeGate' },
 * });
 */
export class JobWorkerStack extends Stack {
  /** The worker this stack deploys. */
  public readonly worker: CustomActionJobWorker;

  constructor(scope: Construct, id: string, props: JobWorkerStackProps) {
    super(scope, id, props);
    this.worker = new CustomActionJobWorker(this, 'Worker', props.worker);

    new CfnOutput(this, 'ActionType', {
      description: 'Owner/Category/Provider/Version to use in a pipeline action',
      value: this.worker.actionTypeLabel,
    });
    new CfnOutput(this, 'FunctionName', {
      description: 'The worker Lambda function',
      value: this.worker.workerFunction.functionName,
    });
    new CfnOutput(this, 'LedgerTableName', {
      description: 'The DynamoDB nonce ledger',
      value: this.worker.ledgerTable.tableName,
    });
    new CfnOutput(this, 'DashboardUrl', {
      description: 'The CloudWatch dashboard of the worker',
      value: this.worker.dashboardUrl,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Failed invocations and undeliverable events',
      value: this.worker.deadLetterQueue.queueUrl,
    });
  }
}
