/**
 * The S3 client of one job's artifacts: the job's credentials, the worker's SDK settings,
 * the function's region, and path-style addressing when a custom endpoint is configured.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { SdkSettings } from '../job/processor.js';
import { sdkClientOptions } from '../sdk-options.js';
import type { JobCredentials } from './credentials.js';

/** What the artifact S3 client is built from. */
export interface ArtifactClientSettings {
  readonly credentials: JobCredentials;
  readonly sdk: SdkSettings;
  /** @default `AWS_REGION`, else `AWS_DEFAULT_REGION` */
  readonly region?: string;
  /** @default `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else S3's own endpoint */
  readonly endpoint?: string;
  /** @default true when an endpoint is configured, else false */
  readonly forcePathStyle?: boolean;
}

/** The endpoint the standard environment variables configure for S3, if any. */
export function configuredEndpoint(
  env: Readonly<Record<string, string | undefined>> = process.env,
): string | undefined {
  return env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * Builds the client. S3-compatible servers (and local stand-ins) are addressed as
 * `endpoint/bucket/key`: virtual-hosted names (`bucket.endpoint`) need DNS they do not have.
 */
export function createArtifactClient(settings: ArtifactClientSettings): S3Client {
  const endpoint = settings.endpoint ?? configuredEndpoint();
  return new S3Client({
    ...sdkClientOptions(settings.sdk),
    region: settings.region ?? (process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION),
    credentials: settings.credentials.provider(),
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: settings.forcePathStyle ?? endpoint !== undefined,
  });
}
