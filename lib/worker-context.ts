import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ActionCategory, CustomActionProperty } from 'aws-cdk-lib/aws-codepipeline';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import type {
  CustomActionJobWorkerProps,
  WorkerLogLevel,
} from './custom-action-job-worker-props.js';

/** What `bin/app.ts` builds: a stack name and the worker's props. */
export interface WorkerAppConfig {
  readonly stackName: string;
  readonly worker: CustomActionJobWorkerProps;
}

/** The stack name when the `stackName` context key is not set. */
export const DEFAULT_STACK_NAME = 'CodePipelineJobWorker';

const LOG_LEVELS: readonly string[] = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'];
const PROPERTY_KEYS = ['name', 'required', 'key', 'secret', 'queryable', 'description', 'type'];

/**
 * Reads the worker's configuration from CDK context: the defaults in `cdk.json`, overridden
 * by `-c key=value`. Values given on the command line arrive as strings, so numbers,
 * booleans and the JSON list of configuration properties are parsed here. Keys left unset
 * fall back to the construct's documented defaults; ranges are checked by the construct.
 *
 * @param node - the App's node
 * @throws Error naming the context key whose value is unusable
 */
export function readWorkerContext(node: Node): WorkerAppConfig {
  const ctx = new ContextReader(node);
  const reservedConcurrency = ctx.raw('reservedConcurrency');
  const unreserved = reservedConcurrency === false || reservedConcurrency === 'none';
  const removalPolicy = ctx.oneOf('removalPolicy', ['retain', 'destroy']);
  return {
    stackName: ctx.string('stackName') ?? DEFAULT_STACK_NAME,
    worker: {
      category: ctx.requiredString('actionCategory') as ActionCategory,
      provider: ctx.requiredString('actionProvider'),
      version: ctx.string('actionVersion'),
      configurationProperties: ctx.configurationProperties('configurationProperties'),
      minInputArtifacts: ctx.number('minInputArtifacts'),
      maxInputArtifacts: ctx.number('maxInputArtifacts'),
      minOutputArtifacts: ctx.number('minOutputArtifacts'),
      maxOutputArtifacts: ctx.number('maxOutputArtifacts'),
      jobProcessor: ctx.string('jobProcessor'),
      scheduleRate: ctx.duration('scheduleRateMinutes', Duration.minutes),
      batchSize: ctx.number('batchSize'),
      concurrency: ctx.number('concurrency'),
      reserveConcurrency: unreserved ? false : undefined,
      reservedConcurrentExecutions: unreserved ? undefined : ctx.number('reservedConcurrency'),
      memorySize: ctx.number('memorySize'),
      timeout: ctx.duration('timeoutSeconds', Duration.seconds),
      deadlineMargin: ctx.duration('deadlineMarginMs', Duration.millis),
      leaseGrace: ctx.duration('leaseGraceSeconds', Duration.seconds),
      recordRetention: ctx.duration('recordRetentionDays', Duration.days),
      sdkMaxAttempts: ctx.number('sdkMaxAttempts'),
      sdkRequestTimeout: ctx.duration('sdkRequestTimeoutMs', Duration.millis),
      serviceName: ctx.string('serviceName'),
      metricsNamespace: ctx.string('metricsNamespace'),
      logLevel: ctx.oneOf('logLevel', LOG_LEVELS) as WorkerLogLevel | undefined,
      logRetention: ctx.logRetention('logRetentionDays'),
      retryAttempts: ctx.number('retryAttempts'),
      maxEventAge: ctx.duration('maxEventAgeMinutes', Duration.minutes),
      removalPolicy:
        removalPolicy === undefined
          ? undefined
          : removalPolicy === 'destroy'
            ? RemovalPolicy.DESTROY
            : RemovalPolicy.RETAIN,
      alarmEmail: ctx.string('alarmEmail'),
      missedPollPeriods: ctx.number('missedPollPeriods'),
    },
  };
}

class ContextReader {
  constructor(private readonly node: Node) {}

  raw(key: string): unknown {
    const value: unknown = this.node.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      throw contextError(key, 'must be a string', value);
    }
    return String(value).trim();
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined) {
      throw new Error(
        `CDK context '${key}' is required (set it in cdk.json or with -c ${key}=...)`,
      );
    }
    return value;
  }

  oneOf(key: string, allowed: readonly string[]): string | undefined {
    const value = this.string(key);
    if (value !== undefined && !allowed.includes(value)) {
      throw contextError(key, `must be one of ${allowed.join(', ')}`, value);
    }
    return value;
  }

  number(key: string): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const parsed = typeof value === 'string' ? Number(value.trim()) : value;
    if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
      throw contextError(key, 'must be a number', value);
    }
    return parsed;
  }

  duration(key: string, unit: (amount: number) => Duration): Duration | undefined {
    const amount = this.number(key);
    return amount === undefined ? undefined : unit(amount);
  }

  logRetention(key: string): logs.RetentionDays | undefined {
    const days = this.number(key);
    if (days === undefined) return undefined;
    const allowed = Object.values(logs.RetentionDays).filter((v) => typeof v === 'number');
    if (!allowed.includes(days)) {
      throw contextError(key, `must be one of ${allowed.join(', ')}`, days);
    }
    return days as logs.RetentionDays;
  }

  configurationProperties(key: string): CustomActionProperty[] | undefined {
    let value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        throw new Error(`CDK context '${key}' must be a JSON array of configuration properties`);
      }
    }
    if (!Array.isArray(value)) {
      throw new Error(`CDK context '${key}' must be an array of configuration properties`);
    }
    return value.map((item: unknown, index) => toProperty(item, `${key}[${index}]`));
  }
}

function toProperty(item: unknown, where: string): CustomActionProperty {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) {
    throw new Error(`CDK context '${where}' must be an object`);
  }
  const record = item as Record<string, unknown>;
  const unknownKeys = Object.keys(record).filter((k) => !PROPERTY_KEYS.includes(k));
  if (unknownKeys.length > 0) {
    throw new Error(`CDK context '${where}' has unknown keys: ${unknownKeys.join(', ')}`);
  }
  const { name, required, description, type } = record;
  if (typeof name !== 'string' || typeof required !== 'boolean') {
    throw new Error(`CDK context '${where}' needs a string 'name' and a boolean 'required'`);
  }
  const flag = (flagName: string): boolean | undefined => {
    const flagValue = record[flagName];
    if (flagValue !== undefined && typeof flagValue !== 'boolean') {
      throw new Error(`CDK context '${where}.${flagName}' must be a boolean`);
    }
    return flagValue;
  };
  if (description !== undefined && typeof description !== 'string') {
    throw new Error(`CDK context '${where}.description' must be a string`);
  }
  if (type !== undefined && typeof type !== 'string') {
    throw new Error(`CDK context '${where}.type' must be a string`);
  }
  return {
    name,
    required,
    key: flag('key'),
    secret: flag('secret'),
    queryable: flag('queryable'),
    description,
    type,
  };
}

function contextError(key: string, problem: string, value: unknown): Error {
  return new Error(`CDK context '${key}' ${problem} (got ${JSON.stringify(value)})`);
}
