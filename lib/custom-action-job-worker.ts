import {
  Annotations,
  Aws,
  Duration,
  Lazy,
  RemovalPolicy,
  Stack,
  Token,
  Validations,
} from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  ACTION_TYPE_ENV,
  LEDGER_SCHEMA,
  LEDGER_TABLE_ENV,
  POWERTOOLS_ENV,
  QUERY_PARAM_ENV,
  SECRET_KEYS_ENV,
  STOP_EVENT_STATES,
} from '../lambda/contract.js';
import {
  type ActionTypeIdentity,
  type ArtifactBounds,
  actionTypeArn,
  actionTypeLabel,
  actionTypeProblems,
  eventVersionValues,
  secretPropertyNames,
} from './action-type.js';
import { workerBundling } from './bundling.js';
import {
  dashboardUrl,
  functionUrl,
  logGroupList,
  logsInsightsExecutionUrl,
} from './console-urls.js';
import type {
  CustomActionJobWorkerProps,
  ICustomActionJobWorker,
} from './custom-action-job-worker-props.js';
import { JobWorkerAction, type JobWorkerActionProps } from './pipeline-action.js';
import { ProcessorPrincipal } from './processor-principal.js';
import type { SettingProblem } from './setting-problem.js';
import { urlTemplateProblems } from './url-templates.js';
import { resolveWorkerEntry, type WorkerEntry } from './worker-entry.js';
import { type WorkerAlarmName, WorkerMonitoring } from './worker-monitoring.js';
import { contractEnvironment, resolveSettings, type WorkerSettings } from './worker-settings.js';

export type {
  CustomActionJobWorkerProps,
  ICustomActionJobWorker,
  LedgerEncryption,
  WorkerLogLevel,
} from './custom-action-job-worker-props.js';

const EXECUTION_LINK_LOOKBACK_DAYS = 7;

/**
 * A serverless job worker for one CodePipeline custom action type: the action type itself,
 * a Lambda function invoked on a schedule and on the action's STARTED events (and on its
 * ABANDONED, CANCELED and FAILED events, so that a stopped execution's external work is
 * stopped), the DynamoDB nonce ledger, a dead-letter queue, least-privilege IAM, alarms, and a
 * dashboard when `dashboard` asks for one.
 *
 *
 * Every value is checked at synth against what CodePipeline and the function accept; each bad
 * value is reported as an error of `cdk synth` naming the prop, all of them at once.
 *
 * @example
 * new CustomActionJobWorker(this, 'SecurityScan', {
 *   category: codepipeline.ActionCategory.TEST,
 *   provider: 'SecurityScan',
 *   entry: 'src/handler.ts',
 *   configurationProperties: [
 *     { name: 'Severity', required: true, key: true, type: 'String' },
 *   ],
 * });
 */
export class CustomActionJobWorker
  extends Construct
  implements ICustomActionJobWorker, iam.IGrantable
{
  /** Owner, category, provider and version of the action type. */
  public readonly actionType: ActionTypeIdentity;
  /** `Custom/Category/Provider/Version`. */
  public readonly actionTypeLabel: string;
  /** ARN of the action type (the only resource `codepipeline:PollForJobs` accepts). */
  public readonly actionTypeArn: string;
  /** The worker function (bundled from `entry`). */
  public readonly workerFunction: lambda.Function;
  /** The function's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The nonce ledger. */
  public readonly ledgerTable: dynamodb.Table;
  /** The customer-managed key of the ledger; undefined with `ledgerEncryption: 'aws-owned'`. */
  public readonly encryptionKey?: kms.Key;
  /** Receives failed invocations and the events EventBridge could not deliver. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Invokes the worker at the schedule rate. */
  public readonly scheduleRule: events.Rule;
  /** Invokes the worker when an action of this type starts. */
  public readonly startedEventRule: events.Rule;
  /**
   * Invokes the worker when an action execution of this type is abandoned, canceled or fails,
   * so that the processor's `cancel` can stop the execution's external work.
   */
  public readonly stopEventRule: events.Rule;
  /** Where alarm notifications go, when a topic was given or created. */
  public readonly alarmTopic?: sns.ITopic;
  /** Every alarm, by role. */
  public readonly alarms: Readonly<Record<WorkerAlarmName, cloudwatch.Alarm>>;
  /** The dashboard the worker's widgets are on, when `dashboard` asked for one. */
  public readonly dashboard?: cloudwatch.Dashboard;
  /** Console link to that dashboard. */
  public readonly dashboardUrl?: string;
  /** `namespace/service` of the worker's metrics. */
  public readonly metricsIdentity: string;
  /** The action type's configuration properties, every flag spelled out. */
  public readonly configurationProperties: readonly codepipeline.CustomActionProperty[];
  /** The queryable property and the value this worker polls for, if any. */
  public readonly queryParam?: Readonly<Record<string, string>>;
  /** The action type's registration; undefined when another worker registers it. */
  public readonly registration?: codepipeline.CustomActionRegistration;
  /** The artifact counts an action of this type takes (those of the worker that registers it). */
  public readonly artifactBounds: ArtifactBounds;
  /**
   * What `grant*` calls give the processor's own calls to: the function's role, through a
   * policy of its own (see {@link processorPolicy}).
   */
  public readonly grantPrincipal: iam.IPrincipal;
  private readonly processor: ProcessorPrincipal;
  /** Log groups the Details link searches: this worker's, and those of workers it registers for. */
  private readonly detailsLogGroups: logs.ILogGroup[] = [];
  /** The registration a pipeline with an action of this type waits for. */
  private readonly typeRegistration?: codepipeline.CustomActionRegistration;

  constructor(scope: Construct, id: string, props: CustomActionJobWorkerProps) {
    super(scope, id);
    const { settings, problems } = resolveSettings(props);
    this.metricsIdentity = `${settings.metricsNamespace}/${settings.serviceName}`;
    problems.push(...this.metricsProblems());
    const registrar = props.registeredBy;
    const properties = (
      props.configurationProperties ??
      registrar?.configurationProperties ??
      []
    ).map(normalizeProperty);
    this.configurationProperties = properties;
    this.queryParam = props.queryParam;
    this.actionType = {
      owner: 'Custom',
      category: props.category,
      provider: props.provider,
      version: props.version ?? '1',
    };
    problems.push(
      ...actionTypeProblems(this.actionType, properties, settings.artifactBounds, props.queryParam),
    );
    if (registrar) problems.push(...this.registrarProblems(registrar, props));
    if (!registrar) {
      const { entityUrlTemplate, executionUrlTemplate } = props;
      problems.push(
        ...urlTemplateProblems({ entityUrlTemplate, executionUrlTemplate }, properties),
      );
    }
    const entry = resolveWorkerEntry(props);
    problems.push(...entry.problems);
    if (props.alarmEmail !== undefined && !Token.isUnresolved(props.alarmEmail)) {
      if (!/^[^@\s]+@[^@\s]+$/.test(props.alarmEmail)) {
        problems.push({
          setting: 'alarmEmail',
          problem: `must be an e-mail address (got '${props.alarmEmail}')`,
        });
      }
    }
    this.report(problems);
    this.actionTypeLabel = actionTypeLabel(this.actionType);
    this.actionTypeArn = actionTypeArn(this.actionType, Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID);

    this.encryptionKey =
      settings.ledgerEncryption === 'customer-managed'
        ? new kms.Key(this, 'LedgerKey', {
            description: `Encrypts the nonce ledger of the ${this.actionTypeLabel} job worker`,
            enableKeyRotation: true,
            removalPolicy: settings.removalPolicy,
          })
        : undefined;
    this.ledgerTable = this.createLedger(settings.removalPolicy);
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: settings.logRetention,
      removalPolicy: settings.removalPolicy,
    });
    this.deadLetterQueue = this.createDeadLetterQueue();
    this.workerFunction = this.createFunction(
      props,
      entry.entry,
      settings,
      properties,
      problems.some((p) => p.setting === 'queryParam') ? undefined : props.queryParam,
    );
    const role = this.workerFunction.role as iam.Role;
    this.processor = new ProcessorPrincipal(this, 'Processor', role, this.workerFunction);
    this.grantPrincipal = this.processor;
    for (const statement of props.policyStatements ?? []) this.addToRolePolicy(statement);

    this.alarmTopic =
      props.alarmTopic ??
      (problems.some((p) => p.setting === 'alarmEmail')
        ? undefined
        : this.createAlarmTopic(props.alarmEmail));
    this.dashboard =
      props.dashboard instanceof cloudwatch.Dashboard
        ? props.dashboard
        : props.dashboard === true
          ? new cloudwatch.Dashboard(this, 'Dashboard', { defaultInterval: Duration.hours(3) })
          : undefined;
    const monitoring = new WorkerMonitoring(this, 'Monitoring', {
      fn: this.workerFunction,
      logGroup: this.logGroup,
      timeout: settings.timeout,
      deadLetterQueue: this.deadLetterQueue,
      metricsNamespace: settings.metricsNamespace,
      serviceName: settings.serviceName,
      scheduleRate: settings.scheduleRate,
      missedPollPeriods: settings.missedPollPeriods,
      errorAlarmThreshold: settings.errorAlarmThreshold,
      reservedConcurrentExecutions: settings.reservedConcurrentExecutions,
      actionLabel: this.actionTypeLabel,
      alarmTopic: this.alarmTopic,
      dashboard: this.dashboard,
    });
    this.alarms = monitoring.alarms;
    this.dashboardUrl = this.dashboard
      ? dashboardUrl(this, this.dashboard.dashboardName)
      : undefined;

    this.detailsLogGroups.push(this.logGroup);
    if (registrar) {
      if (registrar instanceof CustomActionJobWorker)
        registrar.detailsLogGroups.push(this.logGroup);
    } else {
      this.registration = new codepipeline.CustomActionRegistration(this, 'ActionType', {
        category: this.actionType.category,
        provider: this.actionType.provider,
        version: this.actionType.version,
        artifactBounds: settings.artifactBounds,
        actionProperties: properties,
        // The pipeline's "Details" link: this job's log lines, found by its external execution
        // id, in the log groups of every worker of the type.
        executionUrl:
          props.executionUrlTemplate ??
          logsInsightsExecutionUrl(
            this,
            Lazy.string({
              produce: () => logGroupList(this.detailsLogGroups.map((group) => group.logGroupName)),
            }),
            EXECUTION_LINK_LOOKBACK_DAYS,
          ),
        // The function's own console page (its monitoring tab is free): not the dashboard,
        // which is optional, because changing this URL replaces the action type.
        entityUrl: props.entityUrlTemplate ?? functionUrl(this, this.workerFunction.functionName),
      });
    }
    const registration = registrar?.registration ?? this.registration;
    this.typeRegistration = registration;
    this.artifactBounds =
      registrar instanceof CustomActionJobWorker
        ? registrar.artifactBounds
        : settings.artifactBounds;

    const target = new targets.LambdaFunction(this.workerFunction, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: settings.retryAttempts,
      maxEventAge: settings.maxEventAge,
    });
    this.scheduleRule = new events.Rule(this, 'ScheduleRule', {
      description: `Invokes the ${this.actionTypeLabel} job worker on a schedule`,
      schedule: events.Schedule.rate(settings.scheduleRate),
      targets: [target],
    });
    this.startedEventRule = new events.Rule(this, 'StartedEventRule', {
      description: `Invokes the ${this.actionTypeLabel} job worker when such an action starts`,
      eventPattern: this.actionEventPattern(['STARTED']),
      targets: [target],
    });
    this.stopEventRule = new events.Rule(this, 'StopEventRule', {
      description: `Invokes the ${this.actionTypeLabel} job worker when such an action execution is stopped or fails`,
      eventPattern: this.actionEventPattern([...STOP_EVENT_STATES]),
      targets: [target],
    });
    // Polling an action type that does not exist yet fails with ActionTypeNotFoundException.
    if (registration) {
      this.scheduleRule.node.addDependency(registration);
      this.startedEventRule.node.addDependency(registration);
      this.stopEventRule.node.addDependency(registration);
    }
  }

  /**
   * Lets the processor make a call of its own: adds `statement` to the function's role, in
   * the processor's policy.
   *
   * @param statement - what the processor may call
   * @example
   * worker.addToRolePolicy(new iam.PolicyStatement({
   *   actions: ['states:StartExecution'],
   *   resources: [stateMachine.stateMachineArn],
   * }));
   */
  public addToRolePolicy(statement: iam.PolicyStatement): void {
    this.processor.addToPrincipalPolicy(statement);
  }

  /**
   * An action of this worker's action type for a CodePipeline pipeline (`Pipeline` accepts
   * it). Its configuration and artifact counts are checked against the action type when it is
   * added to a pipeline, each problem an error of `cdk synth`; the pipeline depends on the
   * action type's registration, so one deployment creates both, in order.
   *
   * @param props - its name, artifacts, configuration, namespace and run order
   * @example
   * const scan = worker.action({
   *   actionName: 'Scan',
   *   input: sourceOutput,
   *   configuration: { Severity: 'HIGH' },
   * });
   * pipeline.addStage({ stageName: 'Test', actions: [scan] });
   */
  public action(props: JobWorkerActionProps): JobWorkerAction {
    return new JobWorkerAction(
      {
        identity: this.actionType,
        properties: this.configurationProperties,
        bounds: this.artifactBounds,
        queryParam: this.queryParam,
        registration: this.typeRegistration,
        worker: this.node.path,
      },
      props,
    );
  }

  /**
   * The policy that holds the processor's statements and grants, attached to the function's
   * role; undefined while there are none. Acknowledge cdk-nag findings of your statements
   * here.
   */
  public get processorPolicy(): iam.Policy | undefined {
    return this.processor.processorPolicy;
  }

  /** A worker that polls another's action type must describe the same type, with its own value. */
  /** The action type's `CodePipeline Action Execution State Change` events in `states`. */
  private actionEventPattern(states: readonly string[]): events.EventPattern {
    return {
      source: ['aws.codepipeline'],
      detailType: ['CodePipeline Action Execution State Change'],
      detail: {
        state: [...states],
        type: {
          owner: [this.actionType.owner],
          category: [this.actionType.category],
          provider: [this.actionType.provider],
          version: eventVersionValues(this.actionType.version),
        },
      },
    };
  }

  private registrarProblems(
    registrar: ICustomActionJobWorker,
    props: CustomActionJobWorkerProps,
  ): SettingProblem[] {
    const problems: SettingProblem[] = [];
    const other = registrar.node.path;
    for (const setting of ['entityUrlTemplate', 'executionUrlTemplate'] as const) {
      if (props[setting] !== undefined) {
        problems.push({
          setting,
          problem: `must be unset: ${other} registers the action type, whose links are set there`,
        });
      }
    }
    if (!(registrar instanceof CustomActionJobWorker)) {
      // Its Details link would not search this worker's log group.
      problems.push({
        setting: 'registeredBy',
        problem: `must be a CustomActionJobWorker (${other} is not)`,
      });
    }
    if (registrar.registration === undefined) {
      problems.push({
        setting: 'registeredBy',
        problem: `must be a worker that registers its action type (${other} polls another's)`,
      });
    }
    const mine = this.actionType;
    const theirs = registrar.actionType;
    for (const key of ['category', 'provider', 'version'] as const) {
      if (mine[key] !== theirs[key]) {
        problems.push({
          setting: key,
          problem: `must be that of ${other}, which registers the action type (got '${mine[key]}', not '${theirs[key]}')`,
        });
      }
    }
    if (
      JSON.stringify(this.configurationProperties) !==
      JSON.stringify(registrar.configurationProperties)
    ) {
      problems.push({
        setting: 'configurationProperties',
        problem: `must be those of ${other}, which registers the action type (or be left out)`,
      });
    }
    if (JSON.stringify(this.queryParam) === JSON.stringify(registrar.queryParam)) {
      problems.push({
        setting: 'queryParam',
        problem: `must differ from that of ${other}: both would poll the same jobs`,
      });
    }
    return problems;
  }

  /** Reports every problem as an error of `cdk synth`, one line each, naming the prop. */
  private report(problems: readonly SettingProblem[]): void {
    for (const { setting, problem } of problems) {
      Annotations.of(this).addError(`${setting} ${problem}`);
    }
  }

  /**
   * Two workers reporting under one namespace and service would add up each other's metrics,
   * so one worker's PollsSucceeded would hide the other's silence.
   */
  private metricsProblems(): SettingProblem[] {
    const clash = Stack.of(this)
      .node.findAll()
      .find(
        (c) =>
          c !== this &&
          c instanceof CustomActionJobWorker &&
          c.metricsIdentity === this.metricsIdentity,
      );
    return clash
      ? [
          {
            setting: 'serviceName',
            problem: `must differ from that of ${clash.node.path}: both would publish the metrics ${this.metricsIdentity}`,
          },
        ]
      : [];
  }

  private createLedger(removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, 'Ledger', {
      partitionKey: { name: LEDGER_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: LEDGER_SCHEMA.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      ...(this.encryptionKey
        ? {
            encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryptionKey: this.encryptionKey,
          }
        : { encryption: dynamodb.TableEncryption.DEFAULT }),
      // A retained table is worth protecting from a stray console or CLI delete too.
      deletionProtection: removalPolicy !== RemovalPolicy.DESTROY,
      removalPolicy,
    });
    const { pendingIndex } = LEDGER_SCHEMA;
    table.addGlobalSecondaryIndex({
      indexName: pendingIndex.name,
      partitionKey: { name: pendingIndex.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: pendingIndex.sortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    return table;
  }

  private createDeadLetterQueue(): sqs.Queue {
    const queue = new sqs.Queue(this, 'DeadLetterQueue', {
      // The messages are invocation events and Lambda's failure records: no job data, no
      // secrets. SQS-managed encryption keeps EventBridge and Lambda out of the ledger's key.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const reason =
      'This queue is itself the dead-letter target of the worker (DLQ of both EventBridge targets and the Lambda on-failure destination); a dead-letter queue behind it would only move the same messages one hop further.';
    Validations.of(queue).acknowledge(
      { id: 'AwsSolutions-SQS3', reason },
      { id: 'Serverless-SQSRedrivePolicy', reason },
    );
    return queue;
  }

  private createFunction(
    props: CustomActionJobWorkerProps,
    entry: WorkerEntry | undefined,
    settings: WorkerSettings,
    properties: readonly codepipeline.CustomActionProperty[],
    queryParam: Readonly<Record<string, string>> | undefined,
  ): lambda.Function {
    // A role of our own instead of AWSLambdaBasicExecutionRole (which may create log groups
    // and write to any of them): here log writes are scoped to this function's log group.
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${this.actionTypeLabel} job worker`,
    });
    const common: Omit<lambda.FunctionProps, 'code' | 'handler'> = {
      description: `CodePipeline job worker for ${this.actionTypeLabel}`,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: settings.memorySize,
      ephemeralStorageSize: settings.ephemeralStorageSize,
      timeout: settings.timeout,
      role,
      logGroup: this.logGroup,
      tracing: lambda.Tracing.ACTIVE,
      reservedConcurrentExecutions: settings.reservedConcurrentExecutions,
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
      retryAttempts: settings.retryAttempts,
      maxEventAge: settings.maxEventAge,
      environment: this.environment(settings, properties, queryParam),
    };
    // With an unusable entry, synth already failed: the function stays a placeholder so the
    // rest of the worker can still be built and every problem reported at once.
    const fn = entry
      ? new nodejs.NodejsFunction(this, 'Function', {
          ...common,
          entry: entry.entry,
          handler: entry.handler,
          projectRoot: entry.projectRoot,
          depsLockFilePath: entry.depsLockFilePath,
          bundling: this.bundling(entry, props),
        })
      : new lambda.Function(this, 'Function', {
          ...common,
          code: lambda.Code.fromInline('// entry unusable: see the synth errors'),
          handler: 'index.handler',
        });
    Validations.of(fn).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'Failed asynchronous invocations go to an on-failure destination (the dead-letter queue), which records the error and the request context; a DeadLetterConfig as well would deliver every failure twice.',
    });
    this.grantLeastPrivilege(role);
    return fn;
  }

  /** The worker's bundling (shared with `npm run bench`), with the user's options over it. */
  private bundling(entry: WorkerEntry, props: CustomActionJobWorkerProps): nodejs.BundlingOptions {
    const ours = workerBundling({
      projectRoot: entry.projectRoot,
      substitutes: props.bundleSubstitutes ?? true,
    });
    const theirs = props.bundling ?? {};
    return {
      ...ours,
      ...theirs,
      esbuildArgs: { ...ours.esbuildArgs, ...theirs.esbuildArgs },
    };
  }

  private environment(
    settings: WorkerSettings,
    properties: readonly codepipeline.CustomActionProperty[],
    queryParam: Readonly<Record<string, string>> | undefined,
  ): Record<string, string> {
    return {
      [ACTION_TYPE_ENV.category]: this.actionType.category,
      [ACTION_TYPE_ENV.provider]: this.actionType.provider,
      [ACTION_TYPE_ENV.version]: this.actionType.version,
      [LEDGER_TABLE_ENV]: this.ledgerTable.tableName,
      ...contractEnvironment(settings),
      [SECRET_KEYS_ENV]: secretPropertyNames(properties),
      ...(queryParam ? { [QUERY_PARAM_ENV]: JSON.stringify(queryParam) } : {}),
      [POWERTOOLS_ENV.serviceName]: settings.serviceName,
      [POWERTOOLS_ENV.metricsNamespace]: settings.metricsNamespace,
      [POWERTOOLS_ENV.logLevel]: settings.logLevel,
    };
  }

  private grantLeastPrivilege(role: iam.Role): void {
    this.logGroup.grantWrite(role);
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'PollThisActionType',
        actions: ['codepipeline:PollForJobs'],
        resources: [this.actionTypeArn],
      }),
    );
    // AcknowledgeJob, GetJobDetails, PutJobSuccessResult and PutJobFailureResult support no
    // resource-level permissions: IAM accepts only "*" for them. What scopes them in practice
    // is the job id and nonce, which only PollForJobs (scoped above) hands out.
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'WorkOnPolledJobs',
        actions: [
          'codepipeline:AcknowledgeJob',
          'codepipeline:GetJobDetails',
          'codepipeline:PutJobSuccessResult',
          'codepipeline:PutJobFailureResult',
        ],
        resources: ['*'],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ClaimJobsInLedger',
        actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
        resources: [this.ledgerTable.tableArn],
      }),
    );
    role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'FindExpiredClaims',
        actions: ['dynamodb:Query'],
        resources: [`${this.ledgerTable.tableArn}/index/${LEDGER_SCHEMA.pendingIndex.name}`],
      }),
    );
    // DynamoDB uses the table's key on the caller's behalf; ViaService keeps the role from
    // using the key directly.
    if (this.encryptionKey) {
      role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'UseLedgerKeyThroughDynamoDB',
          actions: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [this.encryptionKey.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `dynamodb.${Aws.REGION}.${Aws.URL_SUFFIX}` },
          },
        }),
      );
    }
    const policy = role.node.tryFindChild('DefaultPolicy');
    if (policy) {
      const reason =
        'Only "*" is possible for these actions: codepipeline:AcknowledgeJob, GetJobDetails, PutJobSuccessResult and PutJobFailureResult have no resource-level permissions (the job id and nonce they need come only from PollForJobs, which is scoped to this action type), and neither have xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing).';
      Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason });
    }
  }

  private createAlarmTopic(alarmEmail: string | undefined): sns.ITopic | undefined {
    if (alarmEmail === undefined) {
      return undefined;
    }
    // CloudWatch cannot publish to a topic under the AWS-managed SNS key, so the topic gets a
    // customer-managed key whose policy lets CloudWatch use it. It holds no data at rest.
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: `Encrypts the alarm notifications of the ${this.actionTypeLabel} job worker`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'AlarmTopic', { masterKey: key, enforceSSL: true });
    const subscription = topic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));
    Validations.of(subscription).acknowledge({
      id: 'Serverless-SNSRedrivePolicy',
      reason:
        'E-mail subscription for alarm notifications: the alarm state stays visible in CloudWatch whatever happens to the e-mail, so a dead-letter queue would hold copies nobody reads.',
    });
    return topic;
  }
}

/**
 * Spells out every flag: CloudFormation requires Key, Required and Secret, and the CDK
 * registration would pass an explicit `undefined` through.
 */
function normalizeProperty(
  property: codepipeline.CustomActionProperty,
): codepipeline.CustomActionProperty {
  return {
    name: property.name,
    required: property.required,
    key: property.key ?? false,
    secret: property.secret ?? false,
    queryable: property.queryable ?? false,
    type: property.type ?? 'String',
    ...(property.description === undefined ? {} : { description: property.description }),
  };
}
