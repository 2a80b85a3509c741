/**
 * AWS SDK clients with explicit retry and timeout settings: the SDK's defaults have no
 * request timeout, so a silent endpoint would hang an invocation until Lambda kills it.
 */
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { WorkerConfig } from './config.js';

/** Options shared by every client. Endpoints come from the standard `AWS_ENDPOINT_URL_*`. */
export function clientOptions(
  config: Pick<WorkerConfig, 'sdkMaxAttempts' | 'sdkRequestTimeoutMs'>,
) {
  return {
    // Resolve each command's middleware stack once instead of on every request, which costs
    // CPU on every call. The cache requires that no middleware is added to a client after its
    // first request; the worker adds none at all.
    cacheMiddleware: true,
    retryMode: 'standard',
    maxAttempts: config.sdkMaxAttempts,
    requestHandler: {
      connectionTimeout: Math.min(config.sdkRequestTimeoutMs, 3_000),
      requestTimeout: config.sdkRequestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  } as const;
}

export function createCodePipelineClient(config: WorkerConfig): CodePipelineClient {
  return new CodePipelineClient(clientOptions(config));
}

export function createDynamoDbClient(config: WorkerConfig): DynamoDBClient {
  return new DynamoDBClient(clientOptions(config));
}
