/**
 * Attacks on the worker's secret scrubbing, its reported text, its continuation envelope and
 * the local run report: each test tries to get a secret value (or a control character) past a
 * guard, or the continuation count reset, and asserts the safe behaviour.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '../../lambda/job/job.js';
import { continueLater, failure, type JobOutcome, success } from '../../lambda/job/outcome.js';
import { createPowertools } from '../../lambda/powertools.js';
import { ContinuationTracker, unwrapToken } from '../../lambda/worker/continuation.js';
import { describeError } from '../../lambda/worker/logging.js';
import {
  failureReport,
  type SuccessReport,
  toReport,
  withoutSecrets,
} from '../../lambda/worker/report.js';
import { SecretScrubber } from '../../lambda/worker/secrets.js';
import type { LocalRunResult } from '../../local/runner/options.js';
import { jobTable, runReport } from '../../local/runner/report-table.js';
import { captureOutput } from '../helpers/telemetry.js';

const SECRET = 'hunter2-Sx9!qR';

function scrubberOf(...values: string[]): SecretScrubber {
  const scrubber = new SecretScrubber();
  scrubber.hold(values);
  return scrubber;
}

/** The characters of `text` that act on a terminal or reorder text (tab and line ends kept). */
function rawControls(text: string): number[] {
  return [...text]
    .map((char) => char.charCodeAt(0))
    .filter(
      (code) =>
        (code < 0x20 && code !== 0x09 && code !== 0x0a) ||
        (code >= 0x7f && code <= 0x9f) ||
        (code >= 0x2028 && code <= 0x202e) ||
        (code >= 0x2066 && code <= 0x2069),
    );
}

/** What the Powertools logger writes for one line. */
function logged(
  scrubber: SecretScrubber,
  write: (logger: ReturnType<typeof createPowertools>['logger']) => void,
): string {
  const { logger } = createPowertools(scrubber);
  const output = captureOutput();
  try {
    write(logger);
  } finally {
    output.restore();
  }
  return output.text();
}

/** The report of an outcome, as the worker makes it: secrets out first, then the API's rules. */
function reportOf(outcome: JobOutcome, scrubber: SecretScrubber) {
  return toReport(
    withoutSecrets(outcome, (text) => scrubber.scrub(text)),
    'default-execution-id',
  );
}

describe('attacks on secret scrubbing', () => {
  it('removes a secret full of regular-expression metacharacters, and only it', () => {
    const secret = 'a.b*c+d?(e)[f]{2}|^$\\';
    const scrubber = scrubberOf(secret);

    expect(scrubber.scrub(`x ${secret} y`)).toBe('x [REDACTED] y');
    expect(scrubber.scrub('x aXb*c+d?(e)[f]{2}|^$\\ y')).toBe('x aXb*c+d?(e)[f]{2}|^$\\ y');
  });

  it('removes an 8-character secret from a Basic-auth header at every alignment, padding included', () => {
    const secret = 'p4ss-w0r';
    const scrubber = scrubberOf(secret);

    for (const user of ['u', 'us', 'use', 'user']) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
      const alone = Buffer.from(secret).toString('base64');
      const url = Buffer.from(`${user}:${secret}`).toString('base64url');
      expect(scrubber.scrub(header)).toContain('[REDACTED]');
      expect(scrubber.scrub(alone)).toContain('[REDACTED]');
      expect(scrubber.scrub(url)).toContain('[REDACTED]');
    }
  });

  it('removes a secret JSON-escaped twice, URL-encoded and upper-cased from a thrown message', () => {
    const secret = 'tok"en/é\\x9';
    const scrubber = scrubberOf(secret);
    const forms = [
      JSON.stringify(JSON.stringify({ secret })),
      `https://host/?t=${encodeURIComponent(secret)}`,
      new URLSearchParams({ t: secret }).toString(),
      secret.toUpperCase(),
    ];

    for (const form of forms) {
      const { message } = describeError(new Error(`failed: ${form}`), scrubber);
      expect(message).toContain('[REDACTED]');
      expect(message).not.toContain(secret);
    }
  });

  it('removes a secret from a thrown value that is not an Error', () => {
    const scrubber = scrubberOf(SECRET);
    const thrown = [SECRET, { toString: () => `token ${SECRET}` }, [`a`, SECRET]];

    for (const value of thrown) {
      expect(describeError(value, scrubber).message).not.toContain(SECRET);
    }
  });

  it('removes a secret from nested keys, nested values and an Error cause in a log line', () => {
    const scrubber = scrubberOf(SECRET);

    const text = logged(scrubber, (logger) =>
      logger.error('call failed', {
        deep: { list: [{ [SECRET]: { inner: `x${SECRET}y` } }] },
        error: new Error('outer', { cause: new Error(`inner ${SECRET}`) }),
      }),
    );

    expect(text).toContain('call failed');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(JSON.stringify(SECRET).slice(1, -1));
  });

  it('escapes control and direction characters in a log key', () => {
    const scrubber = scrubberOf(SECRET);

    const text = logged(scrubber, (logger) =>
      logger.error('keys', { 'a\u202ekey\u2028': 1, 'b\u001b[2J': 2, 'c\u009b': 3 }),
    );

    expect(text).toContain('"message":"keys"');
    expect(rawControls(text.trimEnd())).toEqual([]);
    expect(text).toContain('a\\\\u202ekey\\\\u2028');
  });

  it('fails a job whose output variable name holds a secret, naming the variable, never the value', () => {
    const scrubber = scrubberOf(SECRET);

    const report = reportOf(success({ outputVariables: { ok: 'v', [SECRET]: 'v' } }), scrubber);

    expect(report).toMatchObject({ kind: 'failure', failureType: 'JobFailed' });
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('removes a secret from output variable values and escapes their controls, after scrubbing', () => {
    const scrubber = scrubberOf(SECRET);

    const report = reportOf(
      success({ outputVariables: { Token: `${SECRET}\u001b[31m\r\nFAKE LINE` } }),
      scrubber,
    ) as SuccessReport;

    expect(report.outputVariables?.Token).toBe('[REDACTED]\\x1b[31m\\r\\nFAKE LINE');
  });

  it('removes a secret that straddles the summary limit before the summary is cut', () => {
    const scrubber = scrubberOf(SECRET);
    const summary = `${'s'.repeat(2040)}${SECRET}`;

    const report = reportOf(success({ summary }), scrubber) as SuccessReport;

    expect(report.executionDetails?.summary).not.toContain(SECRET.slice(0, 5));
    expect(report.executionDetails?.summary?.length).toBeLessThanOrEqual(2048);
  });

  it('fails, rather than alters, an external execution id that holds a secret (continue and success)', () => {
    const scrubber = scrubberOf(SECRET);

    for (const outcome of [
      success({ externalExecutionId: `build-${SECRET}` }),
      continueLater('t', { externalExecutionId: `build-${SECRET}` }),
    ]) {
      const report = reportOf(outcome, scrubber);
      expect(report.kind).toBe('failure');
      expect(JSON.stringify(report)).not.toContain(SECRET);
      expect(JSON.stringify(report)).not.toContain('build-[REDACTED]');
    }
  });

  it('leaves out of a failure an external execution id that holds a secret', () => {
    const scrubber = scrubberOf(SECRET);

    const report = reportOf(
      failure('JobFailed', `bad ${SECRET}`, { externalExecutionId: `id-${SECRET}` }),
      scrubber,
    );

    expect(report).toMatchObject({ kind: 'failure', externalExecutionId: 'default-execution-id' });
    expect(JSON.stringify(report)).not.toContain(SECRET);
  });

  it('escapes controls in a failure message built from untrusted text', () => {
    const report = failureReport(
      'JobFailed',
      'entry "\u001b]8;;http://evil\u0007x\u202etxt.exe"\r\n',
    );

    expect(rawControls(report.message)).toEqual([]);
    expect(report.message).not.toContain('\n');
  });

  it('removes both of two secrets that overlap in the text', () => {
    const first = 'ghp_AAAA1111';
    const second = '1111BBBBCCCCDDDD';
    const scrubber = new SecretScrubber();
    scrubber.hold([first, second]);

    const text = scrubber.scrub(`auth ${first}BBBBCCCCDDDD end`);

    expect(text).not.toContain('BBBBCCCCDDDD');
  });

  it('writes no secret as the bytes of a Buffer, or as hex, in a log line', () => {
    const scrubber = new SecretScrubber();
    scrubber.hold([SECRET]);
    const { logger } = createPowertools(scrubber);
    const output = captureOutput();
    try {
      logger.error('webhook answered', {
        body: Buffer.from(`{"token":"${SECRET}"}`),
        digest: Buffer.from(SECRET).toString('hex'),
      });
    } finally {
      output.restore();
    }
    const text = output.text();

    expect(text).toContain('webhook answered');
    expect(text).not.toContain([...Buffer.from(SECRET)].join(','));
    expect(text).not.toContain(Buffer.from(SECRET).toString('hex'));
  });
});

describe('attacks on the continuation envelope', () => {
  const T0 = 1_796_671_943_728;
  const metrics = { addMetric: () => undefined };
  const log = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };

  /** Runs jobs that each continue, as CodePipeline hands the token on, until one does not. */
  function chain(secret: string, token: (n: number) => string, summary: string, max = 3) {
    const scrubber = scrubberOf(secret);
    const tracker = new ContinuationTracker(
      { maxContinuations: max, maxAgeMs: 3_600_000 },
      metrics,
    );
    let wrapped: string | undefined;
    const seen: (string | undefined)[] = [];
    for (let n = 1; n <= 10; n++) {
      const { continuationToken, continuation } = unwrapToken(wrapped);
      seen.push(continuationToken);
      const job = { continuation, continuationToken } as unknown as Job;
      const clean = withoutSecrets(continueLater(token(n), { summary }), (t) => scrubber.scrub(t));
      const report = toReport(tracker.envelope(clean, job, { started: T0, now: T0 + n }, log));
      if (report.kind !== 'success' || report.continuationToken === undefined) {
        return { jobs: n, report, seen };
      }
      wrapped = report.continuationToken;
    }
    return { jobs: Infinity, report: undefined, seen };
  }

  it('holds MAX_CONTINUATIONS when the token and summary hold a secret that is digits of the start time', () => {
    const secret = String(T0).slice(2, 10);
    const result = chain(secret, (n) => `build-${secret}-${n}`, `running ${secret}`);

    expect(result.jobs).toBe(4);
    expect(result.report?.kind).toBe('failure');
    expect(result.seen.slice(1)).toEqual([
      'build-[REDACTED]-1',
      'build-[REDACTED]-2',
      'build-[REDACTED]-3',
    ]);
  });

  it('holds MAX_CONTINUATIONS when the processor returns a token that forges an envelope', () => {
    const result = chain('irrelevant-secret', () => 'cpjw1:0:0:0:', 'ok');

    expect(result.jobs).toBe(4);
    expect(result.seen.slice(1)).toEqual(['cpjw1:0:0:0:', 'cpjw1:0:0:0:', 'cpjw1:0:0:0:']);
  });

  it('holds MAX_CONTINUATIONS when the secret is the envelope prefix', () => {
    const result = chain('cpjw1:1:', (n) => `cpjw1:1:${n}`, 'ok');

    expect(result.jobs).toBe(4);
  });
});

describe('attacks on the local run report', () => {
  it('escapes control characters of an invocation error in the run report', () => {
    const result = {
      jobs: [],
      totals: {
        succeeded: 0,
        failed: 0,
        continued: 0,
        unfinished: 0,
        duplicatesSkipped: 0,
        duplicateDispatches: 0,
        redispatches: 0,
        processorRuns: 0,
        processedTwice: 0,
        reportedTwice: 0,
        secretsInLogs: 0,
        invocations: 1,
        failedInvocations: 1,
        seconds: 0.1,
      },
      logFile: '/tmp/worker.log',
      invocationErrors: ['boom\u001b[2J\u001b[1;1HOK: every job finished exactly once.\r'],
      problems: ['an invocation failed\u001b[2J'],
      ok: false,
    } as unknown as LocalRunResult;

    const text = runReport(result);

    expect(text).toContain('invocation failed: boom');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\r');
  });

  it("escapes control characters in the cells of a column that shows a job's free text", () => {
    const job = {
      jobId: 'job-1',
      summary: 'done\u001b[1A\rOK',
    } as unknown as LocalRunResult['jobs'][number];
    const columns = [
      { header: 'job', cell: (j: typeof job) => j.jobId },
      { header: 'summary\u202e', cell: (j: typeof job) => j.summary ?? '' },
    ];

    const table = jobTable([job], columns);

    expect(table).toContain('done\\x1b[1A\\rOK');
    expect(table).toContain('summary\\u202e');
    expect(rawControls(table)).toEqual([]);
  });
});
