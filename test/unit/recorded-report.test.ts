import { describe, expect, it } from 'vitest';
import { decodeReport, encodeReport } from '../../lambda/adapters/recorded-report.js';
import type { Report } from '../../lambda/worker/report.js';

describe('recorded report', () => {
  it.each<[string, Report]>([
    [
      'a success with every field',
      {
        kind: 'success',
        executionDetails: { summary: 's', externalExecutionId: 'e', percentComplete: 100 },
        outputVariables: { A: '1', Empty: '' },
        currentRevision: {
          revision: 'r',
          changeIdentifier: 'c',
          created: new Date(1_800_000_000_000),
          revisionSummary: 'rs',
        },
      },
    ],
    [
      'a continuation',
      {
        kind: 'success',
        continuationToken: 'step-2',
        executionDetails: { percentComplete: 40 },
      },
    ],
    ['a bare success', { kind: 'success' }],
    [
      'a failure',
      {
        kind: 'failure',
        failureType: 'ConfigurationError',
        message: 'm',
        externalExecutionId: 'e',
      },
    ],
  ])('reads back %s exactly as it was recorded', (_label, report) => {
    expect(decodeReport(encodeReport(report))).toEqual(report);
  });

  it('writes no attribute for a field the report leaves out', () => {
    expect(encodeReport({ kind: 'success' })).toEqual({ M: { kind: { S: 'success' } } });
  });

  it('keeps the text the API receives, not an escaped copy of it', () => {
    const value = '"quoted"\n\u0001\\';

    const encoded = encodeReport({ kind: 'success', outputVariables: { V: value } });

    expect(encoded.M?.outputVariables?.M?.V).toEqual({ S: value });
  });

  it.each([
    ['no report', undefined],
    ['not a map', { S: 'success' }],
    ['an unknown kind', { M: { kind: { S: 'maybe' } } }],
    ['a failure of an unknown type', { M: { kind: { S: 'failure' }, failureType: { S: 'Oops' } } }],
    [
      'a failure without a message',
      { M: { kind: { S: 'failure' }, failureType: { S: 'JobFailed' } } },
    ],
  ])('reads %s as no report', (_label, value) => {
    expect(decodeReport(value)).toBeUndefined();
  });
});
