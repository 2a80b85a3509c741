/**
 * The artifact API's errors. Each is a {@link JobFailureError}: thrown out of a processor, it
 * fails the job with the failure type that says what went wrong. Messages name the artifact
 * and never carry credentials, signatures or request dumps.
 */
import { type FailureType, JobFailureError } from '../job/outcome.js';

/** Options of the artifact API's errors: `cause`, and the artifact concerned. */
export interface ArtifactErrorOptions extends ErrorOptions {
  /** The input or output artifact concerned, by its pipeline name. */
  readonly artifactName?: string;
}

/** Base of the artifact API's errors. */
export class ArtifactError extends JobFailureError {
  /** The input or output artifact concerned, when there is one. */
  readonly artifactName: string | undefined;

  constructor(failureType: FailureType, message: string, options: ArtifactErrorOptions = {}) {
    super(failureType, message, options);
    this.name = 'ArtifactError';
    this.artifactName = options.artifactName;
  }
}

/** The job declares no artifact of that name, or "the only one" is asked of several or none (`ConfigurationError`). */
export class ArtifactNameError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('ConfigurationError', message, options);
    this.name = 'ArtifactNameError';
  }
}

/** An input artifact's object or bucket does not exist (`RevisionUnavailable`). */
export class ArtifactNotFoundError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('RevisionUnavailable', message, options);
    this.name = 'ArtifactNotFoundError';
  }
}

/** S3 or KMS refused the job's credentials (`PermissionError`). */
export class ArtifactPermissionError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('PermissionError', message, options);
    this.name = 'ArtifactPermissionError';
  }
}

/** S3 kept failing (throttling, 5xx, network) after the SDK's retries (`SystemUnavailable`). */
export class ArtifactServiceError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('SystemUnavailable', message, options);
    this.name = 'ArtifactServiceError';
  }
}

/** The artifact is not a zip archive, or a damaged one (`JobFailed`). */
export class ArtifactFormatError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('JobFailed', message, options);
    this.name = 'ArtifactFormatError';
  }
}

/** A zip entry would land outside the extraction directory (`JobFailed`). */
export class UnsafeArchiveError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('JobFailed', message, options);
    this.name = 'UnsafeArchiveError';
  }
}

/** The artifact goes over a size or entry limit (`JobFailed`). */
export class ArtifactLimitError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('JobFailed', message, options);
    this.name = 'ArtifactLimitError';
  }
}

/** The job's temporary storage failed: full (ENOSPC), over quota, unwritable (`JobFailed`). */
export class ArtifactStorageError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('JobFailed', message, options);
    this.name = 'ArtifactStorageError';
  }
}

/** An output artifact written twice, or left unwritten by a successful job (`JobFailed`). */
export class OutputArtifactError extends ArtifactError {
  constructor(message: string, options?: ArtifactErrorOptions) {
    super('JobFailed', message, options);
    this.name = 'OutputArtifactError';
  }
}
