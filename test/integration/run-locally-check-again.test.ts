/**
 * runLocally with a processor that asks to be checked again: the worker runs it again on the
 * same job within its invocation, which the run's report counts as a run of that job, not as a
 * job processed twice.
 */
import { describe, expect, it } from 'vitest';
import { continueLater, success } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { runLocally } from '../../local/testing/index.js';

describe('runLocally with checks run again in the invocation', () => {
  it('counts a check run again as a run of the same job, not a second processing', async () => {
    const checker: JobProcessor = {
      name: 'checker',
      async process(job) {
        if (job.continuationToken === undefined) {
          return continueLater('started', { checkAfterSeconds: 1 });
        }
        return success({ summary: `done after ${job.continuation?.count} check` });
      },
    };

    const result = await runLocally({
      processor: checker,
      actionType: { category: 'Test', provider: 'Checker' },
      jobs: [{ expect: { outcome: 'success', messageIncludes: 'done after 1 check' } }],
      duplicateRate: 0,
      tickMs: 100,
    });

    expect(result.problems).toEqual([]);
    expect(result.ok).toBe(true);
    // One job (no continuation job), two runs of its processor, none counted twice.
    expect(result.jobs[0]).toMatchObject({ outcome: 'Succeeded', jobs: 1, processorRuns: 2 });
    expect(result.totals.processedTwice).toBe(0);
  }, 60_000);
});
