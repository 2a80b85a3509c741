import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Where the benchmark writes its bundles and logs (git-ignored). */
export const WORK_DIR = fileURLToPath(new URL('../.bench/', import.meta.url));
