import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ActionCategory, CustomActionProperty } from 'aws-cdk-lib/aws-codepipeline';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { INTEGER_SETTINGS, type IntegerSettingName, LOG_LEVELS } from '../lambda/contract.js';
import { actionTypeProblems } from '../lib/action-type.js';
import type {
  CustomActionJobWorkerProps,
  LedgerEncryption,
  WorkerLogLevel,
} from '../lib/custom-action-job-worker-props.js';
import { closest } from '../lib/did-you-mean.js';
import { propValue, resolveSettings, type SettingProblem } from '../lib/worker-settings.js';
import { presetOverrides, SAMPLE_PRESETS } from './presets.js';

/** What `bin/app.ts` builds: a stack name, the worker's props, and what is wrong with them. */
export interface WorkerAppConfig {
  readonly stackName: string;
  readonly worker: CustomActionJobWorkerProps;
  /** Every unusable context value, one line each, naming its context key. */
  readonly problems: readonly string[];
}

/** The stack name when the `stackName` context key is not set. */
export const DEFAULT_STACK_NAME = 'CodePipelineJobWorker';

/** The sample processors this app deploys, by the name `jobProcessor` selects: their entries. */
export const SAMPLE_PROCESSORS: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(SAMPLE_PRESETS).map(([name, preset]) => [name, preset.entry]),
);

/** The sample deployed when neither cdk.json nor `-c` names one. */
const DEFAULT_PROCESSOR = 'bake-time-gate';

/** Options of {@link readWorkerContext}. */
export interface WorkerContextOptions {
  /**
   * cdk.json's `context` block: its action type describes its own `jobProcessor`, so another
   * processor selected with `-c` replaces those values with its preset.
   * @default {} (a preset then fills only the keys left unset)
   */
  readonly cdkJson?: Readonly<Record<string, unknown>>;
}

/**
 * The context key of each of the function's integer settings, by the contract's name, in the
 * setting's unit: its variable in camel case (`DEADLINE_MARGIN_MS` is `deadlineMarginMs`,
 * `..._MIB` ends in `MiB`).
 */
export const CONTRACT_CONTEXT_KEYS = Object.fromEntries(
  Object.entries(INTEGER_SETTINGS).map(([name, { variable }]) => [
    name,
    variable
      .toLowerCase()
      .replace(/_([a-z])/g, (_, letter: string) => letter.toUpperCase())
      .replace(/Mib$/, 'MiB'),
  ]),
) as Readonly<Record<IntegerSettingName, string>>;

/** The context key of each prop whose problems the construct reports by the prop's name. */
const CONTEXT_KEYS: Readonly<Record<string, string>> = {
  ...CONTRACT_CONTEXT_KEYS,
  category: 'actionCategory',
  provider: 'actionProvider',
  version: 'actionVersion',
  scheduleRate: 'scheduleRateMinutes',
  reservedConcurrentExecutions: 'reservedConcurrency',
  timeout: 'timeoutSeconds',
  logRetention: 'logRetentionDays',
  maxEventAge: 'maxEventAgeMinutes',
  entry: 'jobProcessor',
};

const LEDGER_ENCRYPTIONS: readonly LedgerEncryption[] = ['customer-managed', 'aws-owned'];
const PROPERTY_KEYS = ['name', 'required', 'key', 'secret', 'queryable', 'description', 'type'];

/**
 * Reads the worker's configuration from CDK context: the defaults in `cdk.json`, overridden
 * by `-c key=value`. Values given on the command line arrive as strings, so numbers,
 * booleans and the JSON list of configuration properties are parsed here. Keys left unset
 * fall back to the construct's documented defaults. Every value is checked as the construct
 * checks it (the same ranges the function checks at cold start), and every problem is
 * returned, one line each, naming its context key.
 *
 * `jobProcessor` selects a sample and its preset (action type, stack and service names) for
 * the keys not given otherwise; see {@link presetOverrides}. An unknown name is one problem,
 * and the rest is read as for cdk.json's processor.
 *
 * @param node - the App's node
 * @param options - cdk.json's context, to tell its values from `-c` ones
 */
export function readWorkerContext(node: Node, options: WorkerContextOptions = {}): WorkerAppConfig {
  const cdkJson = options.cdkJson ?? {};
  const ctx = new ContextReader(node);
  const fallback = SAMPLE_PRESETS[String(cdkJson.jobProcessor)]
    ? String(cdkJson.jobProcessor)
    : DEFAULT_PROCESSOR;
  const processor = ctx.oneOf('jobProcessor', Object.keys(SAMPLE_PRESETS)) ?? fallback;
  ctx.overrides = presetOverrides(processor, (key) => ctx.raw(key), cdkJson);
  const worker = readWorkerProps(ctx, processor);
  const { settings, problems } = resolveSettings(worker);
  problems.push(
    ...actionTypeProblems(
      {
        owner: 'Custom',
        category: worker.category,
        provider: worker.provider,
        version: worker.version ?? '1',
      },
      worker.configurationProperties ?? [],
      settings.artifactBounds,
      worker.queryParam,
    ),
  );
  // A key whose value could not be read at all is reported once, for that.
  const unread = new Set(ctx.problems.map((line) => /'([^'[.]+)/.exec(line)?.[1]));
  const stackName = ctx.string('stackName') ?? DEFAULT_STACK_NAME;
  return {
    stackName,
    worker,
    problems: [
      ...ctx.problems,
      ...problems.filter((p) => !unread.has(contextKey(p.setting))).map(contextProblem),
      ...unknownKeys(node, ctx.asked),
    ],
  };
}

/** Context keys of the CDK itself that are not the app's settings. */
const CDK_KEYS = new Set(['cli-telemetry', 'acknowledged-issue-numbers']);

/**
 * A problem for each context key that is none of the app's settings: a misspelt setting
 * (`-c batchSiz=5`) would otherwise be ignored and the default deployed. Feature flags
 * (`@aws-cdk/...`) and the CLI's own keys (`aws:cdk:...`) are the CDK's.
 */
function unknownKeys(node: Node, known: ReadonlySet<string>): string[] {
  const all = Object.keys((node.getAllContext() ?? {}) as Record<string, unknown>);
  return all
    .filter((key) => !known.has(key) && !key.startsWith('@') && !key.includes(':'))
    .filter((key) => !CDK_KEYS.has(key))
    .map((key) => {
      const near = closest(key, known);
      return `CDK context '${key}' is not a setting of this app${near ? ` (did you mean '${near}'?)` : ''}`;
    });
}

function contextKey(setting: string): string {
  return CONTEXT_KEYS[setting] ?? setting;
}

/** A construct problem, named by its context key. */
function contextProblem({ setting, problem }: SettingProblem): string {
  return `CDK context '${contextKey(setting)}' ${problem}`;
}

/** The contract's integer settings, each read from its context key in its unit. */
function contractProps(ctx: ContextReader): Partial<CustomActionJobWorkerProps> {
  return Object.fromEntries(
    (Object.entries(CONTRACT_CONTEXT_KEYS) as [IntegerSettingName, string][]).map(([name, key]) => {
      const { unit } = INTEGER_SETTINGS[name];
      const amount = ctx.number(key, unit !== 'count');
      return [name, amount === undefined ? undefined : propValue(unit, amount)];
    }),
  );
}

function readWorkerProps(ctx: ContextReader, processor: string): CustomActionJobWorkerProps {
  const reservedConcurrency = ctx.raw('reservedConcurrency');
  const unreserved = reservedConcurrency === false || reservedConcurrency === 'none';
  const removalPolicy = ctx.oneOf('removalPolicy', ['retain', 'destroy']);
  return {
    category: ctx.requiredString('actionCategory') as ActionCategory,
    provider: ctx.requiredString('actionProvider'),
    version: ctx.string('actionVersion'),
    configurationProperties: ctx.configurationProperties('configurationProperties'),
    minInputArtifacts: ctx.number('minInputArtifacts'),
    maxInputArtifacts: ctx.number('maxInputArtifacts'),
    minOutputArtifacts: ctx.number('minOutputArtifacts'),
    maxOutputArtifacts: ctx.number('maxOutputArtifacts'),
    entry: SAMPLE_PROCESSORS[processor] ?? '',
    queryParam: ctx.queryParam('queryParam'),
    scheduleRate: ctx.duration('scheduleRateMinutes', Duration.minutes),
    ...contractProps(ctx),
    reserveConcurrency: unreserved ? false : undefined,
    reservedConcurrentExecutions: unreserved ? undefined : ctx.number('reservedConcurrency'),
    memorySize: ctx.number('memorySize'),
    timeout: ctx.duration('timeoutSeconds', Duration.seconds),
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
    errorAlarmThreshold: ctx.number('errorAlarmThreshold'),
    dashboard: ctx.boolean('dashboard'),
    ledgerEncryption: ctx.oneOf('ledgerEncryption', LEDGER_ENCRYPTIONS) as
      | LedgerEncryption
      | undefined,
  };
}

/** Reads context keys; an unusable value is recorded (and read as unset), never thrown. */
class ContextReader {
  readonly problems: string[] = [];
  /** Values that take the place of the App's (a sample's preset). */
  overrides: Readonly<Record<string, unknown>> = {};

  constructor(private readonly node: Node) {}

  #refuse(key: string, problem: string, value: unknown): undefined {
    this.problems.push(`CDK context '${key}' ${problem} (got ${JSON.stringify(value)})`);
    return undefined;
  }

  /** Every key this reader was asked for: the app's settings. */
  readonly asked = new Set<string>();

  raw(key: string): unknown {
    this.asked.add(key);
    const value: unknown =
      key in this.overrides ? this.overrides[key] : this.node.tryGetContext(key);
    return value === '' || value === null ? undefined : value;
  }

  string(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number') {
      return this.#refuse(key, 'must be a string', value);
    }
    return String(value).trim();
  }

  requiredString(key: string): string {
    const value = this.string(key);
    if (value === undefined) {
      this.problems.push(
        `CDK context '${key}' is required (set it in cdk.json or with -c ${key}=...)`,
      );
      return '';
    }
    return value;
  }

  oneOf(key: string, allowed: readonly string[]): string | undefined {
    const value = this.string(key);
    if (value !== undefined && !allowed.includes(value)) {
      return this.#refuse(key, `must be one of ${allowed.join(', ')}`, value);
    }
    return value;
  }

  /** A number; `aTime` refuses a negative one (a Duration cannot be negative). */
  number(key: string, aTime = false): number | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    const parsed = typeof value === 'string' && value.trim() !== '' ? Number(value.trim()) : value;
    if (typeof parsed !== 'number' || !Number.isFinite(parsed)) {
      return this.#refuse(key, 'must be a number', value);
    }
    if (aTime && parsed < 0) return this.#refuse(key, 'must not be negative', value);
    return parsed;
  }

  boolean(key: string): boolean | undefined {
    const value = this.raw(key);
    if (value === undefined || typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    return this.#refuse(key, 'must be true or false', value);
  }

  /** `{"Property":"value"}`, as JSON text (from `-c`) or an object (from cdk.json). */
  queryParam(key: string): Record<string, string> | undefined {
    let value = this.raw(key);
    if (typeof value === 'string') {
      try {
        value = JSON.parse(value);
      } catch {
        return this.#refuse(key, 'must be a JSON object such as {"Severity":"high"}', value);
      }
    }
    return value as Record<string, string> | undefined;
  }

  duration(key: string, unit: (amount: number) => Duration): Duration | undefined {
    const amount = this.number(key, true);
    return amount === undefined ? undefined : unit(amount);
  }

  logRetention(key: string): logs.RetentionDays | undefined {
    const days = this.number(key);
    if (days === undefined) return undefined;
    const allowed = Object.values(logs.RetentionDays).filter((v) => typeof v === 'number');
    if (!allowed.includes(days)) {
      return this.#refuse(key, `must be one of ${allowed.join(', ')}`, days);
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
        this.problems.push(`CDK context '${key}' must be a JSON array of configuration properties`);
        return undefined;
      }
    }
    if (!Array.isArray(value)) {
      this.problems.push(`CDK context '${key}' must be an array of configuration properties`);
      return undefined;
    }
    const properties: CustomActionProperty[] = [];
    value.forEach((item: unknown, index) => {
      try {
        properties.push(toProperty(item, `${key}[${index}]`));
      } catch (error) {
        this.problems.push((error as Error).message);
      }
    });
    return properties;
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
