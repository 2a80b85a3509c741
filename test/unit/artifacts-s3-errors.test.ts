import { inspect } from 'node:util';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import {
  ArtifactError,
  ArtifactNotFoundError,
  ArtifactPermissionError,
  ArtifactServiceError,
} from '../../lambda/artifacts/index.js';
import {
  type ArtifactTarget,
  artifactErrorFromS3,
  isCredentialExpiry,
  isHeadCredentialExpiry,
  isMissingObject,
  outputCheckError,
} from '../../lambda/artifacts/s3-errors.js';
import { SECRETS } from '../helpers/jobs.js';

const INPUT: ArtifactTarget = {
  kind: 'input',
  name: 'SourceOutput',
  bucketName: 'artifact-bucket',
  objectKey: 'p/SourceOut/abc',
};
const OUTPUT: ArtifactTarget = { ...INPUT, kind: 'output', name: 'BuildOutput' };

/** An SDK error as the S3 client throws it, with S3's error body copied onto it. */
function s3Error(name: string, status: number, message = name, body: Record<string, string> = {}) {
  return Object.assign(
    new S3ServiceException({
      name,
      $fault: status >= 500 ? 'server' : 'client',
      $metadata: { httpStatusCode: status, requestId: 'REQ123', attempts: 1 },
      message,
    }),
    body,
  );
}

describe('artifactErrorFromS3', () => {
  it.each([
    ['AccessDenied', 403, ArtifactPermissionError, 'PermissionError'],
    ['InvalidAccessKeyId', 403, ArtifactPermissionError, 'PermissionError'],
    ['SignatureDoesNotMatch', 403, ArtifactPermissionError, 'PermissionError'],
    ['ExpiredToken', 400, ArtifactPermissionError, 'PermissionError'],
    ['Forbidden', 403, ArtifactPermissionError, 'PermissionError'],
    ['KMS.DisabledException', 400, ArtifactPermissionError, 'PermissionError'],
    ['NoSuchKey', 404, ArtifactNotFoundError, 'RevisionUnavailable'],
    ['NoSuchBucket', 404, ArtifactNotFoundError, 'RevisionUnavailable'],
    ['NotFound', 404, ArtifactNotFoundError, 'RevisionUnavailable'],
    ['SlowDown', 503, ArtifactServiceError, 'SystemUnavailable'],
    ['InternalError', 500, ArtifactServiceError, 'SystemUnavailable'],
    ['InvalidRequest', 400, ArtifactError, 'JobFailed'],
  ] as const)('maps %s (HTTP %i) on an input to %s', (name, status, type, failureType) => {
    const error = artifactErrorFromS3(s3Error(name, status), INPUT);

    expect(error).toBeInstanceOf(type);
    expect(error.failureType).toBe(failureType);
    expect(error.artifactName).toBe('SourceOutput');
    expect(error.message).toMatch(
      new RegExp(
        `^Input artifact "SourceOutput" \\(s3://artifact-bucket/p/SourceOut/abc\\): .*\\(${name}, HTTP ${status}, request id REQ123\\)$`,
      ),
    );
  });

  it('says the KMS key refused when S3 answers AccessDenied for a KMS action', () => {
    const error = artifactErrorFromS3(
      s3Error('AccessDenied', 403, 'User: arn:... is not authorized to perform: kms:Decrypt'),
      INPUT,
    );

    expect(error).toBeInstanceOf(ArtifactPermissionError);
    expect(error.message).toContain("the artifact store's KMS key could not be used");
  });

  it('fails the job (not RevisionUnavailable) when an output bucket is missing', () => {
    const error = artifactErrorFromS3(s3Error('NoSuchBucket', 404), OUTPUT);

    expect(error).not.toBeInstanceOf(ArtifactNotFoundError);
    expect(error.failureType).toBe('JobFailed');
    expect(error.message).toMatch(/^Output artifact "BuildOutput" .*does not exist/);
  });

  it('maps network failures and timeouts to SystemUnavailable', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    const timeout = Object.assign(new Error('timed out'), { name: 'TimeoutError' });

    expect(artifactErrorFromS3(reset, INPUT).failureType).toBe('SystemUnavailable');
    expect(artifactErrorFromS3(timeout, INPUT).failureType).toBe('SystemUnavailable');
  });

  it("keeps the SDK error as cause without S3's error body, which can carry credentials", () => {
    const error = artifactErrorFromS3(
      s3Error('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match', {
        AWSAccessKeyId: SECRETS.accessKeyId,
        CanonicalRequest: `GET\n/\n\nx-amz-security-token:${SECRETS.sessionToken}\n`,
        StringToSign: 'AWS4-HMAC-SHA256\n...',
      }),
      INPUT,
    );

    const shown = inspect(error, { depth: null, showHidden: true });
    expect(shown).not.toContain(SECRETS.accessKeyId);
    expect(shown).not.toContain(SECRETS.sessionToken);
    expect(error.cause).toMatchObject({
      name: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match',
      $metadata: { httpStatusCode: 403, requestId: 'REQ123' },
    });
  });

  it('passes an artifact error through unchanged', () => {
    const original = new ArtifactPermissionError('already mapped');

    expect(artifactErrorFromS3(original, INPUT)).toBe(original);
  });
});

describe('isCredentialExpiry', () => {
  it.each([
    ['ExpiredToken', true],
    ['InvalidToken', true],
    ['TokenRefreshRequired', true],
    ['AccessDenied', false],
    ['InvalidAccessKeyId', false],
  ])('%s: %s', (name, expected) => {
    expect(isCredentialExpiry(s3Error(name, 400))).toBe(expected);
  });
});

describe('isHeadCredentialExpiry', () => {
  it.each([
    ['ExpiredToken', 400, true],
    // A HEAD's error has no body: an expired token is a bare 400.
    ['Unknown', 400, true],
    ['BadRequest', 400, true],
    ['Unknown', 403, false],
    ['NotFound', 404, false],
  ] as const)('%s (HTTP %i): %s', (name, status, expected) => {
    expect(isHeadCredentialExpiry(s3Error(name, status))).toBe(expected);
  });
});

describe('isMissingObject', () => {
  it.each([
    ['NotFound', 404, true],
    ['NoSuchKey', 404, true],
    ['NoSuchBucket', 404, false],
    ['Unknown', 403, false],
    ['AccessDenied', 403, false],
  ] as const)('%s (HTTP %i): %s', (name, status, expected) => {
    expect(isMissingObject(s3Error(name, status))).toBe(expected);
  });
});

describe('outputCheckError', () => {
  const ASKED =
    'Output artifact "BuildOutput" (s3://artifact-bucket/p/SourceOut/abc): could not tell whether an earlier job of this action execution wrote it';

  it.each([
    [
      'Unknown',
      403,
      ArtifactPermissionError,
      'PermissionError',
      '; pass { replace: true } to write it without asking',
    ],
    [
      'Unknown',
      503,
      ArtifactServiceError,
      'SystemUnavailable',
      '; the artifact store is unavailable',
    ],
    [
      'Unknown',
      400,
      ArtifactError,
      'JobFailed',
      '; pass { replace: true } to write it without asking',
    ],
  ] as const)(
    'says a HeadObject answered %s (HTTP %i) could not tell, as %s',
    (name, status, type, failureType, ending) => {
      const error = outputCheckError(s3Error(name, status), OUTPUT);

      expect(error).toBeInstanceOf(type);
      expect(error.failureType).toBe(failureType);
      expect(error.artifactName).toBe('BuildOutput');
      expect(error.message).toBe(
        `${ASKED} (HeadObject: ${name}, HTTP ${status}, request id REQ123)${ending}`,
      );
      expect(error.cause).toMatchObject({ name, $metadata: { httpStatusCode: status } });
    },
  );

  it('says a stopped job was stopped', () => {
    const aborted = Object.assign(new Error('aborted'), { name: 'AbortError' });

    const error = outputCheckError(aborted, OUTPUT);

    expect(error.message).toContain('stopped, the job was cancelled');
  });
});
