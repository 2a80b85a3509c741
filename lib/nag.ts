import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import type { Construct } from 'constructs';

/**
 * Runs the cdk-nag AwsSolutions and Serverless packs on every synth of `app`. Findings are
 * fixed in the constructs or acknowledged there, one by one, with `Validations.acknowledge`.
 *
 * @param app - the App (or Stage): cdk-nag v3 packs are CDK validation plugins
 */
export function addNagChecks(app: Construct): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
}
