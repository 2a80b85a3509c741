/**
 * What one invocation did, counted as it happens and published once as EMF metrics.
 */
import { COUNTER_METRICS, type CounterName } from '../contract.js';

export {
  COUNTER_METRICS,
  OLDEST_EXPIRED_CLAIM_METRIC,
  PROCESSING_DURATION_METRIC,
} from '../contract.js';

/** Where metrics go: Powertools `Metrics` fits this shape. */
export interface MetricsSink {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): unknown;
}

/** What one invocation did, counter by counter (the handler's result; also its metrics). */
export type DrainSummary = Record<CounterName, number>;

/** A summary with every counter at zero. */
export function emptySummary(): DrainSummary {
  return Object.fromEntries(Object.keys(COUNTER_METRICS).map((key) => [key, 0])) as DrainSummary;
}

/**
 * Publishes the counters that are not zero. CloudWatch bills a custom metric for each hour
 * it is published in, so a zero is not sent: for the alarms, a counter's missing data means
 * none happened (the poll alarm, whose counter a healthy worker sends at every tick, reads
 * missing data as a failure).
 */
export function publishSummary(summary: DrainSummary, metrics: MetricsSink): void {
  for (const [key, name] of Object.entries(COUNTER_METRICS)) {
    const value = summary[key as keyof DrainSummary];
    if (value !== 0) metrics.addMetric(name, 'Count', value);
  }
}
