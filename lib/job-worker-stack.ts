import { Annotations, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import {
  CustomActionJobWorker,
  type CustomActionJobWorkerProps,
} from './custom-action-job-worker.js';

/** Properties of {@link JobWorkerStack}. */
export interface JobWorkerStackProps extends StackProps {
  /** The worker to deploy: its action type, function, ledger and monitoring. */
  readonly worker: CustomActionJobWorkerProps;
  /**
   * Problems found in the configuration before the worker is built (context values that
   * cannot be used). Each is reported as an error of `cdk synth`, and the worker is not built.
   * @default - none
   */
  readonly problems?: readonly string[];
}

/**
 * One CodePipeline custom action job worker and the outputs an operator needs.
 *
 * @example
 * new JobWorkerStack(app, 'CodePipelineJobWorker', {
 *   worker: { category: ActionCategory.TEST, provider: 'BakeTimeGate', entry: 'src/handler.ts' },
 * });
 */
export class JobWorkerStack extends Stack {
  /** The worker this stack deploys; undefined when the configuration had problems. */
  public readonly worker?: CustomActionJobWorker;

  constructor(scope: Construct, id: string, props: JobWorkerStackProps) {
    super(scope, id, props);
    const problems = props.problems ?? [];
    if (problems.length > 0) {
      for (const problem of problems) Annotations.of(this).addError(problem);
      return;
    }
    const worker = new CustomActionJobWorker(this, 'Worker', props.worker);
    this.worker = worker;

    new CfnOutput(this, 'ActionType', {
      description: 'Owner/Category/Provider/Version to use in a pipeline action',
      value: worker.actionTypeLabel,
    });
    new CfnOutput(this, 'FunctionName', {
      description: 'The worker Lambda function',
      value: worker.workerFunction.functionName,
    });
    new CfnOutput(this, 'LedgerTableName', {
      description: 'The DynamoDB nonce ledger',
      value: worker.ledgerTable.tableName,
    });
    if (worker.dashboardUrl) {
      new CfnOutput(this, 'DashboardUrl', {
        description: 'The CloudWatch dashboard of the worker',
        value: worker.dashboardUrl,
      });
    }
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Failed invocations and undeliverable events',
      value: worker.deadLetterQueue.queueUrl,
    });
  }
}
