/**
 * S3 (and KMS-through-S3) errors turned into the artifact API's errors, with the failure type
 * that says what they mean. A message is built from the artifact's name and location and the
 * error's code only: S3's error bodies can carry the access key id, the string to sign and
 * the canonical request (with the session token), so no field of theirs is ever copied.
 */
import {
  ArtifactError,
  ArtifactNotFoundError,
  ArtifactPermissionError,
  ArtifactServiceError,
} from './errors.js';

/** The artifact a request was about, for messages. */
export interface ArtifactTarget {
  readonly kind: 'input' | 'output';
  readonly name: string;
  readonly bucketName: string;
  readonly objectKey: string;
}

/** Errors that say the session credentials are no longer (or not) valid: worth one refresh. */
const TOKEN_ERRORS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'InvalidToken',
  'TokenRefreshRequired',
]);

const PERMISSION_ERRORS = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AccountProblem',
  'Forbidden',
]);

const NOT_FOUND_ERRORS = new Set(['NoSuchKey', 'NoSuchBucket', 'NotFound']);

const THROTTLING_ERRORS = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'TimeoutError',
]);

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: {
    readonly httpStatusCode?: number;
    readonly requestId?: string;
    readonly extendedRequestId?: string;
    readonly attempts?: number;
  };
}

function shape(error: unknown): SdkErrorShape {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : {};
}

function errorName(error: unknown): string {
  const { name } = shape(error);
  return typeof name === 'string' ? name : 'Error';
}

/** Whether `error` says the job's session credentials expired or are not recognised as a session. */
export function isCredentialExpiry(error: unknown): boolean {
  return TOKEN_ERRORS.has(errorName(error));
}

/**
 * The error to keep as `cause`: an SDK service error is rebuilt with its name, message and
 * request metadata only, because its other fields are the service's error body.
 */
export function safeCause(error: unknown): Error {
  if (!(error instanceof Error)) return new Error('a non-error value was thrown');
  const { $metadata, $fault } = shape(error);
  if ($metadata === undefined) return error;
  const cause = new Error(error.message);
  cause.name = error.name;
  return Object.assign(cause, {
    $fault,
    $metadata: {
      httpStatusCode: $metadata.httpStatusCode,
      requestId: $metadata.requestId,
      extendedRequestId: $metadata.extendedRequestId,
      attempts: $metadata.attempts,
    },
  });
}

/** `Input artifact "Name" (s3://bucket/key)`. */
export function describeTarget(target: ArtifactTarget): string {
  const kind = target.kind === 'input' ? 'Input' : 'Output';
  return `${kind} artifact "${target.name}" (s3://${target.bucketName}/${target.objectKey})`;
}

function details(error: unknown): string {
  const { $metadata } = shape(error);
  const parts = [errorName(error)];
  if ($metadata?.httpStatusCode) parts.push(`HTTP ${$metadata.httpStatusCode}`);
  if ($metadata?.requestId) parts.push(`request id ${$metadata.requestId}`);
  return parts.join(', ');
}

/** S3 answers AccessDenied when KMS refuses the key; its message names the KMS action. */
function mentionsKms(error: unknown): boolean {
  return error instanceof Error && /\bkms:/i.test(error.message);
}

function isServiceSide(error: unknown): boolean {
  const { $fault, $metadata, code } = shape(error);
  const name = errorName(error);
  return (
    $fault === 'server' ||
    ($metadata?.httpStatusCode ?? 0) >= 500 ||
    THROTTLING_ERRORS.has(name) ||
    (typeof code === 'string' && NETWORK_CODES.has(code))
  );
}

/**
 * Whether a HeadObject's error may say the credentials expired: S3 answers a HEAD without a
 * body, so an expired token comes as a bare HTTP 400 that names no code.
 */
export function isHeadCredentialExpiry(error: unknown): boolean {
  const name = errorName(error);
  const status = shape(error).$metadata?.httpStatusCode;
  return (
    isCredentialExpiry(error) || (status === 400 && (name === 'Unknown' || name === 'BadRequest'))
  );
}

/** Whether `error` says the object is not there (a HEAD's 404 carries no code: `NotFound`). */
export function isMissingObject(error: unknown): boolean {
  const name = errorName(error);
  return name === 'NoSuchKey' || name === 'NotFound';
}

/**
 * Whether S3 refused a request with a 403 that is not about the KMS key: for a HeadObject, the
 * credentials may not read the object, or (for a missing one) may not list the bucket.
 */
export function isForbidden(error: unknown): boolean {
  return shape(error).$metadata?.httpStatusCode === 403 && !mentionsKms(error);
}

/**
 * The error for a HeadObject that could not tell whether an earlier job of the action
 * execution wrote output `target`: the failure type of {@link artifactErrorFromS3}, with a
 * message that says what was asked and how to write the output without asking.
 *
 * @param error - what the SDK threw (after its own retries, and a refresh if it expired)
 * @param target - the output asked about
 */
export function outputCheckError(error: unknown, target: ArtifactTarget): ArtifactError {
  const judged = artifactErrorFromS3(error, target);
  if (errorName(error) === 'AbortError') return judged;
  const asked = `${describeTarget(target)}: could not tell whether an earlier job of this action execution wrote it (HeadObject: ${details(error)})`;
  const options = { artifactName: target.name, cause: safeCause(error) };
  const withoutAsking = 'pass { replace: true } to write it without asking';
  if (judged instanceof ArtifactPermissionError) {
    return new ArtifactPermissionError(`${asked}; ${withoutAsking}`, options);
  }
  if (judged instanceof ArtifactServiceError) {
    return new ArtifactServiceError(`${asked}; the artifact store is unavailable`, options);
  }
  return new ArtifactError(judged.failureType, `${asked}; ${withoutAsking}`, options);
}

/**
 * The artifact API's error for an S3 failure on `target`.
 *
 * @param error - what the SDK threw (after its own retries)
 * @param target - the artifact the request was about
 */
export function artifactErrorFromS3(error: unknown, target: ArtifactTarget): ArtifactError {
  if (error instanceof ArtifactError) return error;
  const name = errorName(error);
  const status = shape(error).$metadata?.httpStatusCode;
  const about = describeTarget(target);
  const options = { artifactName: target.name, cause: safeCause(error) };
  if (name === 'AbortError') {
    return new ArtifactError('JobFailed', `${about}: stopped, the job was cancelled`, options);
  }
  if (name.startsWith('KMS.') || (name === 'AccessDenied' && mentionsKms(error))) {
    return new ArtifactPermissionError(
      `${about}: the artifact store's KMS key could not be used with the job's credentials (${details(error)})`,
      options,
    );
  }
  if (PERMISSION_ERRORS.has(name) || TOKEN_ERRORS.has(name) || status === 403) {
    return new ArtifactPermissionError(
      `${about}: the artifact store refused the job's credentials (${details(error)})`,
      options,
    );
  }
  if (NOT_FOUND_ERRORS.has(name) || status === 404) {
    const missing = name === 'NoSuchBucket' ? 'the artifact bucket does not exist' : 'not found';
    return target.kind === 'input'
      ? new ArtifactNotFoundError(`${about}: ${missing} (${details(error)})`, options)
      : new ArtifactError('JobFailed', `${about}: ${missing} (${details(error)})`, options);
  }
  if (isServiceSide(error)) {
    return new ArtifactServiceError(
      `${about}: the artifact store is unavailable (${details(error)})`,
      options,
    );
  }
  return new ArtifactError(
    'JobFailed',
    `${about}: the request failed (${details(error)})`,
    options,
  );
}
