/**
 * Logging helpers for the worker: per-job keys and errors that carry no secret.
 */
import type { JobLogger } from '../job/processor.js';
import type { SecretScrubber } from './secrets.js';

export type { JobLogger as WorkerLogger } from '../job/processor.js';

/** A logger that adds `keys` to every line, for one job among many running at once. */
export function withKeys(logger: JobLogger, keys: Record<string, unknown>): JobLogger {
  const merge = (attributes?: Record<string, unknown>) => ({ ...keys, ...attributes });
  return {
    debug: (message, attributes) => logger.debug(message, merge(attributes)),
    info: (message, attributes) => logger.info(message, merge(attributes)),
    warn: (message, attributes) => logger.warn(message, merge(attributes)),
    error: (message, attributes) => logger.error(message, merge(attributes)),
  };
}

/** An error's name and message with every held secret removed: safe to log or report. */
export function describeError(
  error: unknown,
  scrubber: SecretScrubber,
): { name: string; message: string } {
  // Whatever was thrown, describing it must not throw in turn (a getter that throws, an
  // object without a prototype that String() cannot convert).
  const read = (get: () => unknown, fallback: string): string => {
    try {
      const value = get();
      return typeof value === 'string' ? value : fallback;
    } catch {
      return fallback;
    }
  };
  if (error instanceof Error) {
    return {
      name: read(() => error.name, 'Error'),
      message: scrubber.scrub(read(() => error.message, 'unreadable error message')),
    };
  }
  return {
    name: 'NonError',
    message: scrubber.scrub(read(() => String(error), 'unprintable thrown value')),
  };
}
