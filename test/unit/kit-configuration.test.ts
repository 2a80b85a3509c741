/**
 * parseConfiguration: a job's configuration checked by any Standard Schema validator (zod 4
 * here, and the kit's own helpers), every problem in one ConfigurationError, no secret value in it.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { JobFailureError } from '../../lambda/job/outcome.js';
import { Secret } from '../../lambda/job/secret.js';
import {
  boolean,
  ConfigurationError,
  integer,
  json,
  list,
  oneOf,
  optional,
  parseConfiguration,
  properties,
  type StandardSchemaV1,
  secret,
  text,
} from '../../lambda/kit/index.js';
import { jobFixture } from '../../local/testing/index.js';

const TOKEN = 'tok_9f8e7d6c5b4a39281706f5e4d3c2b1a0';

/** The ConfigurationError `parse` throws; fails the test when it throws nothing. */
function rejection(parse: () => unknown): ConfigurationError {
  try {
    parse();
  } catch (error) {
    if (error instanceof ConfigurationError) return error;
    throw error;
  }
  throw new Error('parseConfiguration accepted the configuration');
}

/** A Standard Schema of another vendor whose messages quote the value they received. */
function quoting(check: (value: string) => boolean): StandardSchemaV1<unknown, string> {
  return {
    '~standard': {
      version: 1,
      vendor: 'quoting',
      validate: (value) =>
        check(String(value))
          ? { value: String(value) }
          : { issues: [{ message: `Invalid value: received "${String(value)}"`, path: [] }] },
    },
  };
}

describe('parseConfiguration with a zod 4 schema', () => {
  const schema = z.object({
    MaxSizeMB: z.coerce.number().int().min(1).max(100),
    Severity: z.enum(['low', 'high']),
    ScannerToken: z.string().min(64),
  });

  it('gives the typed configuration, secrets revealed for validation', () => {
    const job = jobFixture({
      configuration: { MaxSizeMB: '10', Severity: 'low' },
      secrets: { ScannerToken: TOKEN.repeat(2) },
    });

    const config = parseConfiguration(job, schema);

    expect(config).toEqual({ MaxSizeMB: 10, Severity: 'low', ScannerToken: TOKEN.repeat(2) });
  });

  it('reports a ConfigurationError listing every problem by property name, without the secret value', () => {
    const job = jobFixture({
      configuration: { MaxSizeMB: '500', Severity: 'medium' },
      secrets: { ScannerToken: TOKEN },
    });

    const error = rejection(() => parseConfiguration(job, schema));

    expect(JobFailureError.is(error)).toBe(true);
    expect(error.failureType).toBe('ConfigurationError');
    expect(error.problems.map((problem) => problem.property)).toEqual([
      'MaxSizeMB',
      'Severity',
      'ScannerToken',
    ]);
    expect(error.message).toMatch(
      /^The action configuration is invalid: MaxSizeMB: .+; Severity: .+; ScannerToken: .+$/,
    );
    expect(error.message).not.toContain(TOKEN);
  });

  it('reports a problem of the configuration as a whole without a property name', () => {
    const job = jobFixture({ configuration: { Target: 'prod', Extra: 'x' } });

    const error = rejection(() => parseConfiguration(job, z.strictObject({ Target: z.string() })));

    expect(error.problems).toEqual([{ path: '', message: expect.stringContaining('Extra') }]);
    expect(error.message).toMatch(/^The action configuration is invalid: Unrecognized key/);
  });
});

describe('parseConfiguration with the kit helpers', () => {
  const schema = properties({
    MaxSizeMB: integer({ min: 1, max: 100 }),
    Severity: optional(oneOf(['low', 'high']), 'high'),
    DryRun: optional(boolean(), false),
    Regions: list(oneOf(['eu-west-1', 'us-east-1'])),
    Settings: optional(json(z.object({ retries: z.number() }))),
    ApiToken: secret(text({ pattern: /^tok_\w{32}$/, describe: 'an API token' })),
  });

  it('gives the typed configuration with defaults, and keeps a secret property wrapped', () => {
    const job = jobFixture({
      configuration: { MaxSizeMB: '10', Regions: 'eu-west-1, us-east-1', DryRun: 'TRUE' },
      secrets: { ApiToken: TOKEN },
    });

    const config = parseConfiguration(job, schema);

    expect(config).toMatchObject({
      MaxSizeMB: 10,
      Severity: 'high',
      DryRun: true,
      Regions: ['eu-west-1', 'us-east-1'],
      Settings: undefined,
    });
    expect(config.ApiToken).toBeInstanceOf(Secret);
    expect(config.ApiToken.reveal()).toBe(TOKEN);
    expect(JSON.stringify(config)).not.toContain(TOKEN);
  });

  it('reports every problem at once, each under its property and the path inside its value', () => {
    const job = jobFixture({
      configuration: {
        MaxSizeMB: '0',
        Severity: 'medium',
        DryRun: 'yes',
        Regions: 'eu-west-1,mars-north-1',
        Settings: '{"retries":"three"}',
      },
    });

    const error = rejection(() => parseConfiguration(job, schema));

    expect(error.problems.map(({ path, message }) => `${path}: ${message}`)).toEqual([
      'MaxSizeMB: must be an integer from 1 to 100',
      'Severity: must be one of low, high',
      'DryRun: must be true or false',
      'Regions[1]: must be one of eu-west-1, us-east-1',
      expect.stringMatching(/^Settings\.retries: Invalid input: expected number/),
      'ApiToken: is required',
    ]);
  });
});

describe('parseConfiguration and secret values', () => {
  it('withholds the message of a problem on a secret property that quotes the value', () => {
    const job = jobFixture({ secrets: { ApiToken: TOKEN } });
    const schema = properties({ ApiToken: quoting(() => false) });

    const error = rejection(() => parseConfiguration(job, schema));

    expect(error.problems).toEqual([
      {
        property: 'ApiToken',
        path: 'ApiToken',
        message: "is invalid (the validator's message is withheld: it quotes the secret value)",
      },
    ]);
  });

  it('withholds a message that quotes only part of the secret value', () => {
    const job = jobFixture({ secrets: { ApiToken: TOKEN } });
    const partly: StandardSchemaV1<unknown, string> = {
      '~standard': {
        version: 1,
        vendor: 'partly',
        validate: (value) => ({ issues: [{ message: `bad suffix "${String(value).slice(-6)}"` }] }),
      },
    };

    const error = rejection(() => parseConfiguration(job, properties({ ApiToken: partly })));

    expect(error.message).not.toContain(TOKEN.slice(-6));
    expect(error.problems[0]?.message).toMatch(/withheld/);
  });

  it('keeps a message on a secret property that quotes nothing of the value', () => {
    const job = jobFixture({ secrets: { ApiToken: TOKEN } });

    const error = rejection(() =>
      parseConfiguration(job, properties({ ApiToken: secret(text({ pattern: /^key_/ })) })),
    );

    expect(error.problems[0]?.message).toBe('must be text matching /^key_/');
  });

  it('removes a secret value quoted by a problem on another property', () => {
    const job = jobFixture({ configuration: { Echo: TOKEN }, secrets: { ApiToken: TOKEN } });
    const schema = properties({ Echo: quoting(() => false), ApiToken: secret() });

    const error = rejection(() => parseConfiguration(job, schema));

    expect(error.message).toBe(
      'The action configuration is invalid: Echo: Invalid value: received "[REDACTED]"',
    );
  });
});

describe('parseConfiguration and asynchronous schemas', () => {
  it('refuses a schema that validates asynchronously, naming why', () => {
    const job = jobFixture({ configuration: { Target: 'prod' } });
    const schema = z.object({ Target: z.string().refine(async () => true) });

    expect(() => parseConfiguration(job, schema)).toThrow(
      new TypeError(
        'parseConfiguration: the schema validates asynchronously; use one whose checks are synchronous',
      ),
    );
  });
});
