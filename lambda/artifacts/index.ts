/**
 * The artifact API for job processors (`codepipeline-job-worker/artifacts`): read a job's
 * input artifacts and write its output artifacts in the pipeline's artifact store, with the
 * job's own credentials. A separate entry point, so that only processors that use artifacts
 * carry the S3 client in their bundle; nothing else in the worker imports it.
 *
 * @example
 * import { jobArtifacts } from 'codepipeline-job-worker/artifacts';
 *
 * const artifacts = jobArtifacts(job, context);
 * const source = await artifacts.extract();            // the job's only input, unzipped
 * await artifacts.uploadDirectory('BuildOutput', dist); // zipped, KMS-encrypted, once
 * await artifacts.writeOutput('BuildInfo', { json: { version: '1.4.2' } }); // a small one
 */

export type { JobArtifacts } from './api.js';
export {
  ArtifactError,
  type ArtifactErrorOptions,
  ArtifactFormatError,
  ArtifactLimitError,
  ArtifactNameError,
  ArtifactNotFoundError,
  ArtifactPermissionError,
  ArtifactServiceError,
  ArtifactStorageError,
  OutputArtifactError,
  UnsafeArchiveError,
} from './errors.js';
export { jobArtifacts } from './job-artifacts.js';
export { DEFAULT_JSON_PATH, DEFAULT_TEXT_PATH, type OutputContents } from './output-contents.js';
export {
  type ArtifactLimits,
  DEFAULT_ARTIFACT_LIMITS,
  DEFAULT_PART_SIZE_BYTES,
  DEFAULT_REFRESH_AFTER_MS,
  DEFAULT_UPLOAD_CONCURRENCY,
  defaultArtifactLimits,
  ENTRY_DISK_BYTES,
  type JobArtifactsOptions,
} from './settings.js';
export type { UploadResult } from './upload.js';
