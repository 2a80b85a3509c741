/**
 * Stands in for `semver` in the deployed bundle (see `lib/bundling.ts`). The X-Ray SDK uses
 * it in one place: `captureAWS`, its patcher for the AWS SDK for JavaScript v2, checks the
 * v2 SDK's version with `semver.gte` before patching it. The worker uses the v3 SDK, which
 * the tracer instruments without `semver`; the v2 SDK is not in the bundle and has reached
 * its end of support. Loading `semver` compiled about 40 regular expressions at every cold
 * start for that one check. Tests and local runs use the real package.
 */

/** The X-Ray SDK was asked to instrument an AWS SDK v2 module in this bundle. */
export class SdkV2CaptureNotBundledError extends Error {
  constructor() {
    super(
      'Tracing AWS SDK v2 clients (captureAWS) is not bundled in this function: use the AWS SDK v3 and tracer.captureAWSv3Client',
    );
    this.name = 'SdkV2CaptureNotBundledError';
  }
}

/** `semver.gte`, reached only from `captureAWS`. */
export function gte(): never {
  throw new SdkV2CaptureNotBundledError();
}

export default { gte };
