/**
 * What one invocation did, counted as it happens and published once as EMF metrics.
 */

/** Where metrics go: Powertools `Metrics` fits this shape. */
export interface MetricsSink {
  addMetric(name: string, unit: 'Count' | 'Milliseconds', value: number): unknown;
}

/** Counter name -> EMF metric name. */
export const COUNTER_METRICS = {
  polls: 'PollsSucceeded',
  polled: 'JobsPolled',
  acknowledged: 'JobsAcknowledged',
  succeeded: 'JobsSucceeded',
  failed: 'JobsFailed',
  continued: 'JobsContinued',
  duplicates: 'DuplicatesSkipped',
  claimsLost: 'ClaimsLost',
  acknowledgeErrors: 'AcknowledgeErrors',
  reportErrors: 'ReportErrors',
  ledgerErrors: 'LedgerErrors',
  recovered: 'JobsRecovered',
  abandoned: 'JobsAbandoned',
  deferred: 'JobsDeferred',
} as const;

export type DrainSummary = Record<keyof typeof COUNTER_METRICS, number>;

export const PROCESSING_DURATION_METRIC = 'ProcessingDuration';

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
