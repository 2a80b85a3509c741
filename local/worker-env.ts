/**
 * The environment the deployed Lambda gets, pointed at local endpoints; and the real
 * handler, imported only once that environment is in place (it reads it at cold start).
 */
import { readFileSync } from 'node:fs';
import {
  type ActionCategory,
  type ActionConfigurationPropertyType,
  type CodePipelineClient,
  CreateCustomActionTypeCommand,
} from '@aws-sdk/client-codepipeline';
import type { Context } from 'aws-lambda';

export interface LocalEndpoints {
  readonly codePipeline: string;
  readonly dynamoDb: string;
}

interface ContextProperty {
  readonly name: string;
  readonly required: boolean;
  readonly key?: boolean;
  readonly secret?: boolean;
  readonly queryable?: boolean;
  readonly description?: string;
  readonly type?: ActionConfigurationPropertyType;
}

const context = (
  JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context: {
      actionCategory: ActionCategory;
      actionProvider: string;
      actionVersion: string;
      configurationProperties: ContextProperty[];
      minInputArtifacts: number;
      maxInputArtifacts: number;
      minOutputArtifacts: number;
      maxOutputArtifacts: number;
    };
  }
).context;

/** The demo action type: the one the CDK app deploys by default (from `cdk.json`). */
export const DEMO_ACTION_TYPE = {
  owner: 'Custom',
  category: context.actionCategory,
  provider: context.actionProvider,
  version: context.actionVersion,
} as const;

/** Its configuration properties, as `cdk.json` declares them. */
export const DEMO_PROPERTIES = context.configurationProperties.map((property) => ({
  key: false,
  secret: false,
  queryable: false,
  ...property,
}));

/** Registers the demo action type through `CreateCustomActionType`, as `cdk deploy` would. */
export async function registerDemoActionType(client: CodePipelineClient): Promise<void> {
  await client.send(
    new CreateCustomActionTypeCommand({
      category: DEMO_ACTION_TYPE.category,
      provider: DEMO_ACTION_TYPE.provider,
      version: DEMO_ACTION_TYPE.version,
      configurationProperties: DEMO_PROPERTIES,
      inputArtifactDetails: {
        minimumCount: context.minInputArtifacts,
        maximumCount: context.maxInputArtifacts,
      },
      outputArtifactDetails: {
        minimumCount: context.minOutputArtifacts,
        maximumCount: context.maxOutputArtifacts,
      },
    }),
  );
}

/**
 * Sets the worker's environment variables (as the CDK stack sets them) and the standard AWS
 * SDK variables that point its clients at local endpoints with dummy credentials.
 */
export function setWorkerEnvironment(
  endpoints: LocalEndpoints,
  tableName: string,
  overrides: Record<string, string> = {},
): void {
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_CODEPIPELINE: endpoints.codePipeline,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ACTION_CATEGORY: DEMO_ACTION_TYPE.category,
    ACTION_PROVIDER: DEMO_ACTION_TYPE.provider,
    ACTION_VERSION: DEMO_ACTION_TYPE.version,
    LEDGER_TABLE_NAME: tableName,
    SECRET_CONFIGURATION_KEYS: DEMO_PROPERTIES.filter((p) => p.secret)
      .map((p) => p.name)
      .join(','),
    POWERTOOLS_SERVICE_NAME: 'codepipeline-job-worker',
    POWERTOOLS_METRICS_NAMESPACE: 'CodePipelineJobWorker',
    POWERTOOLS_TRACE_ENABLED: 'false',
    ...overrides,
  });
}

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

/** Imports the sample's real entry module (`lambda/handlers/bake-time-gate.ts`), unchanged. */
export async function importHandler(): Promise<LambdaHandler> {
  const module = (await import('../lambda/handlers/bake-time-gate.js')) as {
    handler: LambdaHandler;
  };
  return module.handler;
}

export { localContext, scheduledEvent } from './lambda-runtime.js';
