/**
 * The fixed monthly cost of an idle worker, priced as the benchmark prices it (bench/cost.ts):
 * what the default stack deploys (alarms by the metrics they evaluate, dashboards, keys), and
 * the metrics a real idle invocation publishes, which CloudWatch bills for every hour.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fixedMonitoring, PRICES } from '../../bench/cost.js';
import { emfMetricNames } from '../../bench/drain.js';
import { synthesizeDefaultStack } from '../../bench/infra.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import { captureOutput } from '../helpers/telemetry.js';

describe('the fixed monitoring of an idle worker', () => {
  let stack: LocalStack;

  afterEach(async () => {
    await stack.close();
    vi.unstubAllEnvs();
  });

  it('costs $3 a month or less at list price, every alarm kept', async () => {
    const deployed = synthesizeDefaultStack();
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    stack = await startLocalStack();
    const output = captureOutput();
    try {
      await stack.handler({ DEADLINE_MARGIN_MS: '2000' })(scheduledEvent(), lambdaContext());
    } finally {
      output.restore();
    }
    const idleMetrics = emfMetricNames(output.text());

    const lines = fixedMonitoring(deployed, idleMetrics);
    const total = lines.reduce((sum, line) => sum + line.usd, 0);

    expect(idleMetrics).toEqual(['PollsSucceeded']);
    expect(deployed.alarms).toBe(12);
    expect(deployed.dashboards).toBe(0);
    expect(total).toBeCloseTo(
      deployed.alarmMetrics * PRICES.standardAlarmPerMonth +
        idleMetrics.length * PRICES.customMetricPerMonth +
        deployed.customerManagedKeys * PRICES.kmsCustomerManagedKeyPerMonth,
    );
    expect(total).toBeLessThanOrEqual(3);
  });
});
