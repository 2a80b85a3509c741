/**
 * How long to wait before sending again a report that CodePipeline could not take: exponential
 * backoff with full jitter (each delay drawn uniformly below its cap, so that workers that
 * failed together do not come back together), from a higher base when the call was throttled,
 * as the AWS SDK's own retries do. These retries come on top of the SDK's attempts, and only
 * while the invocation has time for another attempt (`JobRun.reportDeadline`).
 */

/** The backoff's bases and cap, in milliseconds. */
export const REPORT_BACKOFF = {
  /** First cap after a server error, a timeout or a broken connection. */
  baseMs: 200,
  /** First cap after throttling: the SDK's own throttling base. */
  throttledBaseMs: 1_000,
  /** No wait is drawn above this. */
  maxMs: 10_000,
} as const;

/**
 * The backoff of a report's record in the ledger: DynamoDB is built for quick retries of a
 * single-item write, and the record must land before the invocation ends.
 */
export const RECORD_BACKOFF = { baseMs: 50, maxMs: 1_000 } as const;

/**
 * The wait before retry number `retry` (0 for the first) of a report's record.
 *
 * @param retry - how many retries were made before this one
 * @param random - a uniform draw in [0, 1)
 */
export function recordBackoffMs(retry: number, random: () => number): number {
  const cap = Math.min(RECORD_BACKOFF.maxMs, RECORD_BACKOFF.baseMs * 2 ** Math.min(retry, 30));
  return Math.floor(random() * cap);
}

/**
 * The wait before retry number `retry` (0 for the first).
 *
 * @param retry - how many retries were made before this one
 * @param throttled - whether the last attempt was throttled
 * @param random - a uniform draw in [0, 1)
 * @example
 * await sleep(reportBackoffMs(0, true, Math.random)); // somewhere in [0, 1000) ms
 */
export function reportBackoffMs(retry: number, throttled: boolean, random: () => number): number {
  const base = throttled ? REPORT_BACKOFF.throttledBaseMs : REPORT_BACKOFF.baseMs;
  const cap = Math.min(REPORT_BACKOFF.maxMs, base * 2 ** Math.min(retry, 30));
  return Math.floor(random() * cap);
}
