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

/**
 * The CodePipeline client, in the standard retry mode, like the DynamoDB client: the SDK's
 * standard retries already back off from a higher base after throttling (and spend less of
 * the retry quota on it), and a report that still fails is sent again by the worker, with
 * jitter, until the invocation's report deadline. The adaptive mode is not used: AWS
 * recommends it only for latency-tolerant clients, and its client-side rate limiter, once a
 * single call is throttled, makes every later call of the client wait for a token: one job's
 * throttled report would hold back the acknowledgements of the others (each due within about
 * 30 s of its dispatch) and the invocation's polls, past its deadline.
 */
export function createCodePipelineClient(config: WorkerConfig): CodePipelineClient {
  return new CodePipelineClient(clientOptions(config));
}

/** The DynamoDB client, in the standard retry mode AWS recommends by default. */
export function createDynamoDbClient(config: WorkerConfig): DynamoDBClient {
  return new DynamoDBClient(clientOptions(config));
}
