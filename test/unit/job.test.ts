import { inspect } from 'node:util';
import type { Job as SdkJob } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { MalformedJobError, parseJob } from '../../lambda/adapters/codepipeline-job.js';
import { Secret } from '../../lambda/job/secret.js';
import { jobLogKeys, secretValues, tooShortSecrets } from '../../lambda/worker/job-keys.js';
import {
  ACCOUNT_ID,
  ACTION_EXECUTION_ID,
  ACTION_TYPE,
  JOB_ID,
  JOB_NONCE,
  parsedJob,
  rawJob,
  SECRET_CONFIGURATION_KEYS,
  SECRET_VALUES,
  SECRETS,
} from '../helpers/jobs.js';

/** Whatever JSON the wire carried, typed as the SDK types it: the parser must not trust it. */
const fromWire = (value: unknown) => value as SdkJob;

describe('parseJob', () => {
  it('reads the identity, action type, pipeline context and artifacts of a polled job', () => {
    const raw = rawJob({ continuationToken: '{"v":1,"startedAt":1736935200000}' });

    const job = parseJob(raw, SECRET_CONFIGURATION_KEYS);

    expect(job).toMatchObject({
      id: JOB_ID,
      nonce: JOB_NONCE,
      accountId: ACCOUNT_ID,
      actionTypeId: ACTION_TYPE,
      pipelineContext: {
        pipelineName: 'checkout-service',
        pipelineArn: `arn:aws:codepipeline:eu-west-1:${ACCOUNT_ID}:checkout-service`,
        pipelineExecutionId: '0b7c6e2f-3d4a-4b5c-9e8f-7a6b5c4d3e2f',
        stageName: 'Production',
        actionName: 'BakeTime',
        actionExecutionId: ACTION_EXECUTION_ID,
      },
      inputArtifacts: [
        {
          name: 'BuildOutput',
          revision: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b',
          bucketName: 'codepipeline-eu-west-1-123456789012',
          objectKey: 'checkout-service/BuildOutpu/Xk3Lm9P',
        },
      ],
      outputArtifacts: [
        {
          name: 'BakedOutput',
          revision: undefined,
          bucketName: 'codepipeline-eu-west-1-123456789012',
          objectKey: 'checkout-service/BakedOutpu/Qw2Er5T',
        },
      ],
      encryptionKey: { id: `arn:aws:kms:eu-west-1:${ACCOUNT_ID}:alias/aws/s3`, type: 'KMS' },
      continuationToken: '{"v":1,"startedAt":1736935200000}',
    });
  });

  it('splits secret configuration properties from the others and wraps them', () => {
    const job = parsedJob();

    expect(job.configuration).toEqual({ BakeTimeSeconds: '60', Environment: 'production' });
    expect(Object.keys(job.secrets).sort()).toEqual(['ApiToken', 'WebhookSecret']);
    expect(job.secrets.ApiToken).toBeInstanceOf(Secret);
    expect(job.secrets.ApiToken?.reveal()).toBe(SECRETS.apiToken);
    expect(job.secrets.WebhookSecret?.reveal()).toBe(SECRETS.webhookSecret);
  });

  it('keeps every property in configuration when none is declared secret', () => {
    const job = parsedJob({}, new Set());

    expect(job.secrets).toEqual({});
    expect(job.configuration.ApiToken).toBe(SECRETS.apiToken);
  });

  it('matches secret property names exactly', () => {
    const job = parsedJob({}, new Set(['apitoken']));

    expect(job.secrets).toEqual({});
    expect(job.configuration.ApiToken).toBe(SECRETS.apiToken);
  });

  it('wraps the artifact credentials', () => {
    const job = parsedJob();

    expect(job.artifactCredentials).toBeInstanceOf(Secret);
    expect(job.artifactCredentials?.reveal()).toEqual({
      accessKeyId: SECRETS.accessKeyId,
      secretAccessKey: SECRETS.secretAccessKey,
      sessionToken: SECRETS.sessionToken,
    });
  });

  it('drops artifact credentials that are incomplete', () => {
    const raw = rawJob({
      data: {
        artifactCredentials: {
          accessKeyId: SECRETS.accessKeyId,
          secretAccessKey: SECRETS.secretAccessKey,
          sessionToken: undefined,
        },
      },
    });

    const job = parseJob(raw, SECRET_CONFIGURATION_KEYS);

    expect(job.artifactCredentials).toBeUndefined();
    expect(JSON.stringify(job)).not.toContain(SECRETS.secretAccessKey);
  });

  it('shows none of the secret or credential values when serialised or inspected', () => {
    const job = parsedJob();

    const printed = [JSON.stringify(job), inspect(job, { depth: Number.POSITIVE_INFINITY })];

    for (const text of printed) {
      for (const value of SECRET_VALUES) expect(text).not.toContain(value);
    }
    expect(JSON.stringify(job)).toContain('"ApiToken":"[REDACTED]"');
    expect(JSON.stringify(job)).toContain('"artifactCredentials":"[REDACTED]"');
  });

  it('ignores configuration values that are not strings', () => {
    const raw = rawJob();
    const data = {
      ...raw.data,
      actionConfiguration: {
        configuration: { BakeTimeSeconds: 60, Enabled: true, Nested: { a: 'b' }, Name: 'ok' },
      },
    };

    const job = parseJob(fromWire({ ...raw, data }), SECRET_CONFIGURATION_KEYS);

    expect(job.configuration).toEqual({ Name: 'ok' });
  });

  it('ignores a non-string value of a secret property', () => {
    const raw = rawJob();
    const data = { ...raw.data, actionConfiguration: { configuration: { ApiToken: 1234 } } };

    const job = parseJob(fromWire({ ...raw, data }), SECRET_CONFIGURATION_KEYS);

    expect(job.secrets).toEqual({});
    expect(job.configuration).toEqual({});
  });

  it('defaults the encryption key type to KMS and drops a key without an id', () => {
    const withoutType = parseJob(
      rawJob({ data: { encryptionKey: { id: 'alias/pipeline', type: undefined } } }),
      SECRET_CONFIGURATION_KEYS,
    );
    const withoutId = parseJob(
      rawJob({ data: { encryptionKey: { id: undefined, type: 'KMS' } } }),
      SECRET_CONFIGURATION_KEYS,
    );

    expect(withoutType.encryptionKey).toEqual({ id: 'alias/pipeline', type: 'KMS' });
    expect(withoutId.encryptionKey).toBeUndefined();
  });

  it('parses a job whose data is missing to empty defaults', () => {
    const job = parseJob({ id: JOB_ID, nonce: JOB_NONCE }, SECRET_CONFIGURATION_KEYS);

    expect(job).toEqual({
      id: JOB_ID,
      nonce: JOB_NONCE,
      accountId: '',
      actionTypeId: { owner: '', category: '', provider: '', version: '' },
      configuration: {},
      secrets: {},
      pipelineContext: {},
      inputArtifacts: [],
      outputArtifacts: [],
    });
  });

  it.each([
    ['no id', { id: undefined }],
    ['an empty id', { id: '' }],
    ['no nonce', { nonce: undefined }],
    ['an empty nonce', { nonce: '' }],
    ['a numeric id', { id: 42 }],
  ])('raises MalformedJobError for a job with %s', (_label, change) => {
    const raw = { ...rawJob(), ...change };

    expect(() => parseJob(fromWire(raw), SECRET_CONFIGURATION_KEYS)).toThrow(MalformedJobError);
  });

  it.each([null, undefined, 'job', 42, []])('raises MalformedJobError for %j', (raw) => {
    expect(() => parseJob(fromWire(raw), SECRET_CONFIGURATION_KEYS)).toThrow(MalformedJobError);
  });

  it('raises a MalformedJobError that carries no secret', () => {
    const raw = { ...rawJob(), id: undefined };

    const error = (() => {
      try {
        parseJob(raw, SECRET_CONFIGURATION_KEYS);
      } catch (caught) {
        return caught;
      }
    })();

    expect(error).toBeInstanceOf(MalformedJobError);
    expect((error as Error).name).toBe('MalformedJobError');
    for (const value of SECRET_VALUES) expect((error as Error).message).not.toContain(value);
  });
});

describe('secretValues', () => {
  it('lists every secret configuration value and every credential', () => {
    const job = parsedJob();

    const values = secretValues(job);

    expect([...values].sort()).toEqual([...SECRET_VALUES].sort());
  });

  it('is empty for a job without secrets or credentials', () => {
    const job = parsedJob({ data: { artifactCredentials: undefined } }, new Set());

    expect(secretValues(job)).toEqual([]);
  });
});

describe('jobLogKeys', () => {
  it('gives the job id, the action execution id, and the id the job is reported with', () => {
    const job = parsedJob();

    expect(jobLogKeys(job)).toEqual({
      jobId: JOB_ID,
      actionExecutionId: ACTION_EXECUTION_ID,
      externalExecutionId: ACTION_EXECUTION_ID,
    });
  });

  it('carries the external execution id an earlier job of the execution reported', () => {
    const job = { ...parsedJob(), continuation: { count: 2, externalExecutionId: 'build-7' } };

    expect(jobLogKeys(job).externalExecutionId).toBe('build-7');
  });

  it('carries no secret and no nonce', () => {
    const job = parsedJob();

    const keys = JSON.stringify(jobLogKeys(job));

    for (const value of [...SECRET_VALUES, job.nonce]) expect(keys).not.toContain(`"${value}"`);
  });
});

describe('tooShortSecrets', () => {
  it('names the secret properties shorter than the minimum, never a plain one or an empty one', () => {
    const job = parsedJob({
      configuration: { ApiToken: 'abc', WebhookSecret: '', Environment: 'x' },
    });

    expect(tooShortSecrets(job)).toEqual(['ApiToken']);
  });

  it('names none when every secret is long enough', () => {
    expect(tooShortSecrets(parsedJob())).toEqual([]);
  });
});
