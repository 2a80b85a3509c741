/**
 * What the worker hands a processor's `process` and `cancel` alike: its logger and its SDK
 * settings.
 */

/** Structured logging for a processor; every line already carries the job's keys. */
export interface JobLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

/** The worker's AWS SDK settings, for the clients a processor (or a helper of it) builds. */
export interface SdkSettings {
  /** Attempts per call, first try included (standard retry mode). */
  readonly maxAttempts: number;
  /** Timeout of one request, in ms. */
  readonly requestTimeoutMs: number;
}
