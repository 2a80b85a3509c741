/**
 * The environment the deployed function gets from `CustomActionJobWorker`, pointed at local
 * endpoints; and a way to hold it only while a run lasts, so that `process.env` is as it was
 * afterwards.
 */
import {
  ACTION_TYPE_ENV,
  DEFAULT_METRICS_NAMESPACE,
  DEFAULT_SERVICE_NAME,
  LEDGER_TABLE_ENV,
  POWERTOOLS_ENV,
  SECRET_KEYS_ENV,
} from '../../lambda/contract.js';

/** Where the worker's services run on this machine. */
export interface LocalEndpoints {
  readonly codePipeline: string;
  readonly dynamoDb: string;
  /** Where every other AWS service is sent (a server that refuses), if anywhere. */
  readonly otherServices?: string;
  /** The artifact store (a local S3), if any. */
  readonly s3?: string;
}

export interface WorkerEnvironmentInput {
  readonly endpoints: LocalEndpoints;
  readonly actionType: {
    readonly category: string;
    readonly provider: string;
    readonly version: string;
  };
  readonly tableName: string;
  readonly secretKeys: readonly string[];
}

/** A variable set to `undefined` is removed for the duration. */
export type EnvironmentChanges = Readonly<Record<string, string | undefined>>;

/**
 * The worker's variables, as the construct sets them, and the standard AWS SDK variables that
 * point its clients at the local endpoints with the emulator's dummy credentials.
 */
export function workerEnvironment(
  input: WorkerEnvironmentInput,
): Record<string, string | undefined> {
  const { endpoints, actionType } = input;
  return {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    // A developer's own session or profile must not leak into (or sign) local calls.
    AWS_SESSION_TOKEN: undefined,
    AWS_PROFILE: undefined,
    AWS_ENDPOINT_URL_CODEPIPELINE: endpoints.codePipeline,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamoDb,
    ...(endpoints.s3 ? { AWS_ENDPOINT_URL_S3: endpoints.s3 } : {}),
    // Service-specific variables win over this one: only services nobody pointed anywhere use it.
    ...(endpoints.otherServices ? { AWS_ENDPOINT_URL: endpoints.otherServices } : {}),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    [ACTION_TYPE_ENV.category]: actionType.category,
    [ACTION_TYPE_ENV.provider]: actionType.provider,
    [ACTION_TYPE_ENV.version]: actionType.version,
    [LEDGER_TABLE_ENV]: input.tableName,
    [SECRET_KEYS_ENV]: input.secretKeys.join(','),
    [POWERTOOLS_ENV.serviceName]: DEFAULT_SERVICE_NAME,
    [POWERTOOLS_ENV.metricsNamespace]: DEFAULT_METRICS_NAMESPACE,
    POWERTOOLS_TRACE_ENABLED: 'false',
    // The report counts processor starts from the worker's INFO lines.
    [POWERTOOLS_ENV.logLevel]: 'INFO',
  };
}

/** Applies `changes` to `process.env`; returns what undoes them. */
export function applyEnvironment(changes: EnvironmentChanges): () => void {
  const previous = new Map<string, string | undefined>();
  for (const [name, value] of Object.entries(changes)) {
    if (!previous.has(name)) previous.set(name, process.env[name]);
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  return () => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}

/** Runs `work` with `changes` applied to `process.env`, and undoes them whatever happens. */
export async function withEnvironment<T>(
  changes: EnvironmentChanges,
  work: () => Promise<T>,
): Promise<T> {
  const restore = applyEnvironment(changes);
  try {
    return await work();
  } finally {
    restore();
  }
}
