import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobFailureError } from '../../lambda/job/outcome.js';
import type { ProcessingContext } from '../../lambda/job/processor.js';
import { REDACTED } from '../../lambda/job/secret.js';
import { SECRETS } from '../helpers/jobs.js';
import { countingProcessor, uniqueJob, workerOnDynalite } from '../helpers/worker-harness.js';

const SECOND = 1_000;

describe('the processing context the worker hands a processor', () => {
  const dynalite = workerOnDynalite();
  let workRoot: string;

  beforeAll(() => {
    workRoot = mkdtempSync(join(tmpdir(), 'work-root-'));
  });
  afterAll(() => {
    rmSync(workRoot, { recursive: true, force: true });
  });

  async function drainOne(
    process: Parameters<typeof countingProcessor>[0],
    settings = {},
    deadlineMs = 30 * SECOND,
  ) {
    const processor = countingProcessor(process);
    const harness = await dynalite.setup({ processor, workRoot, settings });
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);
    const summary = await harness.worker.drain({ deadline: Date.now() + deadlineMs });
    const [result] = harness.codePipeline.resultsFor(job.id as string);
    return { ...harness, job, summary, result };
  }

  async function fillWorkDirectory(context: ProcessingContext): Promise<void> {
    await mkdir(join(context.workDirectory, 'nested'), { recursive: true });
    await writeFile(join(context.workDirectory, 'nested', 'file.txt'), 'data');
  }

  it.each([
    ['succeeds', async () => ({ kind: 'success' as const })],
    [
      'throws',
      async () => {
        throw new Error('boom');
      },
    ],
    [
      'fails',
      async () => ({ kind: 'failure' as const, failureType: 'JobFailed' as const, message: 'no' }),
    ],
  ])('removes the work directory, with its contents, when the processor %s', async (_, end) => {
    const seen: string[] = [];
    const { result } = await drainOne(async (_job, context) => {
      seen.push(context.workDirectory);
      await fillWorkDirectory(context);
      return end();
    });

    expect(result).toBeDefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]?.startsWith(workRoot)).toBe(true);
    expect(existsSync(seen[0] as string)).toBe(false);
  });

  it('removes the work directory of a processor that overran its deadline', async () => {
    let directory = '';
    await drainOne(
      async (_job, context) => {
        directory = context.workDirectory;
        await fillWorkDirectory(context);
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
        return { kind: 'success' };
      },
      { deadlineMarginMs: 1_000 },
      2 * SECOND,
    );

    expect(directory).not.toBe('');
    expect(existsSync(directory)).toBe(false);
    expect(readdirSync(workRoot)).toEqual([]);
  });

  it('touches the file system at the end of a job only when its processor asked for the work directory', async () => {
    // A work root that is a file: removing any directory under it fails, and says so.
    const notADirectory = join(workRoot, 'a-file');
    await writeFile(notADirectory, '');
    const endOf = async (process: Parameters<typeof countingProcessor>[0]) => {
      const processor = countingProcessor(process);
      const harness = await dynalite.setup({ processor, workRoot: notADirectory });
      harness.codePipeline.enqueue(uniqueJob());
      await harness.worker.drain({ deadline: Date.now() + 30 * SECOND });
      return harness.logs.filter((line) => line.message.includes('work directory'));
    };

    const untouched = await endOf(async () => ({ kind: 'success' }));
    const asked = await endOf(async (_job, context) => {
      expect(context.workDirectory.startsWith(notADirectory)).toBe(true);
      return { kind: 'success' };
    });
    await rm(notADirectory);

    expect(untouched).toEqual([]);
    expect(asked).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: 'could not remove the job work directory',
      }),
    ]);
  });

  it('gives each job a directory of its own', async () => {
    const directories = new Set<string>();
    const processor = countingProcessor(async (_job, context) => {
      directories.add(context.workDirectory);
      return { kind: 'success' };
    });
    const harness = await dynalite.setup({ processor, workRoot });
    harness.codePipeline.enqueue(uniqueJob(), uniqueJob(), uniqueJob());

    await harness.worker.drain({ deadline: Date.now() + 30 * SECOND });

    expect(directories.size).toBe(3);
  });

  it('reads the job again with refreshJob, and keeps its secrets out of text until the job ends', async () => {
    let scrub: (text: string) => string = (text) => text;
    let scrubbedWhileRunning = '';
    let freshSecret = '';
    const processor = countingProcessor(async (_job, context) => {
      const fresh = await context.refreshJob();
      freshSecret = fresh.artifactCredentials?.reveal().secretAccessKey ?? '';
      scrubbedWhileRunning = scrub(`key ${freshSecret}`);
      return { kind: 'success', summary: `refreshed ${fresh.id}` };
    });
    const harness = await dynalite.setup({ processor, workRoot });
    scrub = (text) => harness.scrubber.scrub(text);
    const job = uniqueJob();
    harness.codePipeline.enqueue(job);

    await harness.worker.drain({ deadline: Date.now() + 30 * SECOND });

    const [result] = harness.codePipeline.resultsFor(job.id as string);
    expect(result?.kind === 'success' && result.input.executionDetails?.summary).toBe(
      `refreshed ${job.id}`,
    );
    expect(freshSecret).not.toBe(SECRETS.secretAccessKey);
    expect(scrubbedWhileRunning).toBe(`key ${REDACTED}`);
    expect(harness.scrubber.size).toBe(0);
    expect(harness.scrubber.scrub(freshSecret)).toBe(freshSecret);
  });

  it('hands the processor the worker SDK settings', async () => {
    let sdk: ProcessingContext['sdk'] | undefined;
    await drainOne(async (_job, context) => {
      sdk = context.sdk;
      return { kind: 'success' };
    });

    expect(sdk).toEqual({ maxAttempts: 3, requestTimeoutMs: 5_000 });
  });

  it('reports what the beforeReport checks make of the outcome, in order', async () => {
    const { result } = await drainOne(async (_job, context) => {
      context.beforeReport((outcome) =>
        outcome.kind === 'success'
          ? { ...outcome, summary: `${outcome.summary} + first` }
          : outcome,
      );
      context.beforeReport(async (outcome) =>
        outcome.kind === 'success'
          ? {
              kind: 'failure',
              failureType: 'JobFailed',
              message: `second refused: ${outcome.summary}`,
            }
          : outcome,
      );
      return { kind: 'success', summary: 'done' };
    });

    expect(result?.kind === 'failure' && result.input.failureDetails).toMatchObject({
      type: 'JobFailed',
      message: 'second refused: done + first',
    });
  });

  it('fails the job when a beforeReport check throws', async () => {
    const { result } = await drainOne(async (_job, context) => {
      context.beforeReport(() => {
        throw new JobFailureError('JobFailed', 'output artifact Report was not written');
      });
      return { kind: 'success' };
    });

    expect(result?.kind === 'failure' && result.input.failureDetails).toMatchObject({
      type: 'JobFailed',
      message: 'output artifact Report was not written',
    });
  });

  it('fails the job with the failure type of a thrown JobFailureError, secrets removed', async () => {
    const { result, logs } = await drainOne(async (job) => {
      throw new JobFailureError(
        'PermissionError',
        `access denied for ${job.artifactCredentials?.reveal().accessKeyId}`,
      );
    });

    expect(result?.kind === 'failure' && result.input.failureDetails).toMatchObject({
      type: 'PermissionError',
      message: `access denied for ${REDACTED}`,
    });
    expect(JSON.stringify(logs)).not.toContain(SECRETS.accessKeyId);
  });

  it('treats an error that only claims a failure type as any other error', async () => {
    const { result } = await drainOne(async () => {
      throw Object.assign(new Error('pretend'), { failureType: 'PermissionError' });
    });

    expect(result?.kind === 'failure' && result.input.failureDetails?.type).toBe('JobFailed');
  });
});
