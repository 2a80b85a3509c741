/**
 * One outcome check everywhere: the same table of invalid outcomes through the check, through
 * `processingContext().checked()` and through the worker, with the same message each time; and
 * the TSDoc that states a limit held to the constants it names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHECK_AFTER_SECONDS,
  LIMITS,
  PROCESSOR_TOKEN_LIMIT,
  TOKEN_ENVELOPE_RESERVE,
} from '../../lambda/job/limits.js';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import {
  checkOutcome,
  InvalidOutcomeError,
  reportableOutcome,
} from '../../lambda/worker/outcome-check.js';
import { processingContext } from '../../local/testing/index.js';
import { INVALID_OUTCOMES, VALID_OUTCOMES } from '../helpers/invalid-outcomes.js';
import { ROOT } from '../helpers/source-files.js';
import { countingProcessor, uniqueJob, workerOnDynalite } from '../helpers/worker-harness.js';

/** The message `work` throws with; fails the test when it does not throw. */
async function thrown(work: () => unknown): Promise<unknown> {
  try {
    await work();
  } catch (error) {
    return error;
  }
  throw new Error('expected it to throw');
}

describe('checkOutcome', () => {
  it.each(INVALID_OUTCOMES)('refuses %s, saying what is wrong', async (_, outcome, message) => {
    const error = await thrown(() => checkOutcome(outcome()));

    expect(error).toBeInstanceOf(InvalidOutcomeError);
    expect((error as Error).message).toBe(message);
  });

  it.each(VALID_OUTCOMES)('accepts %s as it is', (_, outcome) => {
    expect(checkOutcome(outcome)).toBe(outcome);
  });

  it('takes the API limit instead for a token the worker has wrapped', () => {
    const token = 't'.repeat(LIMITS.continuationToken);

    expect(() => checkOutcome({ kind: 'continue', continuationToken: token })).toThrow(
      `continuationToken is ${LIMITS.continuationToken} characters, ${TOKEN_ENVELOPE_RESERVE} over`,
    );
    expect(
      checkOutcome(
        { kind: 'continue', continuationToken: token },
        { tokenLimit: LIMITS.continuationToken },
      ),
    ).toMatchObject({ continuationToken: token });
  });
});

describe('processingContext().checked()', () => {
  it.each(INVALID_OUTCOMES)(
    'rejects %s with the message the worker sends',
    async (_, outcome, message) => {
      const context = processingContext();

      const error = await thrown(() => context.checked(outcome()));

      expect(error).toBeInstanceOf(InvalidOutcomeError);
      expect((error as Error).message).toBe(message);
    },
  );

  it.each(VALID_OUTCOMES)('gives %s back as the worker reports it', async (_, outcome) => {
    await expect(processingContext().checked(outcome)).resolves.toBe(outcome);
  });

  it('checks what a beforeReport check returns, as the worker does', async () => {
    const context = processingContext();
    context.beforeReport(
      () => ({ kind: 'failure', failureType: 'Broken' }) as unknown as JobOutcome,
    );

    const error = await thrown(() => context.checked({ kind: 'success' }));

    expect((error as Error).message).toContain('the failureType "Broken" is unknown');
  });

  it('checks the outcome before any check sees it', async () => {
    const seen: unknown[] = [];
    const context = processingContext();
    context.beforeReport((outcome) => {
      seen.push(outcome);
      return outcome;
    });

    await expect(context.checked(undefined)).rejects.toThrow('it returned undefined');
    expect(seen).toEqual([]);
  });
});

describe('reportableOutcome', () => {
  it('cleans every outcome before it is checked', async () => {
    const clean = (outcome: JobOutcome): JobOutcome =>
      outcome.kind === 'success' ? { ...outcome, summary: 'cleaned' } : outcome;

    const outcome = await reportableOutcome({ kind: 'success', summary: 'raw' }, [], clean);

    expect(outcome).toEqual({ kind: 'success', summary: 'cleaned' });
  });
});

describe('the worker', () => {
  const dynalite = workerOnDynalite();

  it('fails each invalid outcome with the message checked() gives, never a TypeError', async () => {
    const jobs = INVALID_OUTCOMES.map(() => uniqueJob());
    const answers = new Map(jobs.map((job, i) => [job.id, INVALID_OUTCOMES[i]?.[1]]));
    const processor = countingProcessor(
      async (job) => answers.get(job.id)?.() as unknown as JobOutcome,
    );
    const { codePipeline, worker } = await dynalite.setup({
      processor,
      settings: { concurrency: 8, batchSize: 25 },
    });
    codePipeline.enqueue(...jobs);

    await worker.drain({ deadline: Date.now() + 60_000 });

    const failures = jobs.map((job) => {
      const results = codePipeline.resultsFor(job.id as string);
      const last = results.at(-1);
      return last?.kind === 'failure'
        ? [results.length, last.input.failureDetails?.type, last.input.failureDetails?.message]
        : [results.length, last?.kind];
    });
    expect(failures).toEqual(INVALID_OUTCOMES.map(([, , message]) => [1, 'JobFailed', message]));
  }, 60_000);
});

/** Every TSDoc block of `file`, without its `@example` sections and comment markers. */
function tsdocProse(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/\/\*\*([\s\S]*?)\*\//g)].map((match) =>
    (match[1] ?? '')
      .split('\n')
      .map((line) => line.replace(/^\s*\* ?/, ''))
      .join('\n')
      .replace(/@example[\s\S]*?(?=\n@|$)/g, ''),
  );
}

/** The constants a TSDoc may name when it states a limit, by the name it writes. */
const CONSTANTS: Readonly<Record<string, number>> = {
  PROCESSOR_TOKEN_LIMIT,
  TOKEN_ENVELOPE_RESERVE,
  ...Object.fromEntries(Object.entries(LIMITS).map(([key, value]) => [`LIMITS.${key}`, value])),
  // `{@link LIMITS}.continuationToken`
  ...Object.fromEntries(Object.entries(LIMITS).map(([key, value]) => [`LIMITS}.${key}`, value])),
  // `{@link CHECK_AFTER_SECONDS}.max`
  ...Object.fromEntries(
    Object.entries(CHECK_AFTER_SECONDS).map(([key, value]) => [
      `CHECK_AFTER_SECONDS.${key}`,
      value,
    ]),
  ),
};
const REFERENCE = /\{@link ([A-Z_]+)\}(?:\.(\w+))?|`(LIMITS\.\w+|[A-Z_]{4,})`/;
/** A number (2,014 or 2014), not part of a word, a version or a date. */
const NUMBER = /(?<![\w.,-])\d{1,3}(?:,\d{3})+(?![\w,]|\.\d)|(?<![\w.,-])\d{2,}(?![\w,]|\.\d)/g;

/**
 * The limits a TSDoc block states: every number followed, before the next number, by a unit
 * (characters, bytes) or by a constant's name. Each is the number, the constant it names
 * (undefined when it names none) and the text, for the failure message.
 */
function statedLimits(prose: string): { stated: number; constant?: string; text: string }[] {
  const numbers = [...prose.matchAll(NUMBER)];
  return numbers.flatMap((match, i) => {
    const start = (match.index ?? 0) + match[0].length;
    const next = numbers[i + 1]?.index ?? prose.length;
    const after = prose.slice(start, Math.min(next, start + 120));
    const reference = REFERENCE.exec(after);
    const unit = /^\s*(characters|bytes)\b/.test(after);
    if (!reference && !unit) return [];
    const constant = reference
      ? (reference[3] ?? (reference[2] ? `${reference[1]}.${reference[2]}` : reference[1]))
      : undefined;
    return [
      {
        stated: Number(match[0].replaceAll(',', '')),
        constant: constant?.replace('LIMITS}.', 'LIMITS.'),
        text: `${match[0]}${after.split('\n').join(' ')}`,
      },
    ];
  });
}

describe('the limits stated in TSDoc', () => {
  /** Files whose TSDoc states an outcome's limits. */
  const FILES = [
    'lambda/job/outcome.ts',
    'lambda/job/limits.ts',
    'lambda/job/processor.ts',
    'lambda/worker/outcome-check.ts',
    'lambda/worker/report.ts',
    'lambda/worker/continuation.ts',
    'lambda/adapters/recorded-report.ts',
    'local/testing/processing-context.ts',
    'lambda/kit/continuation-state.ts',
    'lambda/kit/wait-until.ts',
  ];

  it.each(FILES)('%s names the constant of every limit it states, and agrees with it', (file) => {
    const problems = tsdocProse(file)
      .flatMap(statedLimits)
      .filter(({ stated, constant }) => constant === undefined || CONSTANTS[constant] !== stated)
      .map(({ stated, constant, text }) =>
        constant === undefined
          ? `states ${stated} without naming its constant: "${text}"`
          : `states ${stated} for ${constant}, which is ${CONSTANTS[constant]}: "${text}"`,
      );

    expect(problems).toEqual([]);
  });

  it('finds the limits continueLater states, so that a wrong one would be seen', () => {
    const stated = tsdocProse('lambda/job/outcome.ts').flatMap(statedLimits);

    expect(stated.map(({ stated, constant }) => [stated, constant])).toEqual(
      expect.arrayContaining([
        [PROCESSOR_TOKEN_LIMIT, 'PROCESSOR_TOKEN_LIMIT'],
        [LIMITS.continuationToken, 'LIMITS.continuationToken'],
        [TOKEN_ENVELOPE_RESERVE, 'TOKEN_ENVELOPE_RESERVE'],
      ]),
    );
  });

  it('refuses a limit stated without its constant, or with a number its constant does not hold', () => {
    const drifted = statedLimits(
      'at most 2,048 characters\nat most 2,048 characters ({@link PROCESSOR_TOKEN_LIMIT})',
    );

    expect(drifted).toEqual([
      expect.objectContaining({ stated: 2048, constant: undefined }),
      expect.objectContaining({ stated: 2048, constant: 'PROCESSOR_TOKEN_LIMIT' }),
    ]);
    expect(CONSTANTS.PROCESSOR_TOKEN_LIMIT).not.toBe(2048);
  });
});
