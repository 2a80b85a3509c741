/**
 * The AWS SDK warns, once per process, that its releases after the first week of January 2027
 * need Node.js 22 or newer. The deployed function runs a newer Node.js; a local run or a test
 * on Node.js 20 would print the warning on every run, as noise. Never imported by lambda/: the
 * function keeps the SDK's own behaviour.
 */

/** The variable the SDK reads (when it builds its first client) to stay quiet. */
export const NODE_VERSION_WARNING_ENV = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Silences the SDK's Node.js version warning in this process, unless the variable is set
 * already (set it to `false` to see the warning). Call it before the first SDK client is built.
 */
export function quietNodeVersionWarning(): void {
  process.env[NODE_VERSION_WARNING_ENV] ??= 'true';
}
