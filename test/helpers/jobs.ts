/**
 * Job factories: raw jobs shaped like a `PollForJobs` answer (AWS SDK v3 `Job`), carrying
 * secret configuration values and artifact credentials, and the same jobs parsed.
 */
import type { JobData, Job as SdkJob } from '@aws-sdk/client-codepipeline';
import { parseJob } from '../../lambda/adapters/codepipeline-job.js';
import type { Job } from '../../lambda/job/job.js';

/** The custom action type the fake jobs belong to. */
export const ACTION_TYPE = {
  owner: 'Custom',
  category: 'Deploy',
  provider: 'BakeTimeGate',
  version: '1',
} as const;

export const JOB_ID = '4f8b3b2e-9c1d-4e5f-8a7b-6c5d4e3f2a1b';
export const JOB_NONCE = '3';
export const ACCOUNT_ID = '111122223333';
export const ACTION_EXECUTION_ID = 'a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

/** Configuration properties declared `secret` on the action type. */
export const SECRET_CONFIGURATION_KEYS: ReadonlySet<string> = new Set([
  'ApiToken',
  'WebhookSecret',
]);

/** Every secret a default raw job carries, by name. */
export const SECRETS = {
  apiToken: 'tok_live_7Hq2mX9vR4pL8sN3wK6zB1cD',
  webhookSecret: 'whsec_Zp4Tn8Qy2Lm6Vx0Rb5Kc9Jd3',
  accessKeyId: 'ASIAZ7EXAMPLEQ4N2K8W',
  secretAccessKey: 'q9Vt3Xw8Ly2Kd5Hn7Bz0Pm4Rc6Sf1Gj/EXAMPLEk',
  sessionToken:
    'IQoJb3JpZ2luX2VjEXAMPLE//////////wEaCXVzLWVhc3QtMSJHMEUCIQDexampleSessionTokenValue==',
} as const;

/** The same secrets as a list, for "contains none of" assertions. */
export const SECRET_VALUES: readonly string[] = Object.values(SECRETS);

/** The configuration of a default raw job: two plain properties and two secret ones. */
export const DEFAULT_CONFIGURATION: Readonly<Record<string, string>> = {
  BakeTimeSeconds: '60',
  Environment: 'production',
  ApiToken: SECRETS.apiToken,
  WebhookSecret: SECRETS.webhookSecret,
};

export interface RawJobOverrides {
  readonly id?: string;
  readonly nonce?: string;
  readonly accountId?: string;
  /** Merged over {@link DEFAULT_CONFIGURATION}; a key set to `undefined` is removed. */
  readonly configuration?: Readonly<Record<string, string | undefined>>;
  readonly continuationToken?: string;
  /** Replaces whole fields of `data` (applied after `configuration`). */
  readonly data?: Partial<JobData>;
}

function mergeConfiguration(
  overrides: Readonly<Record<string, string | undefined>> = {},
): Record<string, string> {
  const merged: Record<string, string | undefined> = { ...DEFAULT_CONFIGURATION, ...overrides };
  const configuration: Record<string, string> = {};
  for (const [key, value] of Object.entries(merged)) {
    if (value !== undefined) configuration[key] = value;
  }
  return configuration;
}

/**
 * A job as `PollForJobs` hands it out, with secrets and artifact credentials.
 *
 * @example
 * const raw = rawJob({ configuration: { BakeTimeSeconds: '5' }, continuationToken: token });
 */
export function rawJob(overrides: RawJobOverrides = {}): SdkJob {
  return {
    id: overrides.id ?? JOB_ID,
    nonce: overrides.nonce ?? JOB_NONCE,
    accountId: overrides.accountId ?? ACCOUNT_ID,
    data: {
      actionTypeId: { ...ACTION_TYPE },
      actionConfiguration: { configuration: mergeConfiguration(overrides.configuration) },
      pipelineContext: {
        pipelineName: 'checkout-service',
        pipelineArn: `arn:aws:codepipeline:eu-west-1:${ACCOUNT_ID}:checkout-service`,
        pipelineExecutionId: '0b7c6e2f-3d4a-4b5c-9e8f-7a6b5c4d3e2f',
        stage: { name: 'Production' },
        action: { name: 'BakeTime', actionExecutionId: ACTION_EXECUTION_ID },
      },
      inputArtifacts: [
        {
          name: 'BuildOutput',
          revision: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
          location: {
            type: 'S3',
            s3Location: {
              bucketName: 'codepipeline-eu-west-1-123456789012',
              objectKey: 'checkout-service/BuildOutpu/Xk3Lm9P',
            },
          },
        },
      ],
      outputArtifacts: [
        {
          name: 'BakedOutput',
          location: {
            type: 'S3',
            s3Location: {
              bucketName: 'codepipeline-eu-west-1-123456789012',
              objectKey: 'checkout-service/BakedOutpu/Qw2Er5T',
            },
          },
        },
      ],
      artifactCredentials: {
        accessKeyId: SECRETS.accessKeyId,
        secretAccessKey: SECRETS.secretAccessKey,
        sessionToken: SECRETS.sessionToken,
      },
      encryptionKey: {
        id: `arn:aws:kms:eu-west-1:${ACCOUNT_ID}:alias/aws/s3`,
        type: 'KMS',
      },
      ...(overrides.continuationToken !== undefined
        ? { continuationToken: overrides.continuationToken }
        : {}),
      ...overrides.data,
    },
  };
}

/** What {@link parsedJob} changes: the raw job's fields, and the time it was handed out. */
export interface ParsedJobOverrides extends RawJobOverrides {
  /** Epoch ms at which the poll answered (`Job.credentialsIssuedAt`). @default Date.now() */
  readonly credentialsIssuedAt?: number;
}

/**
 * {@link rawJob} parsed as the worker parses it, stamped as just polled.
 *
 * @param secretKeys - secret configuration properties (default {@link SECRET_CONFIGURATION_KEYS})
 */
export function parsedJob(
  overrides: ParsedJobOverrides = {},
  secretKeys: ReadonlySet<string> = SECRET_CONFIGURATION_KEYS,
): Job {
  return parseJob(rawJob(overrides), secretKeys, overrides.credentialsIssuedAt ?? Date.now());
}
