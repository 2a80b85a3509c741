/**
 * The artifact API's options and their defaults.
 */

/** Limits on what one input artifact may cost the job's temporary storage. */
export interface ArtifactLimits {
  /** Most bytes read of one input artifact's object (`open`, `download`, `extract`). */
  readonly maxInputBytes: number;
  /** Most bytes written by extracting one input artifact. */
  readonly maxExtractedBytes: number;
  /** Most entries (files, directories, links) in one input archive. */
  readonly maxEntries: number;
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/**
 * Sized so that artifacts of ordinary pipelines pass (CodePipeline's source artifacts are at
 * most 5 GB, most are far smaller) while a zip bomb or a runaway artifact stops early, before
 * it fills the function's ephemeral storage (512 MB by default, 10 GB at most), which the
 * jobs of one invocation share. Raise them together with the function's ephemeral storage.
 */
export const DEFAULT_ARTIFACT_LIMITS: ArtifactLimits = {
  maxInputBytes: 1 * GIB,
  maxExtractedBytes: 2 * GIB,
  maxEntries: 100_000,
};

/**
 * CodePipeline's artifact credentials last about 15 minutes and JobData says nothing of
 * their expiry. They are refreshed after 10: the ones a job starts with were issued when it
 * was polled, which can be a few minutes before it is processed. An expired-token answer
 * refreshes them at once in any case.
 */
export const DEFAULT_REFRESH_AFTER_MS = 10 * 60 * 1000;

/** Part size of multipart uploads; `partSizeBytes × uploadConcurrency` is held in memory. */
export const DEFAULT_PART_SIZE_BYTES = 8 * MIB;

/** Parts uploaded at once. */
export const DEFAULT_UPLOAD_CONCURRENCY = 4;

/** Options of {@link jobArtifacts}; all optional. */
export interface JobArtifactsOptions extends Partial<ArtifactLimits> {
  /** Credentials older than this are refreshed (GetJobDetails) first. @default 10 minutes */
  readonly refreshAfterMs?: number;
  /** The clock credentials' age is measured on (epoch ms). @default the context's `now` */
  readonly now?: () => number;
  /** @default `AWS_REGION` */
  readonly region?: string;
  /** An S3-compatible endpoint. @default `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL`, else AWS */
  readonly endpoint?: string;
  /** Address buckets as `endpoint/bucket`. @default true when an endpoint is configured */
  readonly forcePathStyle?: boolean;
  /** Size of each part of a multipart upload (at least 5 MiB). @default 8 MiB */
  readonly partSizeBytes?: number;
  /** Parts uploaded at once. @default 4 */
  readonly uploadConcurrency?: number;
}
