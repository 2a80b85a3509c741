/**
 * AWS SDK client options from the worker's SDK settings, shared by the worker's clients and
 * the artifact API's S3 client: standard retries with an explicit number of attempts, and a
 * request timeout (the SDK's defaults have none, so a silent endpoint would hang a call until
 * Lambda kills the invocation).
 */
import type { SdkSettings } from './job/processor.js';

/**
 * Options for any AWS SDK v3 client's constructor.
 *
 * @param settings - the worker's SDK settings (`ProcessingContext.sdk`)
 * @example
 * new S3Client({ ...sdkClientOptions(context.sdk), credentials });
 */
export function sdkClientOptions(settings: SdkSettings) {
  return {
    // Resolve each command's middleware stack once instead of on every request, which costs
    // CPU on every call. The cache requires that no middleware is added to a client after its
    // first request; none of these clients adds any.
    cacheMiddleware: true,
    retryMode: 'standard',
    maxAttempts: settings.maxAttempts,
    requestHandler: {
      connectionTimeout: Math.min(settings.requestTimeoutMs, 3_000),
      requestTimeout: settings.requestTimeoutMs,
      throwOnRequestTimeout: true,
    },
  } as const;
}
