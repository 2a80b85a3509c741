/**
 * Every alarm on a worker metric fires in a scenario that a real worker runs into: the real
 * handler (Powertools metrics as EMF on stdout) against the CodePipeline emulator with fault
 * injection, or against a ledger it cannot use. Each alarm's metric, statistic, threshold and
 * missing-data treatment are read from the synthesized stack, and evaluated on the EMF the
 * scenario printed, as CloudWatch would evaluate one period. An idle worker fires none.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbNonceLedger } from '../../lambda/adapters/dynamodb-nonce-ledger.js';
import { DEFAULT_METRICS_NAMESPACE } from '../../lambda/contract.js';
import { InvalidEventError } from '../../lambda/events.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { JobWorkerStack } from '../../lib/job-worker-stack.js';
import { readWorkerContext } from '../../samples/worker-context.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import { type CapturedOutput, captureOutput } from '../helpers/telemetry.js';
import { cdkJsonContext } from '../infra/synth.js';

interface AlarmDefinition {
  readonly MetricName: string;
  readonly Namespace: string;
  readonly Statistic: 'Sum' | 'Maximum';
  readonly Threshold: number;
  readonly ComparisonOperator: 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold';
  readonly TreatMissingData: 'breaching' | 'notBreaching';
}

/** The default stack's alarms on the worker's own metrics, by metric name. */
function workerAlarms(): Map<string, AlarmDefinition> {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const config = readWorkerContext(app.node);
  const stack = new JobWorkerStack(app, config.stackName, { worker: config.worker });
  const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm'));
  return new Map(
    alarms
      .map((alarm) => alarm.Properties as AlarmDefinition)
      .filter((alarm) => alarm.Namespace === DEFAULT_METRICS_NAMESPACE)
      .map((alarm) => [alarm.MetricName, alarm]),
  );
}

/** Every value of every metric in the EMF records printed. */
function emitted(output: CapturedOutput): Map<string, number[]> {
  const values = new Map<string, number[]>();
  for (const record of output.records()) {
    const emf = record._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] };
    for (const { Name } of emf?.CloudWatchMetrics?.flatMap((m) => m.Metrics) ?? []) {
      const value = record[Name] as number | number[];
      values.set(Name, [...(values.get(Name) ?? []), ...(Array.isArray(value) ? value : [value])]);
    }
  }
  return values;
}

/** Whether one period with these values puts the alarm in ALARM. */
function fires(alarm: AlarmDefinition, values: readonly number[] | undefined): boolean {
  if (!values || values.length === 0) return alarm.TreatMissingData === 'breaching';
  const value =
    alarm.Statistic === 'Maximum' ? Math.max(...values) : values.reduce((a, b) => a + b, 0);
  return alarm.ComparisonOperator === 'LessThanThreshold'
    ? value < alarm.Threshold
    : value >= alarm.Threshold;
}

const FAST = { DEADLINE_MARGIN_MS: '2000', LEASE_GRACE_SECONDS: '0', SDK_MAX_ATTEMPTS: '1' };
const HOUR = 3_600_000;

describe('alarm scenarios', () => {
  let alarms: Map<string, AlarmDefinition>;
  let stack: LocalStack;
  let output: CapturedOutput;
  const covered = new Set<string>();

  beforeAll(() => {
    alarms = workerAlarms();
  });
  beforeEach(async () => {
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
    stack = await startLocalStack();
  });
  afterEach(async () => {
    output?.restore();
    await stack.close();
    vi.unstubAllEnvs();
  });
  afterAll(() => {
    // Every alarm on a worker metric has a scenario above.
    expect([...covered].sort()).toEqual([...alarms.keys()].sort());
  });

  /** Runs `scenario` with stdout captured; returns what the alarms see. */
  async function run(scenario: () => Promise<unknown>): Promise<Map<string, number[]>> {
    output = captureOutput();
    try {
      await scenario();
    } finally {
      output.restore();
    }
    return emitted(output);
  }

  /** Asserts that exactly the alarms on `metrics` fire. */
  function expectFiring(seen: Map<string, number[]>, ...metrics: string[]) {
    const firing = [...alarms.values()].filter((alarm) => fires(alarm, seen.get(alarm.MetricName)));
    expect(firing.map((alarm) => alarm.MetricName).sort()).toEqual([...metrics].sort());
    for (const metric of metrics) covered.add(metric);
  }

  // A short invocation: a result that cannot be reported is retried until its deadline.
  const invoke = (env: Record<string, string> = {}, processor?: JobProcessor) =>
    stack.handler({ ...FAST, ...env }, processor ? { processor } : {})(
      scheduledEvent(),
      lambdaContext(8_000),
    );

  it('an idle worker fires none: it publishes its successful poll and nothing else', async () => {
    const seen = await run(() => invoke());

    expect([...seen.keys()]).toEqual(['PollsSucceeded']);
    expectFiring(seen);
  });

  it('a job reported failed fires the job-failure alarm', async () => {
    stack.enqueue({ BakeTimeSeconds: 'soon' });

    expectFiring(await run(() => invoke()), 'JobsFailed');
  });

  it('polls that fail (CodePipeline answering 5xx) leave no successful poll: the poll alarm', async () => {
    stack.emulator.setFaults({ errorRate: 1, operations: ['PollForJobs'] });

    const seen = await run(() => expect(invoke()).rejects.toThrow(/PollForJobs failed/));

    expectFiring(seen, 'PollsSucceeded');
  });

  it('AcknowledgeJob failing (5xx) for three jobs fires the acknowledge alarm', async () => {
    for (let i = 0; i < 3; i++) stack.enqueue({ BakeTimeSeconds: '0' });
    stack.emulator.setFaults({ errorRate: 1, operations: ['AcknowledgeJob'] });

    expectFiring(await run(() => invoke()), 'AcknowledgeErrors');
  });

  it('results that cannot be reported (5xx) for three jobs fire the report alarm', async () => {
    for (let i = 0; i < 3; i++) stack.enqueue({ BakeTimeSeconds: '0' });
    stack.emulator.setFaults({ errorRate: 1, operations: ['PutJobSuccessResult'] });

    expectFiring(await run(() => invoke()), 'ReportErrors');
  });

  it('a ledger the worker cannot use fires the ledger alarm, and no job is worked on', async () => {
    stack.enqueue({ BakeTimeSeconds: '0' });
    stack.enqueue({ BakeTimeSeconds: '0' });

    const seen = await run(() => invoke({ LEDGER_TABLE_NAME: 'no-such-ledger' }));

    expectFiring(seen, 'LedgerErrors');
    expect(seen.get('JobsAcknowledged')).toBeUndefined();
  });

  it('a job that timed out while its processor ran is abandoned: the abandoned-jobs alarm', async () => {
    stack.enqueue({ BakeTimeSeconds: '0' });
    const outlived: JobProcessor = {
      name: 'outlived',
      async process() {
        stack.emulator.advanceTime(25 * HOUR);
        return { kind: 'success' };
      },
    };

    // The rejected result is also a report error, one of them: under its alarm's threshold.
    expectFiring(await run(() => invoke({}, outlived)), 'JobsAbandoned');
  });

  it('a claim whose worker died long ago fires the expired-claims alarm', async () => {
    const ledger = new DynamoDbNonceLedger({
      tableName: stack.tableName,
      retentionSeconds: 86_400,
      client: stack.dynamo.client(),
    });
    const diedAt = Date.now() - 11 * 60_000;
    await ledger.claim({
      jobId: '0c0ffee0-0000-4000-8000-000000000001',
      nonce: '7',
      now: diedAt - 60_000,
      leaseExpiresAt: diedAt,
    });

    const seen = await run(() => invoke());

    expect(Math.max(...(seen.get('OldestExpiredClaimAge') ?? []))).toBeGreaterThanOrEqual(
      11 * 60_000,
    );
    expectFiring(seen, 'OldestExpiredClaimAge');
  });

  it('a processor that never stops continuing fires the continuation-limit alarm', async () => {
    const id = stack.enqueue({ BakeTimeSeconds: '0' });
    const forever: JobProcessor = {
      name: 'forever',
      process: async () => ({ kind: 'continue', continuationToken: 'again' }),
    };
    const limit = { MAX_CONTINUATIONS: '1' };
    await run(() => invoke(limit, forever));

    const seen = await run(() => invoke(limit, forever));

    expectFiring(seen, 'ContinuationLimitsReached', 'JobsFailed');
    expect(stack.chain(id).map((job) => job.status)).toEqual(['Succeeded', 'Failed']);
  });

  it('a rejected event fails the invocation (Lambda counts it in Errors), counted once', async () => {
    const handler = stack.handler(FAST);

    const seen = await run(() =>
      expect(handler({ source: 'aws.s3' }, lambdaContext())).rejects.toBeInstanceOf(
        InvalidEventError,
      ),
    );

    expect(seen.get('EventsRejected')).toEqual([1]);
    // No poll was made, so the poll alarm sees this period as missing.
    expectFiring(seen, 'PollsSucceeded');
  });
});
