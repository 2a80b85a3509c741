import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the benchmark writes its bundles and logs (git-ignored). */
export const WORK_DIR = fileURLToPath(new URL('../.bench/', import.meta.url));

/** The sample worker's entry (the bake-time gate), relative to the repository root. */
export const SAMPLE_ENTRY = 'samples/handlers/bake-time-gate.ts';

/** A processor that reads an object from S3, wired like the sample: a user's worker. */
export const S3_PROCESSOR_ENTRY = 'bench/fixtures/s3-processor-handler.ts';
