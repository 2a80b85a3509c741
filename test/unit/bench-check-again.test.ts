/**
 * The virtual clock the check-again benchmark drives the worker with: sleeps wake in the order
 * they are due (ties in the order they were made), and time moves only once nothing else can
 * run. Also the benchmark's rewrite of its own BENCHMARKS.md section, and its simulation on a
 * small load (every execution reported, checks where they belong).
 */
import { describe, expect, it } from 'vitest';
import { type Load, replaceSection, simulate } from '../../bench/check-again.js';
import { seededRandom, VirtualClock } from '../../bench/virtual-clock.js';

describe('VirtualClock', () => {
  it('wakes sleeps in the order they are due, ties in the order they were made', async () => {
    const clock = new VirtualClock(1_000);
    const woken: string[] = [];
    const sleep = (name: string, ms: number) =>
      clock.sleep(ms).then(() => woken.push(`${name}@${clock.now()}`));
    void sleep('c', 300);
    void sleep('a', 100);
    void sleep('b1', 200);
    void sleep('b2', 200);
    void sleep('zero', 0);

    expect(await clock.run()).toBe(false);

    expect(woken).toEqual(['zero@1000', 'a@1100', 'b1@1200', 'b2@1200', 'c@1300']);
    expect(clock.pending).toBe(0);
  });

  it('moves time only once every runnable promise has settled', async () => {
    const clock = new VirtualClock(0);
    const seen: string[] = [];
    void clock.sleep(10).then(() => seen.push(`timer@${clock.now()}`));
    // A long chain of promise steps: all of it runs before the clock may move.
    void (async () => {
      for (let step = 0; step < 1_000; step++) await Promise.resolve();
      seen.push(`chain@${clock.now()}`);
      // A sleep made by the chain counts from the time the chain saw.
      await clock.sleep(5);
      seen.push(`after-chain@${clock.now()}`);
    })();

    await clock.run();

    expect(seen).toEqual(['chain@0', 'after-chain@5', 'timer@10']);
  });

  it('measures what a woken task does from the time it woke', async () => {
    const clock = new VirtualClock(0);
    const spans: number[] = [];
    const task = async (startAt: number, steps: number[]) => {
      await clock.sleepUntil(startAt);
      const start = clock.now();
      for (const ms of steps) await clock.sleep(ms);
      spans.push(clock.now() - start);
    };
    void task(100, [50, 50]);
    void task(120, [10]);

    await clock.run();

    expect(spans).toEqual([10, 100]);
    expect(clock.now()).toBe(200);
  });

  it('stops as soon as done() holds, leaving later sleeps unwoken', async () => {
    const clock = new VirtualClock(0);
    let count = 0;
    for (const at of [10, 20, 30, 40]) void clock.sleepUntil(at).then(() => count++);

    expect(await clock.run(() => count === 2)).toBe(true);

    expect(clock.now()).toBe(20);
    expect(clock.pending).toBe(2);
  });
});

describe('seededRandom', () => {
  it('draws the same sequence for the same seed, another for another seed, all in [0, 1)', () => {
    const draw = (seed: number) => {
      const random = seededRandom(seed);
      return Array.from({ length: 1_000 }, () => random());
    };
    const a = draw(20);
    expect(draw(20)).toEqual(a);
    expect(draw(21)).not.toEqual(a);
    expect(a.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = a.reduce((total, x) => total + x, 0) / a.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });
});

describe('the check-again section of BENCHMARKS.md', () => {
  const before = '# Benchmarks\n\n## Cost\n\ncost text\n';
  const section = '## Check again\n\nnew figures';

  it('is appended when the file has none', () => {
    expect(replaceSection(before, section)).toBe(`${before}\n${section}\n`);
  });

  it('replaces only its own section, before and between the others', () => {
    const middle = `${before}\n## Check again\n\nold figures\n\n## Artifacts\n\nartifact text\n`;
    expect(replaceSection(middle, section)).toBe(
      `${before}\n${section}\n\n## Artifacts\n\nartifact text\n`,
    );
    const last = `${before}\n## Check again\n\nold figures\n`;
    expect(replaceSection(last, section)).toBe(`${before}\n${section}\n`);
  });
});

describe('the check-again simulation', () => {
  /** Three executions far apart: each waits alone. */
  const alone: Load = {
    name: 'test',
    description: 'three executions, each alone',
    executions: 3,
    startMs: (index) => index * 30 * 60_000 + 7_000,
    seed: 5,
  };

  it('reports every execution; a one-tick continuation waits for the next tick', async () => {
    const result = await simulate(alone, { checkAfterSeconds: undefined, timeoutSeconds: 60 }, 50);

    expect(result.executions).toBe(3);
    expect(result.checksRunAgain).toBe(0);
    expect(result.latency.max).toBeLessThanOrEqual(61);
    // Once a minute: about as many checks as minutes of work, and 3 ledger writes each.
    expect(result.perWaitingHour.checks).toBeGreaterThan(55);
    expect(result.perWaitingHour.checks).toBeLessThan(75);
    expect(result.ledgerWrites / result.checks).toBeCloseTo(3, 1);
    expect(result.overran).toBe(0);
  });

  it('checks after 15 s within the invocation, and continues what does not fit', async () => {
    const result = await simulate(alone, { checkAfterSeconds: 15, timeoutSeconds: 60 }, 50);

    expect(result.checksRunAgain).toBeGreaterThan(0);
    expect(result.checksContinued).toBeGreaterThan(0);
    // The longest gap between checks is the one from the last check that fits to the next tick.
    expect(result.latency.max).toBeLessThan(35);
    expect(result.ledgerWrites / result.checks).toBeLessThan(2);
    expect(result.overran).toBe(0);
  });
});
