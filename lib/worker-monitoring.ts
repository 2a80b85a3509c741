import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  COUNTER_METRICS as C,
  CANCEL_ERRORS_METRIC,
  CONTINUATION_LIMIT_METRIC,
  EVENTS_REJECTED_METRIC,
  METRICS_DIMENSION,
  OLDEST_EXPIRED_CLAIM_METRIC,
  PROCESSING_DURATION_METRIC,
} from '../lambda/contract.js';

/**
 * Every metric the worker emits, by the dashboard widget that charts it. The infra tests check
 * that this is every metric of the contract, so a new one cannot be left off by accident.
 */
export const WORKER_METRICS = {
  flow: [
    C.polled,
    C.acknowledged,
    C.succeeded,
    C.failed,
    C.continued,
    C.processorRuns,
    C.checksRunAgain,
    C.checksContinued,
  ],
  troubles: [
    C.acknowledgeErrors,
    C.reportErrors,
    C.ledgerErrors,
    C.abandoned,
    CONTINUATION_LIMIT_METRIC,
    CANCEL_ERRORS_METRIC,
    EVENTS_REJECTED_METRIC,
  ],
  claims: [C.duplicates, C.claimsLost, C.deferred, C.recovered, C.expiredClaims],
  polls: C.polls,
  oldestExpiredClaim: OLDEST_EXPIRED_CLAIM_METRIC,
  duration: PROCESSING_DURATION_METRIC,
} as const;

/** Properties of {@link WorkerMonitoring}. */
export interface WorkerMonitoringProps {
  /** The worker function. */
  readonly fn: lambda.IFunction;
  /** The function's log group, for the dashboard's error query. */
  readonly logGroup: logs.ILogGroup;
  /** The function's timeout: the duration alarm fires near it. */
  readonly timeout: Duration;
  /** The queue that receives failed invocations and undeliverable events. */
  readonly deadLetterQueue: sqs.IQueue;
  /** CloudWatch namespace of the worker's EMF metrics. */
  readonly metricsNamespace: string;
  /** Value of the `service` dimension of the worker's EMF metrics. */
  readonly serviceName: string;
  /** How often the schedule invokes the worker. */
  readonly scheduleRate: Duration;
  /** Consecutive periods without a successful poll before the poll alarm fires. */
  readonly missedPollPeriods: number;
  /** Errors of one kind in a period at which that kind's alarm fires. */
  readonly errorAlarmThreshold: number;
  /** The function's reserved concurrency, drawn on the concurrency graph when set. */
  readonly reservedConcurrentExecutions?: number;
  /** `Custom/Category/Provider/Version`, shown on the dashboard. */
  readonly actionLabel: string;
  /** Where alarm and OK notifications go, if anywhere. */
  readonly alarmTopic?: sns.ITopic;
  /** The dashboard to add the worker's widgets to, if any. */
  readonly dashboard?: cloudwatch.Dashboard;
}

const PERIOD = Duration.minutes(5);
const DURATION_ALARM_RATIO = 0.9;
/** The oldest expired claim may wait this many poll periods for a recovery before the alarm. */
const EXPIRED_CLAIM_PERIODS = 2;

/**
 * The alarms and (optionally) the dashboard widgets of one job worker. Internal to
 * {@link CustomActionJobWorker}.
 *
 * Counters are published only when they are not zero, so for every alarm on a counter missing
 * data means "none happened" (`notBreaching`); only the poll alarm, whose metric a healthy
 * worker publishes at every tick, reads missing data as breaching.
 */
export class WorkerMonitoring extends Construct {
  /** Every alarm, by role. */
  public readonly alarms: Readonly<Record<WorkerAlarmName, cloudwatch.Alarm>>;

  constructor(scope: Construct, id: string, props: WorkerMonitoringProps) {
    super(scope, id);
    this.alarms = this.createAlarms(props);
    if (props.alarmTopic) {
      const action = new cloudwatchActions.SnsAction(props.alarmTopic);
      for (const alarm of Object.values(this.alarms)) {
        alarm.addAlarmAction(action);
        alarm.addOkAction(action);
      }
    }
    if (props.dashboard) {
      for (const row of this.widgets(props)) props.dashboard.addWidgets(...row);
    }
  }

  private workerMetric(
    props: WorkerMonitoringProps,
    metricName: string,
    statistic: string = cloudwatch.Stats.SUM,
    period: Duration = PERIOD,
  ): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: props.metricsNamespace,
      metricName,
      dimensionsMap: { [METRICS_DIMENSION]: props.serviceName },
      statistic,
      period,
    });
  }

  private createAlarms(props: WorkerMonitoringProps): Record<WorkerAlarmName, cloudwatch.Alarm> {
    const { fn, actionLabel: label } = props;
    const timeoutMs = props.timeout.toMilliseconds();
    // A poll alarm period shorter than the schedule would see empty periods in normal operation.
    const pollPeriod = Duration.seconds(
      Math.max(PERIOD.toSeconds(), props.scheduleRate.toSeconds()),
    );
    const expiredClaimMs = EXPIRED_CLAIM_PERIODS * pollPeriod.toMilliseconds();
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;
    const atLeast = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    /** An alarm that fires on one period at or over the threshold; missing data is fine. */
    const whenAtLeast = (
      id: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      alarmDescription: string,
    ) =>
      new cloudwatch.Alarm(this, id, {
        alarmDescription: `${label}: ${alarmDescription}`,
        metric,
        threshold,
        comparisonOperator: atLeast,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      });
    const errors = props.errorAlarmThreshold;
    const worker = (name: string, statistic?: string) => this.workerMetric(props, name, statistic);
    return {
      errors: whenAtLeast(
        'ErrorsAlarm',
        fn.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        1,
        "the worker function failed (an invocation threw, or its event was rejected). Read the function's error log lines; failed invocations also land in the dead-letter queue.",
      ),
      throttles: new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
        alarmDescription: `${label}: invocations were throttled for 15 minutes: the reserved concurrency, or the account's, is saturated. Check for a burst of pipeline starts or slow jobs; reserve or raise reservedConcurrency if the load is real.`,
        metric: fn.metricThrottles({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: atLeast,
        evaluationPeriods: 3,
        treatMissingData: notBreaching,
      }),
      duration: whenAtLeast(
        'DurationAlarm',
        fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
        Math.floor(timeoutMs * DURATION_ALARM_RATIO),
        `an invocation ran past ${DURATION_ALARM_RATIO * 100}% of the ${props.timeout.toSeconds()} s timeout; the deadline margin did not leave enough time to report. Raise the timeout or DEADLINE_MARGIN_MS, or lower the batch size.`,
      ),
      deadLetters: whenAtLeast(
        'DeadLetterAlarm',
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        1,
        'messages are waiting in the dead-letter queue (failed invocations or undeliverable events). Read them, fix the cause, then purge the queue.',
      ),
      jobFailures: whenAtLeast(
        'JobFailuresAlarm',
        worker(C.failed),
        1,
        "the worker reported at least one job as failed. Open the failed action's Details link in CodePipeline for the job's logs; ConfigurationError means the pipeline's action configuration is wrong.",
      ),
      noSuccessfulPoll: new cloudwatch.Alarm(this, 'NoSuccessfulPollAlarm', {
        alarmDescription: `${label}: no successful PollForJobs for ${props.missedPollPeriods} periods of ${pollPeriod.toMinutes()} min: jobs of this action type are not being picked up. Check the schedule rule is enabled, the function's errors and throttles, and the CodePipeline permissions.`,
        metric: this.workerMetric(props, C.polls, cloudwatch.Stats.SUM, pollPeriod),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: props.missedPollPeriods,
        // A healthy worker publishes a successful poll at every tick: silence is the failure.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
      acknowledgeErrors: whenAtLeast(
        'AcknowledgeErrorsAlarm',
        worker(C.acknowledgeErrors),
        errors,
        `${errors} or more AcknowledgeJob calls failed in 5 minutes: polled jobs are not being started. Read the 'acknowledge' log lines: InvalidNonce means another poller got the job first (a few are normal); throttling or 5xx answers mean CodePipeline is refusing the worker.`,
      ),
      reportErrors: whenAtLeast(
        'ReportErrorsAlarm',
        worker(C.reportErrors),
        errors,
        `${errors} or more results (or job reads) could not be reported in 5 minutes: those jobs stay in progress until a later invocation reports them or their action times out. Read the 'could not report' log lines for CodePipeline's answer.`,
      ),
      ledgerErrors: whenAtLeast(
        'LedgerErrorsAlarm',
        worker(C.ledgerErrors),
        errors,
        `${errors} or more nonce-ledger calls failed in 5 minutes: jobs cannot be claimed, so none is worked on. Check the DynamoDB table, its KMS key (disabled, pending deletion, or its policy) and the role's permissions.`,
      ),
      abandonedJobs: whenAtLeast(
        'AbandonedJobsAlarm',
        worker(C.abandoned),
        1,
        "a job was abandoned: CodePipeline no longer took its result (it timed out, or another worker reported it). Open the action's Details link; a processor slower than the action's timeout must continue instead.",
      ),
      expiredClaims: whenAtLeast(
        'ExpiredClaimsAlarm',
        worker(OLDEST_EXPIRED_CLAIM_METRIC, cloudwatch.Stats.MAXIMUM),
        expiredClaimMs,
        `a job's claim has been past its lease for ${expiredClaimMs / 60_000} minutes: its worker died and no invocation could finish the job since. Read the 'expired claim' log lines; look for ledger errors and for invocations that time out.`,
      ),
      continuationLimits: whenAtLeast(
        'ContinuationLimitsAlarm',
        worker(CONTINUATION_LIMIT_METRIC),
        1,
        'a job was failed because its action execution continued too often or too long (MAX_CONTINUATIONS, MAX_CONTINUATION_MINUTES). Open its Details link: the processor keeps asking to continue.',
      ),
    };
  }

  private widgets(props: WorkerMonitoringProps): cloudwatch.IWidget[][] {
    const { fn } = props;
    const sum = (metricName: string) => this.workerMetric(props, metricName);
    const concurrencyLimit =
      props.reservedConcurrentExecutions === undefined
        ? []
        : [{ value: props.reservedConcurrentExecutions, label: 'Reserved concurrency' }];
    return [
      [
        new cloudwatch.TextWidget({
          markdown: `# Job worker for ${props.actionLabel}\nInvocations come from the schedule (every ${props.scheduleRate.toMinutes()} min) and from CodePipeline STARTED events; ABANDONED, CANCELED and FAILED events call the processor's cancel. Worker metrics: namespace \`${props.metricsNamespace}\`, service \`${props.serviceName}\`; a counter is published only when it is not zero.`,
          width: 24,
          height: 2,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Invocations, errors, throttles',
          left: [
            fn.metricInvocations({ period: PERIOD }),
            fn.metricErrors({ period: PERIOD }),
            fn.metricThrottles({ period: PERIOD }),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Duration against the timeout',
          left: [
            fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.AVERAGE }),
            fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.p(99) }),
            fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
          ],
          leftAnnotations: [
            { value: props.timeout.toMilliseconds(), label: 'Timeout' },
            {
              value: Math.floor(props.timeout.toMilliseconds() * DURATION_ALARM_RATIO),
              label: 'Duration alarm',
            },
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Concurrent executions',
          left: [fn.metric('ConcurrentExecutions', { period: PERIOD, statistic: 'Maximum' })],
          leftAnnotations: concurrencyLimit,
          width: 8,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Jobs',
          left: WORKER_METRICS.flow.map(sum),
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Errors, abandoned jobs, continuation limits, failed cancels, rejected events',
          left: WORKER_METRICS.troubles.map(sum),
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Claims: duplicates, lost, deferred, recovered, expired',
          left: WORKER_METRICS.claims.map(sum),
          right: [
            this.workerMetric(props, WORKER_METRICS.oldestExpiredClaim, cloudwatch.Stats.MAXIMUM),
          ],
          width: 8,
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Successful polls',
          left: [sum(WORKER_METRICS.polls)],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Job processing duration (ms)',
          left: [
            this.workerMetric(props, WORKER_METRICS.duration, cloudwatch.Stats.p(50)),
            this.workerMetric(props, WORKER_METRICS.duration, cloudwatch.Stats.p(99)),
            this.workerMetric(props, WORKER_METRICS.duration, cloudwatch.Stats.MAXIMUM),
          ],
          width: 8,
        }),
        new cloudwatch.GraphWidget({
          title: 'Dead-letter queue',
          left: [
            props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
              period: PERIOD,
              statistic: cloudwatch.Stats.MAXIMUM,
            }),
          ],
          right: [
            props.deadLetterQueue.metricApproximateAgeOfOldestMessage({
              period: PERIOD,
              statistic: cloudwatch.Stats.MAXIMUM,
            }),
          ],
          width: 8,
        }),
      ],
      [
        new cloudwatch.AlarmStatusWidget({
          title: `Alarms of ${props.actionLabel}`,
          alarms: Object.values(this.alarms),
          width: 24,
          height: 3,
        }),
      ],
      [
        new cloudwatch.LogQueryWidget({
          title: 'Recent warnings and errors',
          logGroupNames: [props.logGroup.logGroupName],
          queryLines: [
            'fields @timestamp, level, message, jobId, externalExecutionId',
            'filter level in ["WARN", "ERROR", "CRITICAL"] or @message like "Task timed out"',
            'sort @timestamp desc',
            'limit 50',
          ],
          width: 24,
          height: 6,
        }),
      ],
    ];
  }
}

/** The roles of the worker's alarms. */
export type WorkerAlarmName =
  | 'errors'
  | 'throttles'
  | 'duration'
  | 'deadLetters'
  | 'jobFailures'
  | 'noSuccessfulPoll'
  | 'acknowledgeErrors'
  | 'reportErrors'
  | 'ledgerErrors'
  | 'abandonedJobs'
  | 'expiredClaims'
  | 'continuationLimits';
