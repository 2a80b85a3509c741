import type { JobView, RunningEmulator } from './emulator/index.js';

/** A job and the jobs its continuation tokens created, in order, as the emulator saw them. */
export function jobChain(emulator: RunningEmulator, jobId: string): JobView[] {
  const views: JobView[] = [];
  for (let next: string | null = jobId; next; ) {
    const view = emulator.getJob(next);
    if (!view) break;
    views.push(view);
    next = view.continuationJobId;
  }
  return views;
}
