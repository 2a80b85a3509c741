/**
 * The environment a benchmark process runs the worker in: the variables of the function in
 * the synthesized stack, plus the ones the Lambda runtime sets, so that the code takes the
 * paths it takes in Lambda (tracing on, the X-Ray SDK in Lambda mode, credentials from the
 * environment). Only the endpoints differ: they point at the local servers.
 */

/** The runtime the construct deploys (lambda.Runtime.NODEJS_24_X). */
export const LAMBDA_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';

export interface LambdaEnvironmentOptions {
  /** The function's variables in the synthesized template (tokens left out). */
  readonly functionEnvironment: Readonly<Record<string, string>>;
  readonly memoryMb: number;
  readonly tableName: string;
  readonly taskRoot: string;
  readonly codePipelineEndpoint?: string;
  readonly dynamoDbEndpoint?: string;
  /** `host:port` of the X-Ray daemon (the benchmark's UDP sink). */
  readonly xrayDaemonAddress?: string;
  /** Variables to add or replace (e.g. `CONCURRENCY`, `POWERTOOLS_TRACE_ENABLED`). */
  readonly overrides?: Readonly<Record<string, string>>;
}

/** The worker's environment in Lambda. */
export function lambdaEnvironment(options: LambdaEnvironmentOptions): Record<string, string> {
  const functionName = 'codepipeline-job-worker-bench';
  return {
    ...options.functionEnvironment,
    LEDGER_TABLE_NAME: options.tableName,
    // What the Lambda runtime sets.
    AWS_EXECUTION_ENV: LAMBDA_EXECUTION_ENV,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: functionName,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(options.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
    AWS_LAMBDA_LOG_STREAM_NAME: 'bench',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: options.taskRoot,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
    AWS_XRAY_DAEMON_ADDRESS: options.xrayDaemonAddress ?? '127.0.0.1:2000',
    // The emulator verifies signatures made with this key.
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TZ: ':UTC',
    // This machine runs Node.js 20; the function runs 24, which the SDK does not warn about.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(options.codePipelineEndpoint
      ? { AWS_ENDPOINT_URL_CODEPIPELINE: options.codePipelineEndpoint }
      : {}),
    ...(options.dynamoDbEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: options.dynamoDbEndpoint } : {}),
    ...options.overrides,
  };
}
