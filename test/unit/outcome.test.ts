import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAILURE_TYPES, type FailureType, type JobOutcome } from '../../lambda/job/outcome.js';
import {
  type FailureReport,
  failureReport,
  LIMITS,
  outcomeSnapshot,
  type Report,
  type SuccessReport,
  toReport,
  truncate,
  withoutSecrets,
} from '../../lambda/worker/report.js';
import { unsafeCharacters } from '../helpers/secret-scan.js';

const EXECUTION_ID = 'a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d';
const OUTPUT_VARIABLE_KEY = /^[A-Za-z0-9@\-_]+$/;

function asFailure(report: Report): FailureReport {
  if (report.kind !== 'failure') throw new Error(`expected a failure report, got ${report.kind}`);
  return report;
}

function asSuccess(report: Report): SuccessReport {
  if (report.kind !== 'success') throw new Error(`expected a success report, got ${report.kind}`);
  return report;
}

describe('truncate', () => {
  it('keeps a value at the limit as it is', () => {
    expect(truncate('abcde', 5)).toBe('abcde');
  });

  it('cuts a longer value to exactly the limit, ending with ...', () => {
    expect(truncate('abcdef', 5)).toBe('ab...');
  });
});

describe('toReport', () => {
  describe('success', () => {
    it('reports the summary, output variables and revision', () => {
      const created = new Date('2025-01-15T10:00:00Z');

      const report = toReport({
        kind: 'success',
        summary: 'Baked for 300 s',
        externalExecutionId: 'bake-42',
        outputVariables: { BakeTimeSeconds: '300', 'Baked@end_time-utc': '2025-01-15' },
        currentRevision: {
          revision: 'v1.2.3',
          changeIdentifier: 'c0ffee',
          created,
          revisionSummary: 'release 1.2.3',
        },
      });

      expect(report).toEqual({
        kind: 'success',
        executionDetails: { summary: 'Baked for 300 s', externalExecutionId: 'bake-42' },
        outputVariables: { BakeTimeSeconds: '300', 'Baked@end_time-utc': '2025-01-15' },
        currentRevision: {
          revision: 'v1.2.3',
          changeIdentifier: 'c0ffee',
          created,
          revisionSummary: 'release 1.2.3',
        },
      });
    });

    it('reports no continuation token', () => {
      const report = asSuccess(toReport({ kind: 'success', summary: 'done' }));

      expect(report.continuationToken).toBeUndefined();
    });

    it('uses the default external execution id when the outcome gives none', () => {
      const report = asSuccess(toReport({ kind: 'success', summary: 'done' }, EXECUTION_ID));

      expect(report.executionDetails).toEqual({
        summary: 'done',
        externalExecutionId: EXECUTION_ID,
      });
    });

    it("prefers the outcome's own external execution id to the default", () => {
      const report = asSuccess(
        toReport({ kind: 'success', externalExecutionId: 'deploy-7' }, EXECUTION_ID),
      );

      expect(report.executionDetails?.externalExecutionId).toBe('deploy-7');
    });

    it('omits execution details when there is nothing to say', () => {
      const report = asSuccess(toReport({ kind: 'success', summary: '' }));

      expect(report.executionDetails).toBeUndefined();
    });

    it('omits empty output variables', () => {
      const report = asSuccess(toReport({ kind: 'success', outputVariables: {} }));

      expect(report.outputVariables).toBeUndefined();
    });

    it(`truncates a summary over ${LIMITS.summary} characters, marking the cut`, () => {
      const summary = 's'.repeat(LIMITS.summary + 1);

      const report = asSuccess(toReport({ kind: 'success', summary }));

      const cut = report.executionDetails?.summary ?? '';
      expect(cut).toHaveLength(LIMITS.summary);
      expect(cut).toBe(`${'s'.repeat(LIMITS.summary - 3)}...`);
    });

    it(`keeps a summary of exactly ${LIMITS.summary} characters whole`, () => {
      const summary = 's'.repeat(LIMITS.summary);

      const report = asSuccess(toReport({ kind: 'success', summary }));

      expect(report.executionDetails?.summary).toBe(summary);
    });

    it('truncates an over-long revision summary', () => {
      const report = asSuccess(
        toReport({
          kind: 'success',
          currentRevision: {
            revision: 'r1',
            changeIdentifier: 'c1',
            revisionSummary: 'x'.repeat(LIMITS.revisionSummary + 10),
          },
        }),
      );

      expect(report.currentRevision?.revisionSummary).toHaveLength(LIMITS.revisionSummary);
      expect(report.currentRevision?.revisionSummary?.endsWith('...')).toBe(true);
    });

    it.each([
      ['bad key', 'bad key'],
      ['é', 'é'],
      ['', ''],
      ['a.b', 'a.b'],
      ['key\n', 'key\\n'],
      ['a$b', 'a$b'],
    ])('fails with JobFailed, naming the invalid output variable key %j', (key, shown) => {
      const report = asFailure(toReport({ kind: 'success', outputVariables: { [key]: 'v' } }));

      expect(report.failureType).toBe('JobFailed');
      expect(report.message).toContain(`output variable name "${shown}" is invalid`);
    });

    it('accepts every character output variable keys allow', () => {
      const key = 'AZaz09@-_';

      const report = asSuccess(toReport({ kind: 'success', outputVariables: { [key]: '' } }));

      expect(report.outputVariables).toEqual({ [key]: '' });
    });

    it('cuts an invalid key in the message to 100 characters', () => {
      const key = `${' '.repeat(200)}`;

      const report = asFailure(toReport({ kind: 'success', outputVariables: { [key]: 'v' } }));

      expect(report.message).toContain(`"${' '.repeat(97)}..."`);
      expect(report.message).not.toContain(' '.repeat(101));
    });

    it(`accepts output variables of exactly ${LIMITS.outputVariablesBytes} bytes`, () => {
      const value = 'v'.repeat(LIMITS.outputVariablesBytes - 1);

      const report = toReport({ kind: 'success', outputVariables: { k: value } });

      expect(report.kind).toBe('success');
    });

    it(`fails output variables over ${LIMITS.outputVariablesBytes} bytes, counting UTF-8 bytes`, () => {
      const value = 'é'.repeat(LIMITS.outputVariablesBytes / 2);

      const report = asFailure(toReport({ kind: 'success', outputVariables: { k: value } }));

      expect(value.length).toBeLessThan(LIMITS.outputVariablesBytes);
      expect(report.failureType).toBe('JobFailed');
      expect(report.message).toContain(
        `output variables (names and values) take ${LIMITS.outputVariablesBytes + 1} bytes, 1 over the limit of ${LIMITS.outputVariablesBytes}`,
      );
    });

    it('counts the keys in the output variables size', () => {
      const half = 'v'.repeat(LIMITS.outputVariablesBytes / 2 - 1);

      const report = toReport({ kind: 'success', outputVariables: { aa: half, bb: `${half}x` } });

      expect(asFailure(report).message).toContain('output variables (names and values) take');
    });

    it('fails a non-string output variable value', () => {
      const outputVariables = { Count: 3 } as unknown as Record<string, string>;

      const report = asFailure(toReport({ kind: 'success', outputVariables }));

      expect(report.message).toContain('output variable "Count" must be a string');
    });

    it.each([
      [
        'currentRevision.revision',
        { revision: 'r'.repeat(LIMITS.revision + 1), changeIdentifier: 'c' },
      ],
      [
        'currentRevision.changeIdentifier',
        { revision: 'r', changeIdentifier: 'c'.repeat(LIMITS.changeIdentifier + 1) },
      ],
    ])('fails an over-long %s instead of cutting it', (field, currentRevision) => {
      const report = asFailure(toReport({ kind: 'success', currentRevision }));

      expect(report.failureType).toBe('JobFailed');
      expect(report.message).toMatch(
        new RegExp(
          `^The job processor returned an invalid result: ${field.replace('.', '\\.')} is \\d+ characters, 1 over the limit of \\d+$`,
        ),
      );
    });

    it.each([
      { revision: '', changeIdentifier: 'c1' },
      { revision: 'r1', changeIdentifier: '' },
    ])('fails a revision without both revision and changeIdentifier: %j', (currentRevision) => {
      const report = asFailure(toReport({ kind: 'success', currentRevision }));

      expect(report.message).toMatch(
        /currentRevision\.(revision|changeIdentifier) is required and must not be empty/,
      );
    });

    it(`fails an externalExecutionId over ${LIMITS.externalExecutionId} characters`, () => {
      const externalExecutionId = 'e'.repeat(LIMITS.externalExecutionId + 1);

      const report = asFailure(toReport({ kind: 'success', externalExecutionId }));

      expect(report.failureType).toBe('JobFailed');
      expect(report.message).toContain(
        `externalExecutionId is ${LIMITS.externalExecutionId + 1} characters, 1 over the limit of ${LIMITS.externalExecutionId}`,
      );
      expect(report.externalExecutionId?.length ?? 0).toBeLessThanOrEqual(
        LIMITS.externalExecutionId,
      );
    });

    it(`accepts an externalExecutionId of exactly ${LIMITS.externalExecutionId} characters`, () => {
      const externalExecutionId = 'e'.repeat(LIMITS.externalExecutionId);

      const report = asSuccess(toReport({ kind: 'success', externalExecutionId }));

      expect(report.executionDetails?.externalExecutionId).toBe(externalExecutionId);
    });
  });

  describe('continue', () => {
    it('reports the token, progress and summary', () => {
      const report = toReport(
        { kind: 'continue', continuationToken: 'step-2', percentComplete: 40, summary: 'half' },
        EXECUTION_ID,
      );

      expect(report).toEqual({
        kind: 'success',
        continuationToken: 'step-2',
        executionDetails: {
          summary: 'half',
          externalExecutionId: EXECUTION_ID,
          percentComplete: 40,
        },
      });
    });

    it('fails a continue outcome that carries output variables, naming its fields', () => {
      const outcome = {
        kind: 'continue',
        continuationToken: 'step-2',
        outputVariables: { Early: 'x' },
      } as JobOutcome;

      const report = asFailure(toReport(outcome));

      expect(report.message).toBe(
        'The job processor returned an invalid result: a continue outcome has no field "outputVariables": its fields are kind, continuationToken, percentComplete, summary, externalExecutionId or checkAfterSeconds',
      );
    });

    it.each([
      [0, 0],
      [100, 100],
      [42.4, 42],
      [42.5, 43],
      [99.9, 100],
    ])('reports percentComplete %d as %d', (given, reported) => {
      const report = asSuccess(
        toReport({ kind: 'continue', continuationToken: 't', percentComplete: given }),
      );

      expect(report.executionDetails?.percentComplete).toBe(reported);
    });

    it.each([Number.NaN, Number.POSITIVE_INFINITY, 150, -5])(
      'fails percentComplete %d, which is no percentage',
      (given) => {
        const report = asFailure(
          toReport({ kind: 'continue', continuationToken: 't', percentComplete: given }),
        );

        expect(report.message).toBe(
          `The job processor returned an invalid result: percentComplete must be a number from 0 to 100, not the number ${given}`,
        );
      },
    );

    it(`accepts a token of exactly ${LIMITS.continuationToken} characters`, () => {
      const token = 't'.repeat(LIMITS.continuationToken);

      const report = asSuccess(toReport({ kind: 'continue', continuationToken: token }));

      expect(report.continuationToken).toBe(token);
    });

    it(`fails a token over ${LIMITS.continuationToken} characters instead of cutting it`, () => {
      const token = 't'.repeat(LIMITS.continuationToken + 1);

      const report = asFailure(
        toReport({ kind: 'continue', continuationToken: token }, EXECUTION_ID),
      );

      expect(report).toEqual({
        kind: 'failure',
        failureType: 'JobFailed',
        message: `The job processor returned an invalid result: continuationToken is ${LIMITS.continuationToken + 1} characters, 1 over the limit of ${LIMITS.continuationToken}`,
        externalExecutionId: EXECUTION_ID,
      });
    });

    it('fails a continue outcome with an empty token', () => {
      const report = asFailure(toReport({ kind: 'continue', continuationToken: '' }));

      expect(report.message).toContain('a continue outcome needs a continuationToken');
    });

    it('fails an over-long externalExecutionId', () => {
      const externalExecutionId = 'e'.repeat(LIMITS.externalExecutionId + 1);

      const report = asFailure(
        toReport({ kind: 'continue', continuationToken: 't', externalExecutionId }),
      );

      expect(report.message).toContain(
        'externalExecutionId is 1501 characters, 1 over the limit of 1500',
      );
    });
  });

  describe('failure', () => {
    it.each(FAILURE_TYPES)('reports failure type %s as given', (failureType) => {
      const report = toReport({ kind: 'failure', failureType, message: 'broke' }, EXECUTION_ID);

      expect(report).toEqual({
        kind: 'failure',
        failureType,
        message: 'broke',
        externalExecutionId: EXECUTION_ID,
      });
    });

    it('fails an unknown failure type as JobFailed, naming the failure types', () => {
      const failureType = 'Timeout' as FailureType;

      const report = asFailure(toReport({ kind: 'failure', failureType, message: 'slow' }));

      expect(report.failureType).toBe('JobFailed');
      expect(report.message).toBe(
        'The job processor returned an invalid result: the failureType "Timeout" is unknown: use JobFailed, ConfigurationError, PermissionError, RevisionOutOfSync, RevisionUnavailable or SystemUnavailable',
      );
    });

    it(`truncates a message over ${LIMITS.failureMessage} characters to exactly the limit`, () => {
      const message = 'm'.repeat(LIMITS.failureMessage + 500);

      const report = asFailure(
        toReport({ kind: 'failure', failureType: 'ConfigurationError', message }),
      );

      expect(report.message).toHaveLength(LIMITS.failureMessage);
      expect(report.message).toBe(`${'m'.repeat(LIMITS.failureMessage - 3)}...`);
      expect(report.failureType).toBe('ConfigurationError');
    });

    it(`keeps a message of exactly ${LIMITS.failureMessage} characters whole`, () => {
      const message = 'm'.repeat(LIMITS.failureMessage);

      const report = asFailure(toReport({ kind: 'failure', failureType: 'JobFailed', message }));

      expect(report.message).toBe(message);
    });

    it('fails a failure outcome with an empty message, which the API refuses', () => {
      const report = asFailure(
        toReport({ kind: 'failure', failureType: 'ConfigurationError', message: '' }),
      );

      expect(report).toMatchObject({
        failureType: 'JobFailed',
        message:
          'The job processor returned an invalid result: a failure outcome needs a message (a non-empty string), not an empty string',
      });
    });

    it('replaces an empty message of a failure the worker builds itself', () => {
      expect(failureReport('JobFailed', '').message).toBe('the job failed');
    });

    it('fails a failure whose externalExecutionId is over-long, leaving the id out', () => {
      const externalExecutionId = 'e'.repeat(LIMITS.externalExecutionId + 1);

      const report = asFailure(
        toReport({
          kind: 'failure',
          failureType: 'PermissionError',
          message: 'x',
          externalExecutionId,
        }),
      );

      expect(report.failureType).toBe('JobFailed');
      expect(report.message).toContain('externalExecutionId is 1501 characters, 1 over the limit');
      expect(report.externalExecutionId).toBeUndefined();
    });

    it('falls back to the default id when an invalid result carries an over-long one', () => {
      const externalExecutionId = 'e'.repeat(LIMITS.externalExecutionId + 1);

      const report = asFailure(
        toReport({ kind: 'success', summary: 's', externalExecutionId }, EXECUTION_ID),
      );

      expect(report.message).toContain('externalExecutionId is 1501 characters');
      expect(report.externalExecutionId).toBe(EXECUTION_ID);
    });

    it('never cuts a surrogate pair in half when truncating', () => {
      const message = `${'a'.repeat(LIMITS.failureMessage - 4)}😀${'b'.repeat(10)}`;

      const report = failureReport('JobFailed', message);

      expect(report.message.length).toBeLessThanOrEqual(LIMITS.failureMessage);
      expect(report.message.endsWith('a...')).toBe(true);
    });
  });

  it('fails an outcome of an unknown kind', () => {
    const outcome = { kind: 'retry' } as unknown as JobOutcome;

    const report = asFailure(toReport(outcome, EXECUTION_ID));

    expect(report).toEqual({
      kind: 'failure',
      failureType: 'JobFailed',
      message:
        'The job processor returned an invalid result: the outcome kind "retry" is unknown: use "success", "continue" or "failure"',
      externalExecutionId: EXECUTION_ID,
    });
  });

  describe('API limits (property)', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 20, unit: 'binary' }),
      fc.string({ minLength: 1_400, maxLength: 5_200 }),
    );
    const maybe = <T>(arbitrary: fc.Arbitrary<T>) => fc.option(arbitrary, { nil: undefined });

    const success: fc.Arbitrary<JobOutcome> = fc.record(
      {
        kind: fc.constant('success' as const),
        summary: text,
        externalExecutionId: text,
        outputVariables: fc.dictionary(
          fc.oneof(fc.stringMatching(OUTPUT_VARIABLE_KEY), fc.string({ unit: 'binary' })),
          fc.oneof(fc.string(), fc.string({ minLength: 30_000, maxLength: 70_000 })),
          { maxKeys: 4 },
        ),
        currentRevision: fc.record({
          revision: text,
          changeIdentifier: fc.oneof(fc.string({ maxLength: 120 }), text),
          revisionSummary: maybe(text),
        }),
      },
      { requiredKeys: ['kind'] },
    );
    const continuing: fc.Arbitrary<JobOutcome> = fc.record(
      {
        kind: fc.constant('continue' as const),
        continuationToken: text,
        percentComplete: fc.double(),
        summary: text,
        externalExecutionId: text,
      },
      { requiredKeys: ['kind', 'continuationToken'] },
    );
    const failing: fc.Arbitrary<JobOutcome> = fc.record(
      {
        kind: fc.constant('failure' as const),
        failureType: fc.oneof(
          fc.constantFrom(...FAILURE_TYPES),
          fc.string().map((value) => value as FailureType),
        ),
        message: text,
        externalExecutionId: text,
      },
      { requiredKeys: ['kind', 'failureType', 'message'] },
    );

    const withinLength = (value: string | undefined, max: number) =>
      value === undefined || (value.length >= 1 && value.length <= max);

    function expectWithinLimits(report: Report): void {
      if (report.kind === 'failure') {
        expect(FAILURE_TYPES).toContain(report.failureType);
        expect(report.message.length).toBeGreaterThanOrEqual(1);
        expect(report.message.length).toBeLessThanOrEqual(LIMITS.failureMessage);
        expect(withinLength(report.externalExecutionId, LIMITS.externalExecutionId)).toBe(true);
        return;
      }
      const details = report.executionDetails;
      expect(withinLength(report.continuationToken, LIMITS.continuationToken)).toBe(true);
      expect(withinLength(details?.summary, LIMITS.summary)).toBe(true);
      expect(withinLength(details?.externalExecutionId, LIMITS.externalExecutionId)).toBe(true);
      if (details?.percentComplete !== undefined) {
        expect(Number.isInteger(details.percentComplete)).toBe(true);
        expect(details.percentComplete).toBeGreaterThanOrEqual(0);
        expect(details.percentComplete).toBeLessThanOrEqual(100);
      }
      if (report.outputVariables) {
        expect(report.continuationToken).toBeUndefined();
        let bytes = 0;
        for (const [key, value] of Object.entries(report.outputVariables)) {
          expect(key).toMatch(OUTPUT_VARIABLE_KEY);
          bytes += Buffer.byteLength(key) + Buffer.byteLength(value);
        }
        expect(bytes).toBeLessThanOrEqual(LIMITS.outputVariablesBytes);
      }
      const revision = report.currentRevision;
      if (revision) {
        expect(withinLength(revision.revision, LIMITS.revision)).toBe(true);
        expect(withinLength(revision.changeIdentifier, LIMITS.changeIdentifier)).toBe(true);
        expect(withinLength(revision.revisionSummary, LIMITS.revisionSummary)).toBe(true);
      }
    }

    it('turns any outcome into a report whose every field is within the API limits', () => {
      fc.assert(
        fc.property(fc.oneof(success, continuing, failing), maybe(text), (outcome, fallbackId) => {
          const report = toReport(outcome, fallbackId);

          expectWithinLimits(report);
        }),
        { numRuns: 300 },
      );
    });

    it('builds a failure report within the limits from any message', () => {
      fc.assert(
        fc.property(fc.constantFrom(...FAILURE_TYPES), text, maybe(text), (type, message, id) => {
          expectWithinLimits(failureReport(type, message, id));
        }),
      );
    });
  });
});

describe('outcomeSnapshot', () => {
  /** An object whose every field is a getter that counts its reads. */
  function counted<T extends object>(fields: T, reads: Map<string, number>): T {
    const object = {};
    for (const [key, value] of Object.entries(fields)) {
      Object.defineProperty(object, key, {
        enumerable: true,
        get: () => {
          reads.set(key, (reads.get(key) ?? 0) + 1);
          return value;
        },
      });
    }
    return object as T;
  }

  it('reads each field of a success, its variables and its revision exactly once', () => {
    const reads = new Map<string, number>();
    const outcome = counted(
      {
        kind: 'success' as const,
        summary: 'done',
        externalExecutionId: 'run-1',
        outputVariables: counted({ Version: '42' }, reads),
        currentRevision: counted({ revision: 'r-1', changeIdentifier: 'c-1' }, reads),
      },
      reads,
    );

    const snapshot = outcomeSnapshot(outcome);
    toReport(withoutSecrets(snapshot, (text) => text));

    expect(Object.fromEntries(reads)).toEqual({
      kind: 1,
      summary: 1,
      externalExecutionId: 1,
      outputVariables: 1,
      Version: 1,
      currentRevision: 1,
      revision: 1,
      changeIdentifier: 1,
    });
    expect(snapshot).toMatchObject({
      summary: 'done',
      outputVariables: { Version: '42' },
      currentRevision: { revision: 'r-1', changeIdentifier: 'c-1' },
    });
  });

  it('keeps the first value of a getter that changes: what the secret check saw is reported', () => {
    const SECRET = 'sk-live-0123456789';
    let reads = 0;
    const outcome = {
      kind: 'continue' as const,
      continuationToken: 'step-1',
      get externalExecutionId() {
        return reads++ === 0 ? 'run-1' : SECRET;
      },
    };

    const report = toReport(
      withoutSecrets(outcomeSnapshot(outcome), (text) => text.replaceAll(SECRET, '[REDACTED]')),
    );

    expect(JSON.stringify(report)).not.toContain(SECRET);
    expect(asSuccess(report).executionDetails?.externalExecutionId).toBe('run-1');
  });

  it('copies every field once, for the outcome check to judge, and keeps a variable named __proto__', () => {
    const outcome = JSON.parse(
      '{"kind":"success","extra":"x","outputVariables":{"__proto__":"v"}}',
    ) as JobOutcome;

    const snapshot = outcomeSnapshot(outcome);

    expect(snapshot).toHaveProperty('extra', 'x');
    expect(snapshot).not.toBe(outcome);
    expect(
      Object.keys((snapshot as { outputVariables: Record<string, string> }).outputVariables),
    ).toEqual(['__proto__']);
  });
});

describe('withoutSecrets', () => {
  const SECRET = 'sk-live-0123456789';
  const scrub = (text: string) => text.split(SECRET).join('[REDACTED]');
  const leaks = (value: unknown) => JSON.stringify(value).includes(SECRET);

  it('removes a secret value from every free-text string of a success', () => {
    const outcome: JobOutcome = {
      kind: 'success',
      summary: `used ${SECRET}`,
      externalExecutionId: 'run-42',
      outputVariables: { Token: SECRET, Plain: 'kept' },
      currentRevision: {
        revision: 'r-1',
        changeIdentifier: 'c1',
        revisionSummary: `summary ${SECRET}`,
        created: new Date(0),
      },
    };

    const clean = withoutSecrets(outcome, scrub);

    expect(leaks(clean)).toBe(false);
    expect(clean).toMatchObject({
      summary: 'used [REDACTED]',
      externalExecutionId: 'run-42',
      outputVariables: { Token: '[REDACTED]', Plain: 'kept' },
      currentRevision: {
        revision: 'r-1',
        changeIdentifier: 'c1',
        revisionSummary: 'summary [REDACTED]',
        created: new Date(0),
      },
    });
  });

  it('removes a secret value from a continuation and from a failure', () => {
    const continued = withoutSecrets(
      { kind: 'continue', continuationToken: `t-${SECRET}`, summary: SECRET },
      scrub,
    );
    const failed = withoutSecrets(
      { kind: 'failure', failureType: 'JobFailed', message: `refused ${SECRET}` },
      scrub,
    );

    expect(leaks(continued)).toBe(false);
    expect(leaks(failed)).toBe(false);
    expect(failed).toMatchObject({ message: 'refused [REDACTED]' });
  });

  it.each<[string, JobOutcome]>([
    ['a success', { kind: 'success', summary: 'done', externalExecutionId: `build-${SECRET}` }],
    [
      'a continuation',
      { kind: 'continue', continuationToken: 't', externalExecutionId: `build-${SECRET}` },
    ],
  ])(
    'fails %s whose externalExecutionId holds a secret, reported with the default id',
    (_, outcome) => {
      const report = asFailure(toReport(withoutSecrets(outcome, scrub), EXECUTION_ID));

      expect(report.failureType).toBe('JobFailed');
      expect(report.message).toContain('externalExecutionId contains a secret value');
      expect(report.externalExecutionId).toBe(EXECUTION_ID);
      expect(JSON.stringify(report)).not.toContain('build-');
      expect(leaks(report)).toBe(false);
    },
  );

  it('keeps a failure whose externalExecutionId holds a secret, without the id', () => {
    const report = asFailure(
      toReport(
        withoutSecrets(
          {
            kind: 'failure',
            failureType: 'PermissionError',
            message: `denied ${SECRET}`,
            externalExecutionId: `build-${SECRET}`,
          },
          scrub,
        ),
        EXECUTION_ID,
      ),
    );

    expect(report).toMatchObject({
      failureType: 'PermissionError',
      message: expect.stringMatching(/^denied \[REDACTED\] .*externalExecutionId/),
      externalExecutionId: EXECUTION_ID,
    });
    expect(leaks(report)).toBe(false);
  });

  it('fails a success with a secret in an output variable name, naming its position only', () => {
    const outcome: JobOutcome = {
      kind: 'success',
      outputVariables: { Plain: 'kept', [`Tok_${SECRET}`]: 'v', Other: 'x' },
    };

    const report = asFailure(toReport(withoutSecrets(outcome, scrub), EXECUTION_ID));

    expect(report.message).toContain('the name of output variable 2 (of 3)');
    expect(report.message).toContain('contains a secret value');
    expect(report.message).not.toContain('Tok_');
    expect(leaks(report)).toBe(false);
  });

  it.each(['revision', 'changeIdentifier'] as const)(
    'fails a success whose currentRevision.%s holds a secret instead of altering it',
    (field) => {
      const revision = { revision: 'r1', changeIdentifier: 'c1', [field]: `x${SECRET}` };

      const report = asFailure(
        toReport(withoutSecrets({ kind: 'success', currentRevision: revision }, scrub)),
      );

      expect(report.message).toContain(`currentRevision.${field} contains a secret value`);
      expect(leaks(report)).toBe(false);
    },
  );

  it('leaves values that are not strings for toReport to refuse', () => {
    const outcome = { kind: 'success', outputVariables: { N: 1 } } as unknown as JobOutcome;

    const report = toReport(withoutSecrets(outcome, scrub), EXECUTION_ID);

    expect(asFailure(report).message).toContain('output variable "N" must be a string');
  });
});

describe('text safe to show', () => {
  /** ESC, CR, LF, NUL, DEL, a C1 control (CSI), RLO, an isolate and the line separator. */
  const HOSTILE = 'ok\u001b[2J\r\nfake line\u0000\u007f\u009b\u202etxt.exe\u2066\u2028end\tx';
  const SHOWN = 'ok\\x1b[2J\\r\\nfake line\\x00\\x7f\\x9b\\u202etxt.exe\\u2066\\u2028end\tx';

  it('escapes controls and bidirectional characters in a summary, keeping tab', () => {
    const report = asSuccess(toReport({ kind: 'success', summary: HOSTILE }));

    expect(report.executionDetails?.summary).toBe(SHOWN);
  });

  it('escapes them in a continuation summary and a revision summary', () => {
    const continued = asSuccess(
      toReport({ kind: 'continue', continuationToken: 't', summary: HOSTILE }),
    );
    const revised = asSuccess(
      toReport({
        kind: 'success',
        currentRevision: { revision: 'r', changeIdentifier: 'c', revisionSummary: HOSTILE },
      }),
    );

    expect(continued.executionDetails?.summary).toBe(SHOWN);
    expect(revised.currentRevision?.revisionSummary).toBe(SHOWN);
  });

  it('escapes them in output variable values', () => {
    const report = asSuccess(toReport({ kind: 'success', outputVariables: { Note: HOSTILE } }));

    expect(report.outputVariables).toEqual({ Note: SHOWN });
  });

  it('escapes them in a failure message and in the error text a failure report carries', () => {
    const outcome = asFailure(
      toReport({ kind: 'failure', failureType: 'JobFailed', message: HOSTILE }),
    );
    const thrown = failureReport('JobFailed', `The job processor failed: ${HOSTILE}`);

    expect(outcome.message).toBe(SHOWN);
    expect(thrown.message).toBe(`The job processor failed: ${SHOWN}`);
  });

  it('leaves the processor continuation token as it is: it is never shown', () => {
    const report = asSuccess(toReport({ kind: 'continue', continuationToken: 'a\nb' }));

    expect(report.continuationToken).toBe('a\nb');
  });

  it.each(['externalExecutionId', 'revision'] as const)(
    'fails a %s holding a control character instead of altering it',
    (field) => {
      const outcome: JobOutcome =
        field === 'externalExecutionId'
          ? { kind: 'success', externalExecutionId: 'build-\u202e1' }
          : { kind: 'success', currentRevision: { revision: 'r\u001b1', changeIdentifier: 'c' } };

      const report = asFailure(toReport(outcome, EXECUTION_ID));

      expect(report.message).toContain('control or bidirectional-override character');
      expect(report.externalExecutionId).toBe(EXECUTION_ID);
    },
  );

  it('leaves out of a failure an externalExecutionId holding a control character', () => {
    const report = failureReport('JobFailed', 'x', 'id\r\n2');

    expect(report.externalExecutionId).toBeUndefined();
  });

  it('counts the escapes in the output variables size', () => {
    const value = '\u0000'.repeat(LIMITS.outputVariablesBytes / 4);

    const report = asFailure(toReport({ kind: 'success', outputVariables: { A: value } }));

    expect(report.message).toContain(`over the limit of ${LIMITS.outputVariablesBytes}`);
  });

  it('keeps an escaped summary within the limit, never cutting an escape', () => {
    const summary = `${'s'.repeat(LIMITS.summary - 5)}\u001b\u001b\u001b`;

    const report = asSuccess(toReport({ kind: 'success', summary }));

    expect(report.executionDetails?.summary).toBe(`${'s'.repeat(LIMITS.summary - 5)}...`);
  });

  it('leaves nothing unsafe in any reported text, within the limits (property)', () => {
    const hostile = fc.string({
      unit: fc.oneof(
        fc.constantFrom('\u001b', '\r', '\n', '\u0000', '\u007f', '\u0085', '\u202e', '\u2067'),
        fc.string({ minLength: 1, maxLength: 1, unit: 'binary' }),
      ),
      maxLength: 3_000,
    });
    fc.assert(
      fc.property(hostile, hostile, (summary, message) => {
        const success = asSuccess(
          toReport({ kind: 'success', summary, outputVariables: { V: message } }),
        );
        const failed = asFailure(toReport({ kind: 'failure', failureType: 'JobFailed', message }));

        const shown = [
          success.executionDetails?.summary ?? '',
          failed.message,
          success.outputVariables?.V ?? '',
        ];
        for (const text of shown) expect(unsafeCharacters(text)).toEqual([]);
        expect((success.executionDetails?.summary ?? '').length).toBeLessThanOrEqual(
          LIMITS.summary,
        );
        expect(failed.message.length).toBeLessThanOrEqual(LIMITS.failureMessage);
      }),
      { numRuns: 300 },
    );
  });
});
