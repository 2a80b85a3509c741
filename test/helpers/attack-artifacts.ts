/**
 * Hostile input artifacts through the public artifact API: an archive stored as a job's
 * input, extracted with `jobArtifacts(job, context).extract()` as a processor would.
 */
import { lstat, readdir, readlink, realpath } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { expect } from 'vitest';
import { type JobArtifactsOptions, jobArtifacts } from '../../lambda/artifacts/index.js';
import type { Job } from '../../lambda/job/job.js';
import {
  type ArtifactStoreFixture,
  artifact,
  artifactJob,
  BUCKET,
  INPUT_KEY,
} from './artifact-store.js';

/**
 * A processing context whose S3 calls wait long enough on a busy machine: a slow answer of the
 * stand-in must not pass for the archive's refusal.
 */
export function patientContext(store: ArtifactStoreFixture) {
  return store.context({ sdk: { maxAttempts: 1, requestTimeoutMs: 30_000 } });
}

/** Extracts `zip` as the job's only input; the promise settles as `extract()` does. */
export async function extractInput(
  store: ArtifactStoreFixture,
  zip: Buffer,
  options: JobArtifactsOptions = {},
): Promise<string> {
  await store.s3.putObject(BUCKET, INPUT_KEY, zip);
  const artifacts = jobArtifacts(artifactJob(), patientContext(store), options);
  try {
    return await artifacts.extract();
  } finally {
    artifacts.destroy();
  }
}

/** The error `extract()` fails with (the test fails when it succeeds). */
export async function extractRefusal(
  store: ArtifactStoreFixture,
  zip: Buffer,
  options: JobArtifactsOptions = {},
): Promise<Error & { failureType: string }> {
  const outcome = await extractInput(store, zip, options).then(
    (root) => ({ root }),
    (error: unknown) => ({ error }),
  );
  expect(outcome).toHaveProperty('error');
  const error = (outcome as { error: unknown }).error;
  expect(error).toBeInstanceOf(Error);
  return error as Error & { failureType: string };
}

/** A job with `names` as its inputs, each stored under a key of its own. */
export function jobWithInputs(names: readonly string[]): Job {
  return artifactJob({
    inputArtifacts: names.map((name) => artifact(name, `checkout-service/${name}/obj`)),
  });
}

/** Every path under `root` (relative, `/`-separated), links included, not followed. */
export async function treeOf(root: string, under = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(join(root, under), { withFileTypes: true })) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    found.push(path);
    if (entry.isDirectory()) found.push(...(await treeOf(root, path)));
  }
  return found.sort();
}

/** The links under `root` whose real target lies outside it (dangling ones are skipped). */
export async function linksLeaving(root: string): Promise<string[]> {
  const real = await realpath(root);
  const leaving: string[] = [];
  for (const path of await treeOf(root)) {
    const full = join(root, path);
    if (!(await lstat(full)).isSymbolicLink()) continue;
    const leads = await realpath(full).catch(() => undefined);
    if (leads === undefined) continue;
    const rel = relative(real, leads);
    if (rel.startsWith(`..${sep}`) || rel === '..') {
      leaving.push(`${path} -> ${await readlink(full)}`);
    }
  }
  return leaving;
}
