/**
 * An input artifact's object as a stream that stops at the byte limit (counting what S3
 * actually sends, not its Content-Length) and fails with the artifact API's errors.
 */
import { type Readable, Transform } from 'node:stream';
import { ArtifactLimitError } from './errors.js';
import { type ArtifactTarget, artifactErrorFromS3, describeTarget } from './s3-errors.js';

/**
 * Passes `body` on until more than `maxBytes` went through; then the stream fails with an
 * {@link ArtifactLimitError}. An error of `body` (a reset connection) fails it with the
 * artifact API's error for it; destroying the result destroys `body`.
 */
export function limitedStream(body: Readable, maxBytes: number, target: ArtifactTarget): Readable {
  let bytes = 0;
  const limited = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      if (bytes <= maxBytes) {
        callback(null, chunk);
        return;
      }
      callback(
        new ArtifactLimitError(
          `${describeTarget(target)}: larger than the limit of ${maxBytes} bytes`,
          { artifactName: target.name },
        ),
      );
    },
  });
  body.once('error', (error) => limited.destroy(artifactErrorFromS3(error, target)));
  limited.once('close', () => body.destroy());
  body.pipe(limited);
  return limited;
}
