/**
 * A job's secret values against the continuation envelope and the job's start, through the
 * real handler, the CodePipeline emulator and dynalite: a secret in what the processor returns
 * never changes the worker's own fields of the continuation token, and a secret too short to
 * scrub refuses the job before its processor runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { JobOutcome } from '../../lambda/job/outcome.js';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { MIN_SECRET_LENGTH } from '../../lambda/job/secret.js';
import { unwrapToken } from '../../lambda/worker/continuation.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import { tapOutput, unsafeCharacters } from '../helpers/secret-scan.js';

const ENV = {
  DEADLINE_MARGIN_MS: '2000',
  LEASE_GRACE_SECONDS: '0',
  MAX_CONTINUATIONS: '3',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};
/** The worker's clock: the envelope's start time is this number, digits and all. */
const T0 = 1_796_671_943_728;

/** A processor that always asks to continue, and records the token each job handed it. */
function alwaysContinuing(outcome: (secret: string, step: number) => Partial<JobOutcome>) {
  const received: Array<string | undefined> = [];
  const processor: JobProcessor = {
    name: 'always-continuing',
    async process(job) {
      received.push(job.continuationToken);
      const secret = job.secrets.NotifyToken?.reveal() ?? '';
      return {
        kind: 'continue',
        continuationToken: `step-${received.length}`,
        ...outcome(secret, received.length),
      } as JobOutcome;
    },
  };
  return { processor, received };
}

describe('secrets and the continuation envelope', () => {
  let stack: LocalStack;

  afterEach(() => stack.close());

  /** Runs the handler until the chain's last job has its result, at most `rounds` times. */
  async function drainChain(id: string, processor: JobProcessor, rounds = 8) {
    const handler = stack.handler(ENV, { processor, now: () => T0 });
    for (let round = 0; round < rounds; round++) {
      const last = stack.chain(id).at(-1);
      if (last?.results.length && !last.continuationJobId) break;
      await handler(scheduledEvent(), lambdaContext());
    }
    return stack.chain(id);
  }

  it.each([
    [
      'the processor token',
      (secret: string, step: number) => ({ continuationToken: `step-${step}-${secret}` }),
    ],
    [
      'the summary (upper-cased)',
      (secret: string) => ({ summary: `waiting for ${secret.toUpperCase()}` }),
    ],
    [
      'the token and the summary',
      (secret: string, step: number) => ({
        continuationToken: `${secret}:${step}`,
        summary: `polling with ${secret}`,
      }),
    ],
  ])(
    'keeps MAX_CONTINUATIONS with a secret in %s',
    async (_, outcome) => {
      stack = await startLocalStack();
      const secret = 'hunter2-continued';
      const id = stack.enqueue({ BakeTimeSeconds: '0', NotifyToken: secret });
      const { processor, received } = alwaysContinuing(outcome);

      const chain = await drainChain(id, processor);

      // Three continuations, then the fourth request to continue fails the job.
      expect(chain.map((job) => job.status)).toEqual([
        'Succeeded',
        'Succeeded',
        'Succeeded',
        'Failed',
      ]);
      expect(chain.at(-1)?.results[0]?.request).toMatchObject({
        failureDetails: { message: expect.stringMatching(/MAX_CONTINUATIONS is 3/) },
      });
      expect(
        chain.slice(1).map((job) => unwrapToken(job.data.continuationToken).continuation),
      ).toEqual([1, 2, 3].map((count) => expect.objectContaining({ count, startedAt: T0 })));
      // The processor gets back its own token (scrubbed), never the worker's wrapper.
      expect(received).toHaveLength(4);
      for (const token of received.slice(1)) {
        expect(token).not.toMatch(/^cpjw1:/);
        expect(token).not.toContain(secret);
      }
      // Nothing the worker sent holds the secret (the job data holds it: it is the configuration).
      const sent = chain.map((job) => [job.data.continuationToken, job.results]);
      expect(JSON.stringify(sent)).not.toContain(secret);
      expect(JSON.stringify(sent)).not.toContain(secret.toUpperCase());
    },
    30_000,
  );

  it('fails the job at once, without altering it, when externalExecutionId holds a secret', async () => {
    stack = await startLocalStack();
    const secret = 'hunter2-continued';
    const id = stack.enqueue({ BakeTimeSeconds: '0', NotifyToken: secret });
    const { processor, received } = alwaysContinuing((s, step) => ({
      continuationToken: `step-${step}-${s}`,
      summary: `running ${s}`,
      externalExecutionId: `build-${s}`,
    }));

    const chain = await drainChain(id, processor);

    expect(received).toEqual([undefined]);
    expect(chain.map((job) => job.status)).toEqual(['Failed']);
    const request = JSON.stringify(chain[0]?.results[0]?.request);
    expect(request).toContain('externalExecutionId');
    expect(request).toContain('contains a secret value');
    expect(request).not.toContain(secret);
    expect(request).not.toContain('build-');
  }, 30_000);

  it.each([
    ['digits of the envelope start time', String(T0).slice(3, 3 + MIN_SECRET_LENGTH)],
    ['the envelope head', `cpjw1:1:${String(T0)}`.slice(0, MIN_SECRET_LENGTH)],
  ])(
    'keeps the envelope whole when a secret equals %s',
    async (_, secret) => {
      stack = await startLocalStack();
      const id = stack.enqueue({ BakeTimeSeconds: '0', NotifyToken: secret });
      const { processor, received } = alwaysContinuing((s, step) => ({
        continuationToken: `step-${step}`,
        summary: `still at ${s}`,
      }));

      const chain = await drainChain(id, processor);

      expect(chain.map((job) => job.status)).toEqual([
        'Succeeded',
        'Succeeded',
        'Succeeded',
        'Failed',
      ]);
      expect(chain.slice(1).map((job) => unwrapToken(job.data.continuationToken))).toEqual(
        [1, 2, 3].map((count) => ({
          continuationToken: `step-${count}`,
          continuation: expect.objectContaining({ count, startedAt: T0 }),
        })),
      );
      expect(received).toEqual([undefined, 'step-1', 'step-2', 'step-3']);
    },
    30_000,
  );
});

describe('a secret configuration value too short to scrub', () => {
  let stack: LocalStack;

  afterEach(() => stack.close());

  it.each([
    ['3', 'q7z'],
    [String(MIN_SECRET_LENGTH - 1), 'q7zW4x9v'.slice(0, MIN_SECRET_LENGTH - 1)],
  ])(
    'refuses the job before its processor runs (%s characters), naming the property',
    async (_, secret) => {
      stack = await startLocalStack();
      const id = stack.enqueue({ BakeTimeSeconds: '0', NotifyToken: secret });
      const runs: string[] = [];
      const processor: JobProcessor = {
        name: 'never',
        async process(job) {
          runs.push(job.id);
          return { kind: 'success' };
        },
      };

      await stack.handler(ENV, { processor })(scheduledEvent(), lambdaContext());

      const job = stack.emulator.getJob(id);
      expect(runs).toEqual([]);
      expect(job?.status).toBe('Failed');
      const request = job?.results[0]?.request as
        | { failureDetails?: { type: string; message: string } }
        | undefined;
      const details = request?.failureDetails;
      expect(details?.type).toBe('ConfigurationError');
      expect(details?.message).toContain('NotifyToken');
      expect(details?.message).toContain(`${MIN_SECRET_LENGTH} characters`);
      expect(details?.message).not.toContain(secret);
    },
    30_000,
  );

  it(`processes a job whose secret is exactly ${MIN_SECRET_LENGTH} characters`, async () => {
    stack = await startLocalStack();
    const id = stack.enqueue({
      BakeTimeSeconds: '0',
      NotifyToken: 'q7zW4x9v'.slice(0, MIN_SECRET_LENGTH),
    });

    await stack.handler(ENV)(scheduledEvent(), lambdaContext());

    expect(stack.emulator.getJob(id)?.status).toBe('Succeeded');
  }, 30_000);
});

describe('a secret in the forms it leaks in', () => {
  let stack: LocalStack;

  afterEach(() => stack.close());

  /** Every character an encoding changes: quote, backslash, slash, non-ASCII, URL syntax. */
  const SECRET = 'ntk"pa\\ss/wörd+?&=7Q';
  const basic = (token: string) => Buffer.from(`ci:${token}`).toString('base64');

  /** What the processor does with its secret, by the job's Environment. */
  const leaks: Record<string, (token: string, log: (key: string) => void) => JobOutcome> = {
    'json-in-thrown-message': (token) => {
      throw new Error(`notifier said ${JSON.stringify({ token })}`);
    },
    'url-encoded': (token) => {
      throw new Error(`GET https://hooks.example.com/n?token=${encodeURIComponent(token)} failed`);
    },
    'basic-auth': (token) => ({
      kind: 'failure',
      failureType: 'PermissionError',
      message: `401 for Authorization: Basic ${basic(token)}`,
    }),
    'upper-cased-summary': (token) => ({
      kind: 'success',
      summary: `TOKEN ${token.toUpperCase()}`,
    }),
    'log-attribute-key': (token, log) => {
      log(token);
      return { kind: 'success', summary: 'logged' };
    },
    'output-variable-name': (token) => ({
      kind: 'success',
      outputVariables: { Plain: 'x', [`V_${token}`]: 'y' },
    }),
  };

  it('keeps it out of every log line and every result', async () => {
    stack = await startLocalStack();
    const ids = Object.keys(leaks).map((environment) =>
      stack.enqueue({ BakeTimeSeconds: '0', Environment: environment, NotifyToken: SECRET }),
    );
    const processor: JobProcessor = {
      name: 'leaky',
      async process(job, context) {
        const token = job.secrets.NotifyToken?.reveal() ?? '';
        const leak = leaks[job.configuration.Environment ?? ''];
        if (!leak) throw new Error('unknown case');
        return leak(token, (key) => context.logger.warn('calling the notifier', { [key]: 1 }));
      },
    };
    const tap = tapOutput();
    try {
      await stack.handler({ ...ENV, POWERTOOLS_LOG_LEVEL: 'DEBUG' }, { processor })(
        scheduledEvent(),
        lambdaContext(),
      );
    } finally {
      tap.restore();
    }

    const results = ids.map((id) => stack.emulator.getJob(id)?.results[0]?.request);
    const text = `${tap.text()}\n${JSON.stringify(results)}`;
    expect(results.every((result) => result !== undefined)).toBe(true);
    expect(text).toContain('calling the notifier');
    for (const form of [
      SECRET,
      JSON.stringify(SECRET).slice(1, -1),
      JSON.stringify(JSON.stringify(SECRET)).slice(1, -1),
      encodeURIComponent(SECRET),
      SECRET.toUpperCase(),
      JSON.stringify(SECRET.toUpperCase()).slice(1, -1),
    ]) {
      expect(text).not.toContain(form);
    }
    for (const [, encoded] of text.matchAll(/Basic ([A-Za-z0-9+/=]+)/g)) {
      expect(Buffer.from(encoded ?? '', 'base64').toString('utf8')).not.toContain('wörd');
    }
    const outputNameFailure = JSON.stringify(results[5]);
    expect(outputNameFailure).toContain('the name of output variable 2 (of 2)');
  }, 30_000);

  it('reports and logs control and bidirectional characters escaped', async () => {
    stack = await startLocalStack();
    const hostile = 'ok\u001b[2J\r\nfake\u0000\u202etxt.exe';
    const id = stack.enqueue({ BakeTimeSeconds: '0' });
    const processor: JobProcessor = {
      name: 'hostile',
      async process(_job, context) {
        context.logger.warn('hostile text', { hostile });
        return { kind: 'success', summary: hostile, outputVariables: { Note: hostile } };
      },
    };
    const tap = tapOutput();
    try {
      await stack.handler(ENV, { processor })(scheduledEvent(), lambdaContext());
    } finally {
      tap.restore();
    }

    const shown = 'ok\\x1b[2J\\r\\nfake\\x00\\u202etxt.exe';
    expect(stack.emulator.getJob(id)?.results[0]?.request).toMatchObject({
      executionDetails: { summary: shown },
      outputVariables: { Note: shown },
    });
    expect(tap.text()).toContain('hostile text');
    for (const line of tap.text().split('\n')) expect(unsafeCharacters(line)).toEqual([]);
  }, 30_000);
});
