import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

/** The EMF metrics the worker emits, by the names it uses. */
export const WORKER_METRICS = {
  flow: ['JobsPolled', 'JobsAcknowledged', 'JobsSucceeded', 'JobsFailed', 'JobsContinued'],
  anomalies: [
    'DuplicatesSkipped',
    'ClaimsLost',
    'AcknowledgeErrors',
    'ReportErrors',
    'JobsRecovered',
  ],
  polls: 'PollsSucceeded',
  duration: 'ProcessingDuration',
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
  /** The function's reserved concurrency, drawn on the concurrency graph when set. */
  readonly reservedConcurrentExecutions?: number;
  /** `Custom/Category/Provider/Version`, shown on the dashboard. */
  readonly actionLabel: string;
  /** Where alarm and OK notifications go, if anywhere. */
  readonly alarmTopic?: sns.ITopic;
}

const PERIOD = Duration.minutes(5);
const DURATION_ALARM_RATIO = 0.9;

/**
 * Dashboard and alarms of one job worker. Internal to {@link CustomActionJobWorker}.
 */
export class WorkerMonitoring extends Construct {
  /** The worker's dashboard. */
  public readonly dashboard: cloudwatch.Dashboard;
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
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: this.widgets(props),
    });
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
      dimensionsMap: { service: props.serviceName },
      statistic,
      period,
    });
  }

  private createAlarms(props: WorkerMonitoringProps): Record<WorkerAlarmName, cloudwatch.Alarm> {
    const { fn } = props;
    const timeoutMs = props.timeout.toMilliseconds();
    // A poll alarm period shorter than the schedule would see empty periods in normal operation.
    const pollPeriod = Duration.seconds(
      Math.max(PERIOD.toSeconds(), props.scheduleRate.toSeconds()),
    );
    const notBreaching = cloudwatch.TreatMissingData.NOT_BREACHING;
    const atLeastOne = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    return {
      errors: new cloudwatch.Alarm(this, 'ErrorsAlarm', {
        alarmDescription: `${props.actionLabel}: the worker function failed (an invocation threw). Open the dashboard's error log query; failed invocations also land in the dead-letter queue.`,
        metric: fn.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: atLeastOne,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      throttles: new cloudwatch.Alarm(this, 'ThrottlesAlarm', {
        alarmDescription: `${props.actionLabel}: invocations were throttled for 15 minutes: the reserved concurrency is saturated. Check for a burst of pipeline starts or slow jobs; raise reservedConcurrency if the load is real.`,
        metric: fn.metricThrottles({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        comparisonOperator: atLeastOne,
        evaluationPeriods: 3,
        treatMissingData: notBreaching,
      }),
      duration: new cloudwatch.Alarm(this, 'DurationAlarm', {
        alarmDescription: `${props.actionLabel}: an invocation ran past ${DURATION_ALARM_RATIO * 100}% of the ${props.timeout.toSeconds()} s timeout; the deadline margin did not leave enough time to report. Raise the timeout or DEADLINE_MARGIN_MS, or lower the batch size.`,
        metric: fn.metricDuration({ period: PERIOD, statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: Math.floor(timeoutMs * DURATION_ALARM_RATIO),
        comparisonOperator: atLeastOne,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      deadLetters: new cloudwatch.Alarm(this, 'DeadLetterAlarm', {
        alarmDescription: `${props.actionLabel}: messages are waiting in the dead-letter queue (failed invocations or undeliverable events). Read them, fix the cause, then purge the queue.`,
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: 1,
        comparisonOperator: atLeastOne,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      jobFailures: new cloudwatch.Alarm(this, 'JobFailuresAlarm', {
        alarmDescription: `${props.actionLabel}: the worker reported at least one job as failed. Open the failed action's Details link in CodePipeline for the job's logs; ConfigurationError means the pipeline's action configuration is wrong.`,
        metric: this.workerMetric(props, 'JobsFailed'),
        threshold: 1,
        comparisonOperator: atLeastOne,
        evaluationPeriods: 1,
        treatMissingData: notBreaching,
      }),
      noSuccessfulPoll: new cloudwatch.Alarm(this, 'NoSuccessfulPollAlarm', {
        alarmDescription: `${props.actionLabel}: no successful PollForJobs for ${props.missedPollPeriods} periods of ${pollPeriod.toMinutes()} min: jobs of this action type are not being picked up. Check the schedule rule is enabled, the function's errors and throttles, and the CodePipeline permissions.`,
        metric: this.workerMetric(props, WORKER_METRICS.polls, cloudwatch.Stats.SUM, pollPeriod),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: props.missedPollPeriods,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      }),
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
          markdown: `# Job worker for ${props.actionLabel}\nInvocations come from the schedule (every ${props.scheduleRate.toMinutes()} min) and from CodePipeline STARTED events. Worker metrics: namespace \`${props.metricsNamespace}\`, service \`${props.serviceName}\`.`,
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
          width: 12,
        }),
        new cloudwatch.GraphWidget({
          title: 'Duplicates, lost claims, API errors, recoveries',
          left: WORKER_METRICS.anomalies.map(sum),
          width: 12,
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
          title: 'Alarms',
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
            'fields @timestamp, level, message, jobId, actionExecutionId',
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
  | 'noSuccessfulPoll';
