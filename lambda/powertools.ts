/**
 * Logger, metrics and tracer, configured once. Service name, namespace and log level come
 * from Powertools' own environment variables (`POWERTOOLS_SERVICE_NAME`, ...).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogAttributes } from '@aws-lambda-powertools/logger/types';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { DEFAULT_METRICS_NAMESPACE, DEFAULT_SERVICE_NAME, POWERTOOLS_ENV } from './contract.js';
import type { JobLogger } from './job/processor.js';
import { escapeForJson, stringReplacer } from './worker/safe-text.js';
import type { SecretScrubber } from './worker/secrets.js';

export interface Powertools {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly tracer: Tracer;
}

/**
 * Builds the Powertools utilities. Every string and every key of a log line passes through the
 * scrubber, so a secret value that reaches a log line by any path is replaced with
 * `[REDACTED]`, and then has the characters JSON leaves as they are (DEL, C1 controls,
 * bidirectional controls, line separators) escaped, so that no log viewer acts on them.
 *
 * @param scrubber - knows the secret values the process holds
 */
export function createPowertools(scrubber: SecretScrubber): Powertools {
  const serviceName = process.env[POWERTOOLS_ENV.serviceName] ?? DEFAULT_SERVICE_NAME;
  return {
    logger: new Logger({
      serviceName,
      jsonReplacerFn: stringReplacer((text) => escapeForJson(scrubber.scrub(text))),
    }),
    metrics: new Metrics({
      serviceName,
      namespace: process.env[POWERTOOLS_ENV.metricsNamespace] ?? DEFAULT_METRICS_NAMESPACE,
    }),
    tracer: new Tracer({ serviceName }),
  };
}

/**
 * The worker's logging interface on a Powertools logger. Attributes that are a buffer of bytes
 * are logged under the key `attributes`: Powertools would merge a Buffer's bytes into the line
 * as keys `0`, `1`, ... with the bytes as numbers, where the replacer no longer sees a buffer.
 */
export function workerLogger(logger: Logger): JobLogger {
  const write =
    (level: 'debug' | 'info' | 'warn' | 'error') =>
    (message: string, attributes?: Record<string, unknown>) =>
      attributes
        ? logger[level](
            message,
            (ArrayBuffer.isView(attributes) ? { attributes } : attributes) as LogAttributes,
          )
        : logger[level](message);
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
