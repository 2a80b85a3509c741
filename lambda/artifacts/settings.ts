/**
 * The artifact API's options and their defaults.
 */

import { INTEGER_SETTINGS } from '../contract.js';

/**
 * Limits on what one job's input artifacts may cost its temporary storage: each is a budget
 * shared by every input of the job (every call of one `jobArtifacts` object).
 */
export interface ArtifactLimits {
  /**
   * Most bytes of input artifacts' objects the job holds on disk at once: the files
   * `download()` keeps, and the archive `extract()` downloads for itself while it extracts it
   * (removed afterwards). One stream of `open()`, which stores nothing, reads at most this
   * many bytes of its object.
   */
  readonly maxInputBytes: number;
  /**
   * Most bytes all of the job's extractions may take on disk together: the contents of their
   * files and links, and {@link ENTRY_DISK_BYTES} for each file, directory and link created.
   */
  readonly maxExtractedBytes: number;
  /**
   * Most files, directories and links all of the job's extractions create together, the
   * directories that deeper paths imply included (each is an inode of its temporary storage).
   */
  readonly maxEntries: number;
}

const MIB = 1024 * 1024;

/**
 * What each file, directory and link created by an extraction counts besides its contents:
 * one block of the file system, as a directory or a small file takes on disk.
 */
export const ENTRY_DISK_BYTES = 4096;

type Env = Readonly<Record<string, string | undefined>>;

function integerOf(raw: string | undefined, min: number, max: number): number | undefined {
  const value = Number(raw?.trim());
  return raw !== undefined && /^\s*\d+\s*$/.test(raw) && value >= min && value <= max
    ? value
    : undefined;
}

/**
 * The default limits of one job, sized from the function's ephemeral storage
 * (`EPHEMERAL_STORAGE_MIB`, which the construct sets; 512 MiB when unset) and the jobs one
 * invocation runs at once (`CONCURRENCY`; 10 when unset). Each job's share is the storage
 * divided by the concurrency, so that every job of an invocation can reach its limits at the
 * same time and all still fit: a quarter of the share for input archives on disk (downloaded,
 * or while they are extracted), half of it for the extracted trees (inodes included), a
 * quarter left for the processor's own files. Both sizes are whole MiB, rounded down.
 *
 * @param env - the function's environment
 * @example
 * defaultArtifactLimits({ EPHEMERAL_STORAGE_MIB: '512', CONCURRENCY: '10' });
 * // { maxInputBytes: 12 MiB, maxExtractedBytes: 25 MiB, maxEntries: 6400 }
 */
export function defaultArtifactLimits(env: Env = process.env): ArtifactLimits {
  const { concurrency, ephemeralStorageSize: storage } = INTEGER_SETTINGS;
  const storageMiB = integerOf(env[storage.variable], storage.min, storage.max) ?? storage.default;
  const jobs =
    integerOf(env[concurrency.variable], concurrency.min, concurrency.max) ?? concurrency.default;
  const shareMiB = storageMiB / jobs;
  const maxExtractedBytes = Math.max(1, Math.floor(shareMiB / 2)) * MIB;
  return {
    maxInputBytes: Math.max(1, Math.floor(shareMiB / 4)) * MIB,
    maxExtractedBytes,
    maxEntries: maxExtractedBytes / ENTRY_DISK_BYTES,
  };
}

/**
 * The default limits of a function with Lambda's default ephemeral storage (512 MiB) and the
 * worker's default concurrency (10). The artifact API reads the function's own settings when
 * it starts a job: see {@link defaultArtifactLimits}.
 */
export const DEFAULT_ARTIFACT_LIMITS: ArtifactLimits = defaultArtifactLimits({});

/**
 * CodePipeline's artifact credentials last about 15 minutes and JobData says nothing of
 * their expiry. Their age is counted from the answer that handed them out (the poll, or the
 * GetJobDetails of a refresh: `Job.credentialsIssuedAt`), so the wait before the processor's
 * first artifact call is in it. They are refreshed at 10 minutes: the 5 left cover a lifetime
 * AWS gives only as "about", and what one command does with them after it took them (the SDK
 * resolves credentials once per command and signs each of its retries with them: with the
 * default 3 attempts of 5 s, under half a minute; past 5 minutes only with 5 or more attempts
 * of 60 s, near the most the settings allow). An expired-token answer refreshes them at once
 * in any case, but an `uploadStream` cannot be sent again.
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
  /**
   * The clock credentials' age is measured on (epoch ms): the one `Job.credentialsIssuedAt`
   * was read on. @default the context's `now`
   */
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
