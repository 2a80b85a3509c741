import { describe, expect, it } from 'vitest';
import { REPORT_BACKOFF, reportBackoffMs } from '../../lambda/worker/report-retry.js';

describe('reportBackoffMs', () => {
  const highest = (retry: number, throttled: boolean) =>
    reportBackoffMs(retry, throttled, () => 1 - Number.EPSILON);

  it('draws each wait uniformly below its cap (full jitter)', () => {
    expect(reportBackoffMs(3, false, () => 0)).toBe(0);
    expect(reportBackoffMs(3, false, () => 0.25)).toBe(REPORT_BACKOFF.baseMs * 2);
    expect(highest(3, false)).toBe(REPORT_BACKOFF.baseMs * 8 - 1);
  });

  it('doubles the cap at each retry, from a higher base after throttling', () => {
    expect([0, 1, 2].map((retry) => highest(retry, false) + 1)).toEqual([200, 400, 800]);
    expect([0, 1, 2].map((retry) => highest(retry, true) + 1)).toEqual([1_000, 2_000, 4_000]);
  });

  it('never draws a wait above the cap, however many retries were made', () => {
    expect(highest(4, true)).toBe(REPORT_BACKOFF.maxMs - 1);
    expect(highest(1_000, false)).toBe(REPORT_BACKOFF.maxMs - 1);
  });
});
