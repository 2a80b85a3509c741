/**
 * What one invocation did, counted as it happens and published once as EMF metrics.
 */
import { COUNTER_METRICS, type CounterName } from '../contract.js';

export { COUNTER_METRICS, PROCESSING_DURATION_METRIC } from '../contract.js';

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

/** Publishes every counter, zeros included, so alarms see a value each invocation. */
export function publishSummary(summary: DrainSummary, metrics: MetricsSink): void {
  for (const [key, name] of Object.entries(COUNTER_METRICS)) {
    metrics.addMetric(name, 'Count', summary[key as keyof DrainSummary]);
  }
}
