/**
 * AWS SDK clients with explicit retry and timeout settings: the SDK's defaults have no
 * request timeout, so a silent endpoint would hang an invocation until Lambda kills it.
 */
import { CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { WorkerConfig } from './config.js';
import { sdkClientOptions } from './sdk-options.js';

/** Options shared by every client. Endpoints come from the standard `AWS_ENDPOINT_URL_*`. */
export function clientOptions(
  config: Pick<WorkerConfig, 'sdkMaxAttempts' | 'sdkRequestTimeoutMs'>,
) {
  return sdkClientOptions({
    maxAttempts: config.sdkMaxAttempts,
    requestTimeoutMs: config.sdkRequestTimeoutMs,
  });
}

export function createCodePipelineClient(config: WorkerConfig): CodePipelineClient {
  return new CodePipelineClient(clientOptions(config));
}

export function createDynamoDbClient(config: WorkerConfig): DynamoDBClient {
  return new DynamoDBClient(clientOptions(config));
}
