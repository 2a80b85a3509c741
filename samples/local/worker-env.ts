/**
 * The sample's worker environment, pointed at local endpoints, for this repository's tests
 * and scripts; and the sample's real handler, imported only once that environment is in place
 * (it reads it at cold start).
 */
import {
  type CodePipelineClient,
  CreateCustomActionTypeCommand,
} from '@aws-sdk/client-codepipeline';
import { importEntryHandler, type LambdaHandler } from '../../local/runner/load-handler.js';
import { applyEnvironment, workerEnvironment } from '../../local/runner/worker-environment.js';
import {
  SAMPLE_ACTION_TYPE,
  SAMPLE_ENTRY,
  SAMPLE_LOCAL_ACTION_TYPE,
  SAMPLE_PROPERTIES,
} from './sample.js';

export type { LambdaHandler } from '../../local/runner/load-handler.js';
export type { LocalEndpoints } from '../../local/runner/worker-environment.js';

/** The demo action type: the one the CDK app deploys by default (from `cdk.json`). */
export const DEMO_ACTION_TYPE = SAMPLE_ACTION_TYPE;

/** Its configuration properties, as `cdk.json` declares them. */
export const DEMO_PROPERTIES = SAMPLE_PROPERTIES;

/** Registers the demo action type through `CreateCustomActionType`, as `cdk deploy` would. */
export async function registerDemoActionType(client: CodePipelineClient): Promise<void> {
  await client.send(
    new CreateCustomActionTypeCommand({
      category: DEMO_ACTION_TYPE.category,
      provider: DEMO_ACTION_TYPE.provider,
      version: DEMO_ACTION_TYPE.version,
      configurationProperties: DEMO_PROPERTIES,
      inputArtifactDetails: {
        minimumCount: SAMPLE_LOCAL_ACTION_TYPE.minInputArtifacts ?? 0,
        maximumCount: SAMPLE_LOCAL_ACTION_TYPE.maxInputArtifacts ?? 1,
      },
      outputArtifactDetails: {
        minimumCount: SAMPLE_LOCAL_ACTION_TYPE.minOutputArtifacts ?? 0,
        maximumCount: SAMPLE_LOCAL_ACTION_TYPE.maxOutputArtifacts ?? 0,
      },
    }),
  );
}

/**
 * Sets the sample worker's environment variables (as the CDK stack sets them) and the
 * standard AWS SDK variables that point its clients at local endpoints with dummy
 * credentials. Tests restore `process.env` themselves.
 */
export function setWorkerEnvironment(
  endpoints: { readonly codePipeline: string; readonly dynamoDb: string },
  tableName: string,
  overrides: Record<string, string> = {},
): void {
  applyEnvironment({
    ...workerEnvironment({
      endpoints,
      actionType: DEMO_ACTION_TYPE,
      tableName,
      secretKeys: DEMO_PROPERTIES.filter((p) => p.secret).map((p) => p.name),
    }),
    ...overrides,
  });
}

/** Imports the sample's real entry module (`samples/handlers/bake-time-gate.ts`), unchanged. */
export function importHandler(): Promise<LambdaHandler> {
  return importEntryHandler(SAMPLE_ENTRY, 'handler');
}

export { localContext, scheduledEvent } from '../../local/lambda-runtime.js';
