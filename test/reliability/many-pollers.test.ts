/**
 * Reliability, many pollers: concurrent invocations of the real handler drain one queue while
 * the emulator hands a share of dispatches out twice. Every job gets exactly one result, no
 * (jobId, nonce) is processed twice, and the processor's side effect happens once per job.
 */
import { describe, expect, it } from 'vitest';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { startLocalStack } from '../helpers/local-stack.js';
import { countingProcessor, repeated, scenarioHooks, sleep } from '../helpers/reliability.js';
import {
  processorRunsPerJob,
  recordFigures,
  resultsPerJob,
} from '../helpers/reliability-figures.js';
import { secretHits, tapOutput } from '../helpers/secret-scan.js';

const JOBS = 500;
const WORKERS = 8;
const ENV = { POWERTOOLS_LOG_LEVEL: 'DEBUG', CONCURRENCY: '10', BATCH_SIZE: '10' };

describe('many pollers', () => {
  const { open } = scenarioHooks();

  it(`drains ${JOBS} jobs with ${WORKERS} concurrent invocations and duplicate dispatch, each job once`, async () => {
    const startedAt = Date.now();
    const stack = open(await startLocalStack({ faults: { duplicateRate: 0.3, seed: 20_260_101 } }));
    const { emulator } = stack;
    const ids = Array.from({ length: JOBS }, () => stack.enqueue({ BakeTimeSeconds: '0' }));
    const processor = countingProcessor(async () => {
      await sleep(2);
      return { kind: 'success', summary: 'done' };
    });
    const tap = open(tapOutput());

    const summaries = await Promise.all(
      Array.from({ length: WORKERS }, () =>
        stack.handler(ENV, { processor })(scheduledEvent(), lambdaContext(300_000)),
      ),
    );

    tap.restore();
    const duplicatesInjected = emulator.stats().faults.PollForJobs?.duplicateDispatch ?? 0;
    const duplicatesSkipped = summaries.reduce((sum, s) => sum + (s?.duplicates ?? 0), 0);
    const hits = secretHits(tap.text(), emulator.secrets().values);
    recordFigures({
      scenario: 'many pollers, duplicate dispatch 30%',
      jobs: JOBS,
      workers: WORKERS,
      faultsInjected: duplicatesInjected,
      duplicatesSkipped,
      resultsPerJob: resultsPerJob(emulator, ids),
      processorRunsPerJob: processorRunsPerJob(processor.runs, ids),
      secretHits: hits,
      seconds: (Date.now() - startedAt) / 1000,
    });
    expect(hits).toBe(0);
    expect(duplicatesInjected).toBeGreaterThan(JOBS / 10);
    // Every duplicate handed out was recognised and skipped; nothing else was.
    expect(duplicatesSkipped).toBe(duplicatesInjected);
    // Every invocation took part in the draining.
    for (const summary of summaries) expect(summary?.acknowledged).toBeGreaterThan(0);
    expect(summaries.reduce((sum, s) => sum + (s?.succeeded ?? 0), 0)).toBe(JOBS);
    for (const id of ids) {
      const job = emulator.getJob(id);
      expect(job?.status).toBe('Succeeded');
      expect(job?.results).toHaveLength(1);
      expect(job?.acknowledgements).toHaveLength(1);
      expect(processor.started(id)).toBe(1);
    }
    expect(repeated(processor.runs.map((run) => `${run.jobId}/${run.nonce}`))).toEqual([]);
    expect(processor.runs).toHaveLength(JOBS);
  }, 120_000);
});
