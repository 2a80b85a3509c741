import { describe, expect, it } from 'vitest';
import { JobCredentials } from '../../lambda/artifacts/credentials.js';
import { ArtifactPermissionError, ArtifactServiceError } from '../../lambda/artifacts/index.js';
import type { Job } from '../../lambda/job/job.js';
import { type FakeClock, fakeClock } from '../../local/testing/index.js';
import { artifactJob, FRESH_CREDENTIALS, JOB_CREDENTIALS } from '../helpers/artifact-store.js';

const TEN_MINUTES = 10 * 60_000;

/**
 * Credentials held on a fake clock. `job` and `refreshJob` get the clock, so that they can
 * stamp jobs on it; by default the job was polled at the clock's start and a refresh hands
 * out fresh credentials issued as it answers.
 */
function credentials(
  refreshJob: (clock: FakeClock) => Promise<Job> = async (clock) => freshJob(clock.now()),
  job: (clock: FakeClock) => Job = (clock) => artifactJob({}, clock.now()),
  clock: FakeClock = fakeClock(),
) {
  let refreshes = 0;
  const counted = () => {
    refreshes++;
    return refreshJob(clock);
  };
  const held = new JobCredentials({
    job: job(clock),
    refreshJob: counted,
    now: clock.now,
    refreshAfterMs: TEN_MINUTES,
  });
  return { held, clock, refreshes: () => refreshes };
}

const freshJob = (issuedAt: number) =>
  artifactJob({ artifactCredentials: FRESH_CREDENTIALS }, issuedAt);

describe('JobCredentials', () => {
  it('hands out the job credentials until they reach the threshold, then fresh ones', async () => {
    const { held, clock, refreshes } = credentials();

    const first = await held.get();
    clock.advance(TEN_MINUTES - 1);
    const young = await held.get();
    clock.advance(1);
    const old = await held.get();

    expect(first).toEqual(JOB_CREDENTIALS);
    expect(young).toEqual(JOB_CREDENTIALS);
    expect(old).toEqual(FRESH_CREDENTIALS);
    expect(refreshes()).toBe(1);
  });

  it('measures the age of refreshed credentials from their refresh', async () => {
    const { held, clock, refreshes } = credentials();
    clock.advance(TEN_MINUTES);
    await held.get();

    clock.advance(TEN_MINUTES - 1);
    await held.get();

    expect(refreshes()).toBe(1);
  });

  it('counts the age from when the job was polled, not from when its artifacts are first used', async () => {
    const clock = fakeClock();
    const polled = clock.now();
    // The processor works 9.5 minutes before its first artifact call.
    clock.advance(9.5 * 60_000);
    const { held, refreshes } = credentials(undefined, () => artifactJob({}, polled), clock);

    const first = await held.get();
    clock.advance(TEN_MINUTES - 9.5 * 60_000 - 1);
    const justYounger = await held.get();
    clock.advance(1);
    const tenMinutesOld = await held.get();

    expect(first).toEqual(JOB_CREDENTIALS);
    expect(justYounger).toEqual(JOB_CREDENTIALS);
    expect(tenMinutesOld).toEqual(FRESH_CREDENTIALS);
    expect(refreshes()).toBe(1);
  });

  it("counts refreshed credentials' age from the refreshed job's stamp", async () => {
    let answeredAt = 0;
    const { held, clock, refreshes } = credentials(async (clock) => {
      // GetJobDetails takes 5 s; the adapter stamps the job when it answers, 2 s before the
      // refresh returns here.
      clock.advance(3_000);
      answeredAt = clock.now();
      clock.advance(2_000);
      return freshJob(answeredAt);
    });
    clock.advance(TEN_MINUTES);
    await held.get();

    clock.advance(answeredAt + TEN_MINUTES - 1 - clock.now());
    await held.get();
    clock.advance(1);
    await held.get();

    expect(refreshes()).toBe(2);
  });

  it('counts a refreshed job stamped before the refresh was asked from the asking, refreshing once per threshold', async () => {
    // A fixed job handed out again, as a test double may: its stamp is older than the refresh.
    const polled = fakeClock().now();
    const { held, clock, refreshes } = credentials(async () => freshJob(polled));
    clock.advance(TEN_MINUTES);
    await held.get();

    await held.get();
    clock.advance(TEN_MINUTES - 1);
    await held.get();
    const beforeSecond = refreshes();
    clock.advance(1);
    await held.get();

    expect(beforeSecond).toBe(1);
    expect(refreshes()).toBe(2);
  });

  it('counts from when it is first used when the job carries no stamp, or one ahead of its clock', async () => {
    const clock = fakeClock();
    const unstamped = { ...artifactJob(), credentialsIssuedAt: undefined };
    const ahead = artifactJob({}, clock.now() + 60 * 60_000);
    clock.advance(5 * 60_000);
    const without = credentials(undefined, () => unstamped, clock);
    const future = credentials(undefined, () => ahead, clock);

    clock.advance(TEN_MINUTES - 1);
    await Promise.all([without.held.get(), future.held.get()]);
    const young = [without.refreshes(), future.refreshes()];
    clock.advance(1);
    await Promise.all([without.held.get(), future.held.get()]);

    expect(young).toEqual([0, 0]);
    expect([without.refreshes(), future.refreshes()]).toEqual([1, 1]);
  });

  it('refreshes once for requests refused together, and not again for a stale refusal', async () => {
    const { held, refreshes } = credentials();
    const generation = held.generation;

    await Promise.all([held.refreshAfterExpiry(generation), held.refreshAfterExpiry(generation)]);
    // A request that began before the refresh and was refused after it.
    await held.refreshAfterExpiry(generation);

    expect(refreshes()).toBe(1);
    expect(held.generation).toBe(generation + 1);
    expect(await held.get()).toEqual(FRESH_CREDENTIALS);
  });

  it('refreshes once for concurrent requests past the threshold', async () => {
    const { held, clock, refreshes } = credentials();
    clock.advance(TEN_MINUTES);

    await Promise.all([held.get(), held.get(), held.get()]);

    expect(refreshes()).toBe(1);
  });

  it('refreshes once for concurrent first requests of a job polled 10 minutes ago', async () => {
    const clock = fakeClock();
    const polled = clock.now();
    clock.advance(TEN_MINUTES);
    const { held, refreshes } = credentials(undefined, () => artifactJob({}, polled), clock);

    const signed = await Promise.all([held.get(), held.get(), held.get()]);

    expect(refreshes()).toBe(1);
    expect(signed).toEqual([FRESH_CREDENTIALS, FRESH_CREDENTIALS, FRESH_CREDENTIALS]);
  });

  it('asks the SDK to come back for every request', async () => {
    const { held } = credentials();
    const before = Date.now();

    const identity = await held.provider()();

    // The SDK caches an identity until 5 minutes before its expiration.
    expect(identity.expiration?.getTime()).toBeLessThanOrEqual(Date.now());
    expect(identity.expiration?.getTime()).toBeGreaterThanOrEqual(before);
  });

  it('fails with SystemUnavailable when GetJobDetails fails, without its message', async () => {
    const { held } = credentials(async () => {
      throw Object.assign(new Error(`throttled; key ${JOB_CREDENTIALS.secretAccessKey}`), {
        name: 'ThrottlingException',
      });
    });

    const error = await held.refreshAfterExpiry(held.generation).catch((thrown: Error) => thrown);

    expect(error).toBeInstanceOf(ArtifactServiceError);
    expect((error as ArtifactServiceError).failureType).toBe('SystemUnavailable');
    expect((error as Error).message).toBe(
      "Could not refresh the job's artifact credentials (GetJobDetails failed: ThrottlingException)",
    );
  });

  it('fails with a PermissionError when the job, or the refreshed job, carries no credentials', async () => {
    const without = artifactJob({ artifactCredentials: undefined });
    const none = credentials(
      async () => without,
      () => without,
    ).held;
    const refreshedWithout = credentials(async () => without).held;

    const first = await none.get().catch((thrown: Error) => thrown);
    const refreshed = await refreshedWithout.refreshAfterExpiry(0).catch((thrown: Error) => thrown);

    expect(first).toBeInstanceOf(ArtifactPermissionError);
    expect(refreshed).toBeInstanceOf(ArtifactPermissionError);
    expect((refreshed as Error).message).toContain('refreshed job carries no artifact credentials');
  });
});
