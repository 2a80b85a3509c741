/**
 * Attacks that get past today's guards. Each test asserts the safe behaviour, so each fails
 * until the weakness it names is fixed; they are kept apart from the attacks the code
 * withstands (attack-review*.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { createPowertools } from '../../lambda/powertools.js';
import { SecretScrubber } from '../../lambda/worker/secrets.js';
import type { LocalRunResult } from '../../local/runner/options.js';
import { runReport } from '../../local/runner/report-table.js';
import { captureOutput } from '../helpers/telemetry.js';

describe('open: secret scrubbing', () => {
  const SECRET = 'ghp_Z1x2C3v4B5n6M7';

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

describe('open: the local runner prints untrusted text as it is', () => {
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
      ok: false,
    } as unknown as LocalRunResult;

    const text = runReport(result);

    expect(text).toContain('invocation failed: boom');
    expect(text).not.toContain('\u001b');
    expect(text).not.toContain('\r');
  });
});
