import { describe, expect, it } from 'vitest';
import { JobCredentials } from '../../lambda/artifacts/credentials.js';
import { ArtifactPermissionError, ArtifactServiceError } from '../../lambda/artifacts/index.js';
import type { Job } from '../../lambda/job/job.js';
import { fakeClock } from '../../local/testing/index.js';
import { artifactJob, FRESH_CREDENTIALS, JOB_CREDENTIALS } from '../helpers/artifact-store.js';

const TEN_MINUTES = 10 * 60_000;

function credentials(refreshJob: () => Promise<Job>, job: Job = artifactJob()) {
  const clock = fakeClock();
  let refreshes = 0;
  const counted = () => {
    refreshes++;
    return refreshJob();
  };
  const held = new JobCredentials({
    job,
    refreshJob: counted,
    now: clock.now,
    refreshAfterMs: TEN_MINUTES,
  });
  return { held, clock, refreshes: () => refreshes };
}

const fresh = async () => artifactJob({ artifactCredentials: FRESH_CREDENTIALS });

describe('JobCredentials', () => {
  it('hands out the job credentials until they reach the threshold, then fresh ones', async () => {
    const { held, clock, refreshes } = credentials(fresh);

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
    const { held, clock, refreshes } = credentials(fresh);
    clock.advance(TEN_MINUTES);
    await held.get();

    clock.advance(TEN_MINUTES - 1);
    await held.get();

    expect(refreshes()).toBe(1);
  });

  it('refreshes once for requests refused together, and not again for a stale refusal', async () => {
    const { held, refreshes } = credentials(fresh);
    const generation = held.generation;

    await Promise.all([held.refreshAfterExpiry(generation), held.refreshAfterExpiry(generation)]);
    // A request that began before the refresh and was refused after it.
    await held.refreshAfterExpiry(generation);

    expect(refreshes()).toBe(1);
    expect(held.generation).toBe(generation + 1);
    expect(await held.get()).toEqual(FRESH_CREDENTIALS);
  });

  it('refreshes once for concurrent requests past the threshold', async () => {
    const { held, clock, refreshes } = credentials(fresh);
    clock.advance(TEN_MINUTES);

    await Promise.all([held.get(), held.get(), held.get()]);

    expect(refreshes()).toBe(1);
  });

  it('asks the SDK to come back for every request', async () => {
    const { held } = credentials(fresh);
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
    const none = credentials(async () => without, without).held;
    const refreshedWithout = credentials(async () => without).held;

    const first = await none.get().catch((thrown: Error) => thrown);
    const refreshed = await refreshedWithout.refreshAfterExpiry(0).catch((thrown: Error) => thrown);

    expect(first).toBeInstanceOf(ArtifactPermissionError);
    expect(refreshed).toBeInstanceOf(ArtifactPermissionError);
    expect((refreshed as Error).message).toContain('refreshed job carries no artifact credentials');
  });
});
