/**
 * A local run reports an invalid outcome as the worker does, with the message
 * `processingContext().checked()` gives a unit test (test/unit/outcome-check.test.ts runs the
 * same table through the check, checked() and the worker).
 */
import { describe, expect, it } from 'vitest';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import { runLocally } from '../../local/testing/index.js';
import { INVALID_OUTCOMES } from '../helpers/invalid-outcomes.js';

describe('runLocally', () => {
  it('fails each invalid outcome with the message checked() gives', async () => {
    const result = await runLocally({
      processor: {
        name: 'invalid-outcomes',
        async process(job) {
          const answer = INVALID_OUTCOMES[Number(job.configuration.Case)]?.[1];
          return answer?.() as JobOutcome;
        },
      },
      actionType: {
        category: 'Test',
        provider: 'InvalidOutcomes',
        configurationProperties: [{ name: 'Case', required: true, key: true }],
      },
      jobs: INVALID_OUTCOMES.map(([name], i) => ({ name, configuration: { Case: String(i) } })),
      tickMs: 100,
    });

    expect(
      result.jobs.map((job) => [job.name, job.outcome, job.failureType, job.failureMessage]),
    ).toEqual(INVALID_OUTCOMES.map(([name, , message]) => [name, 'Failed', 'JobFailed', message]));
    expect(result.totals).toMatchObject({ processedTwice: 0, reportedTwice: 0 });
  }, 120_000);
});
