import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  ACTION_CATEGORIES,
  loadConfig,
  type WorkerConfig,
  WorkerConfigError,
} from '../../lambda/config.js';

const REQUIRED = {
  ACTION_CATEGORY: 'Deploy',
  ACTION_PROVIDER: 'BakeTimeGate',
  ACTION_VERSION: '1',
  LEDGER_TABLE_NAME: 'job-worker-ledger',
} as const;

/** Loads `env` and returns the WorkerConfigError it must raise. */
function configError(env: Record<string, string | undefined>): WorkerConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof WorkerConfigError) return error;
    throw error;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

/**
 * Integer variables: name, range, the config field they set, its unit factor, and how the
 * message names a value of the variable's unit.
 */
const INTEGER_VARIABLES = [
  { variable: 'BATCH_SIZE', min: 1, max: 100, field: 'batchSize', factor: 1, whole: 'an integer' },
  {
    variable: 'CONCURRENCY',
    min: 1,
    max: 100,
    field: 'concurrency',
    factor: 1,
    whole: 'an integer',
  },
  {
    variable: 'REPORT_CONCURRENCY',
    min: 1,
    max: 100,
    field: 'reportConcurrency',
    factor: 1,
    whole: 'an integer',
  },
  {
    variable: 'DEADLINE_MARGIN_MS',
    min: 1_000,
    max: 600_000,
    field: 'deadlineMarginMs',
    factor: 1,
    whole: 'a whole number of ms',
  },
  {
    variable: 'LEASE_GRACE_SECONDS',
    min: 0,
    max: 3_600,
    field: 'leaseGraceMs',
    factor: 1_000,
    whole: 'a whole number of seconds',
  },
  {
    variable: 'RECORD_RETENTION_DAYS',
    min: 2,
    max: 3_650,
    field: 'recordRetentionSeconds',
    factor: 86_400,
    whole: 'a whole number of days',
  },
  {
    variable: 'SDK_MAX_ATTEMPTS',
    min: 1,
    max: 10,
    field: 'sdkMaxAttempts',
    factor: 1,
    whole: 'an integer',
  },
  {
    variable: 'SDK_REQUEST_TIMEOUT_MS',
    min: 100,
    max: 60_000,
    field: 'sdkRequestTimeoutMs',
    factor: 1,
    whole: 'a whole number of ms',
  },
  {
    variable: 'MAX_CONTINUATIONS',
    min: 1,
    max: 100_000,
    field: 'maxContinuations',
    factor: 1,
    whole: 'an integer',
  },
  {
    variable: 'MAX_CONTINUATION_MINUTES',
    min: 1,
    max: 1_440,
    field: 'maxContinuationAgeMs',
    factor: 60_000,
    whole: 'a whole number of minutes',
  },
] as const satisfies readonly {
  variable: string;
  min: number;
  max: number;
  field: keyof WorkerConfig;
  factor: number;
  whole: string;
}[];

describe('loadConfig', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('applies the documented defaults when only the required variables are set', () => {
    const config = loadConfig({ ...REQUIRED });

    expect(config).toEqual({
      actionType: { owner: 'Custom', category: 'Deploy', provider: 'BakeTimeGate', version: '1' },
      ledgerTableName: 'job-worker-ledger',
      batchSize: 10,
      concurrency: 10,
      reportConcurrency: 20,
      deadlineMarginMs: 20_000,
      leaseGraceMs: 10_000,
      recordRetentionSeconds: 30 * 86_400,
      secretConfigurationKeys: new Set(),
      sdkMaxAttempts: 3,
      sdkRequestTimeoutMs: 5_000,
      queryParam: undefined,
      maxContinuations: 3_000,
      maxContinuationAgeMs: 1_380 * 60_000,
      cancelCheckMs: 10_000,
      ephemeralStorageSizeBytes: 512 * 1024 * 1024,
    });
  });

  it('reads every optional variable, converting seconds and days to the units it keeps', () => {
    const env = {
      ...REQUIRED,
      BATCH_SIZE: '5',
      CONCURRENCY: '2',
      REPORT_CONCURRENCY: '3',
      DEADLINE_MARGIN_MS: '15000',
      LEASE_GRACE_SECONDS: '30',
      RECORD_RETENTION_DAYS: '7',
      SECRET_CONFIGURATION_KEYS: 'ApiToken',
      SDK_MAX_ATTEMPTS: '5',
      SDK_REQUEST_TIMEOUT_MS: '2500',
      QUERY_PARAM: '{"Severity":"high"}',
      MAX_CONTINUATIONS: '40',
      MAX_CONTINUATION_MINUTES: '90',
    };

    const config = loadConfig(env);

    expect(config).toMatchObject({
      queryParam: { Severity: 'high' },
      maxContinuations: 40,
      maxContinuationAgeMs: 90 * 60_000,
      batchSize: 5,
      concurrency: 2,
      reportConcurrency: 3,
      deadlineMarginMs: 15_000,
      leaseGraceMs: 30_000,
      recordRetentionSeconds: 7 * 86_400,
      secretConfigurationKeys: new Set(['ApiToken']),
      sdkMaxAttempts: 5,
      sdkRequestTimeoutMs: 2_500,
    });
  });

  it.each([
    ['not JSON', 'Severity=high', /QUERY_PARAM must be JSON/],
    ['an array', '["high"]', /QUERY_PARAM must be a JSON object of one entry/],
    ['two entries', '{"A":"x","B":"y"}', /QUERY_PARAM must be a JSON object of one entry/],
    ['a value of 21 characters', `{"A":"${'x'.repeat(21)}"}`, /QUERY_PARAM must map 'A'/],
    ['a value with a dot', '{"A":"v1.2"}', /QUERY_PARAM must map 'A'/],
    ['a number', '{"A":3}', /QUERY_PARAM must map 'A'/],
  ])('refuses a QUERY_PARAM that is %s, naming the variable', (_, value, message) => {
    expect(() => loadConfig({ ...REQUIRED, QUERY_PARAM: value })).toThrow(message);
  });

  it('trims whitespace around every value', () => {
    const env = {
      ACTION_CATEGORY: ' Deploy ',
      ACTION_PROVIDER: '\tBakeTimeGate\n',
      ACTION_VERSION: ' 1 ',
      LEDGER_TABLE_NAME: ' job-worker-ledger ',
      BATCH_SIZE: ' 7 ',
    };

    const config = loadConfig(env);

    expect(config.actionType).toEqual(loadConfig(REQUIRED).actionType);
    expect(config.ledgerTableName).toBe('job-worker-ledger');
    expect(config.batchSize).toBe(7);
  });

  it('treats an empty optional variable as unset', () => {
    const config = loadConfig({ ...REQUIRED, BATCH_SIZE: '', SECRET_CONFIGURATION_KEYS: '  ' });

    expect(config.batchSize).toBe(10);
    expect(config.secretConfigurationKeys).toEqual(new Set());
  });

  it('reads process.env when given no environment', () => {
    for (const [name, value] of Object.entries(REQUIRED)) vi.stubEnv(name, value);
    vi.stubEnv('BATCH_SIZE', '3');

    const config = loadConfig();

    expect(config.actionType.provider).toBe('BakeTimeGate');
    expect(config.batchSize).toBe(3);
  });

  describe('required variables', () => {
    it.each(Object.keys(REQUIRED))('reports %s as required when it is missing', (variable) => {
      const env: Record<string, string | undefined> = { ...REQUIRED, [variable]: undefined };

      const error = configError(env);

      expect(error.variables).toEqual([variable]);
      expect(error.message).toContain(`${variable} is required`);
    });

    it.each(Object.keys(REQUIRED))('reports %s as required when it is blank', (variable) => {
      const error = configError({ ...REQUIRED, [variable]: '   ' });

      expect(error.variables).toEqual([variable]);
    });

    it('is a WorkerConfigError with its name set', () => {
      const error = configError({});

      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe('WorkerConfigError');
      expect(error.message).toMatch(/^Invalid worker configuration: /);
    });
  });

  describe('ACTION_CATEGORY', () => {
    it.each(ACTION_CATEGORIES)('accepts %s', (category) => {
      const config = loadConfig({ ...REQUIRED, ACTION_CATEGORY: category });

      expect(config.actionType.category).toBe(category);
    });

    it.each(['deploy', 'Custom', 'Deploy,Build'])(
      'rejects "%s", listing the categories it accepts',
      (category) => {
        const error = configError({ ...REQUIRED, ACTION_CATEGORY: category });

        expect(error.variables).toEqual(['ACTION_CATEGORY']);
        expect(error.message).toContain(`must be one of ${ACTION_CATEGORIES.join(', ')}`);
        expect(error.message).toContain(`(got "${category}")`);
      },
    );
  });

  describe('ACTION_PROVIDER', () => {
    it.each(['A', 'My_Provider-2', 'p'.repeat(35)])('accepts "%s"', (provider) => {
      const config = loadConfig({ ...REQUIRED, ACTION_PROVIDER: provider });

      expect(config.actionType.provider).toBe(provider);
    });

    it.each(['p'.repeat(36), 'My Provider', 'my.provider', 'Bäckerei', 'a/b'])(
      'rejects "%s"',
      (provider) => {
        const error = configError({ ...REQUIRED, ACTION_PROVIDER: provider });

        expect(error.variables).toEqual(['ACTION_PROVIDER']);
        expect(error.message).toContain('ACTION_PROVIDER must be 1-35 characters of [0-9A-Za-z_-]');
      },
    );
  });

  describe('ACTION_VERSION', () => {
    it.each(['1', 'v2_beta-1', '123456789'])('accepts "%s"', (version) => {
      const config = loadConfig({ ...REQUIRED, ACTION_VERSION: version });

      expect(config.actionType.version).toBe(version);
    });

    it.each(['1234567890', '1.0', 'v 1', '2+'])('rejects "%s"', (version) => {
      const error = configError({ ...REQUIRED, ACTION_VERSION: version });

      expect(error.variables).toEqual(['ACTION_VERSION']);
      expect(error.message).toContain('ACTION_VERSION must be 1-9 characters of [0-9A-Za-z_-]');
    });
  });

  describe('LEDGER_TABLE_NAME', () => {
    it.each(['abc', 'Ledger.table_01-x', 't'.repeat(255)])('accepts "%s"', (name) => {
      const config = loadConfig({ ...REQUIRED, LEDGER_TABLE_NAME: name });

      expect(config.ledgerTableName).toBe(name);
    });

    it.each(['ab', 't'.repeat(256), 'ledger/table', 'ledger table'])('rejects "%s"', (name) => {
      const error = configError({ ...REQUIRED, LEDGER_TABLE_NAME: name });

      expect(error.variables).toEqual(['LEDGER_TABLE_NAME']);
      expect(error.message).toContain('LEDGER_TABLE_NAME must be a DynamoDB table name');
    });
  });

  describe('integer variables', () => {
    it.each(INTEGER_VARIABLES)(
      'accepts $variable at both ends of $min..$max',
      ({ variable, min, max, field, factor }) => {
        const low = loadConfig({ ...REQUIRED, [variable]: String(min) });
        const high = loadConfig({ ...REQUIRED, [variable]: String(max) });

        expect(low[field]).toBe(min * factor);
        expect(high[field]).toBe(max * factor);
      },
    );

    const badValues = INTEGER_VARIABLES.flatMap(({ variable, min, max, whole }) =>
      [
        String(min - 1),
        String(max + 1),
        '1.5',
        '2.0',
        'ten',
        '1e2',
        '0x10',
        '+5',
        '99999999999999999999',
      ].map((value) => ({ variable, min, max, whole, value })),
    );

    it.each(badValues)(
      'rejects $variable="$value", naming the range',
      ({ variable, min, max, whole, value }) => {
        const error = configError({ ...REQUIRED, [variable]: value });

        expect(error.variables).toEqual([variable]);
        expect(error.message).toContain(
          `${variable} must be ${whole} from ${min} to ${max} (got "${value}")`,
        );
      },
    );
  });

  describe('SECRET_CONFIGURATION_KEYS', () => {
    it('parses a comma-separated list, ignoring blanks and repeats', () => {
      const config = loadConfig({
        ...REQUIRED,
        SECRET_CONFIGURATION_KEYS: ' ApiToken, WebhookSecret ,,ApiToken, ',
      });

      expect(config.secretConfigurationKeys).toEqual(new Set(['ApiToken', 'WebhookSecret']));
    });

    it('accepts a 50-character property name', () => {
      const name = 'K'.repeat(50);

      const config = loadConfig({ ...REQUIRED, SECRET_CONFIGURATION_KEYS: name });

      expect(config.secretConfigurationKeys).toEqual(new Set([name]));
    });

    it.each(['Api Token', 'K'.repeat(51), 'ApiToken,Web hook'])('rejects "%s"', (keys) => {
      const error = configError({ ...REQUIRED, SECRET_CONFIGURATION_KEYS: keys });

      expect(error.variables).toEqual(['SECRET_CONFIGURATION_KEYS']);
      expect(error.message).toContain(
        'SECRET_CONFIGURATION_KEYS must be a comma-separated list of configuration property names',
      );
    });
  });

  describe('Powertools variables', () => {
    it('accepts the values the construct sets, and the log level in any case', () => {
      const env = {
        ...REQUIRED,
        POWERTOOLS_SERVICE_NAME: 'pool-gate-worker',
        POWERTOOLS_METRICS_NAMESPACE: 'Team/Pipelines:Workers',
      };

      for (const level of ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'debug', 'Warn']) {
        expect(() => loadConfig({ ...env, POWERTOOLS_LOG_LEVEL: level })).not.toThrow();
      }
    });

    it.each([
      [
        'POWERTOOLS_LOG_LEVEL',
        'LOUD',
        'must be one of DEBUG, INFO, WARN, ERROR, SILENT (got "LOUD")',
      ],
      ['POWERTOOLS_LOG_LEVEL', 'TRACE', 'must be one of DEBUG, INFO, WARN, ERROR, SILENT'],
      [
        'POWERTOOLS_METRICS_NAMESPACE',
        'AWS/Lambda',
        "must be 1-255 characters of letters, digits, spaces and . - _ / # : and not start with 'AWS/'",
      ],
      ['POWERTOOLS_METRICS_NAMESPACE', 'N'.repeat(256), 'must be 1-255 characters'],
      ['POWERTOOLS_METRICS_NAMESPACE', 'Team|Workers', 'must be 1-255 characters'],
      [
        'POWERTOOLS_SERVICE_NAME',
        'worker\u0007bell',
        'must be 1-1024 characters, none of them a control character',
      ],
      ['POWERTOOLS_SERVICE_NAME', 'S'.repeat(1025), 'must be 1-1024 characters'],
    ])('rejects %s=%s', (variable, value, problem) => {
      const error = configError({ ...REQUIRED, [variable]: value });

      expect(error.variables).toEqual([variable]);
      expect(error.message).toContain(`${variable} ${problem}`);
    });
  });

  it('names every bad variable in one error', () => {
    const env = {
      ACTION_CATEGORY: 'Deploys',
      ACTION_VERSION: '1234567890',
      LEDGER_TABLE_NAME: 'x',
      SECRET_CONFIGURATION_KEYS: 'Api Token',
      BATCH_SIZE: '0',
      CONCURRENCY: 'many',
      DEADLINE_MARGIN_MS: '999',
      LEASE_GRACE_SECONDS: '-1',
      RECORD_RETENTION_DAYS: '1',
      SDK_MAX_ATTEMPTS: '11',
      SDK_REQUEST_TIMEOUT_MS: '1.5',
      POWERTOOLS_LOG_LEVEL: 'LOUD',
      POWERTOOLS_METRICS_NAMESPACE: 'AWS/Custom',
    };

    const error = configError(env);

    const expected = [...Object.keys(env), 'ACTION_PROVIDER'];
    expect([...error.variables].sort()).toEqual(expected.sort());
    for (const variable of expected) expect(error.message).toContain(variable);
    expect(error.message.split('; ')).toHaveLength(expected.length);
  });
});
