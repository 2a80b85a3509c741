import type {
  CallRecord,
  ExecutionStopMode,
  JobEvent,
  JobStopKind,
  JobStore,
} from './job-store.js';
import type { ActionTypeId, JobStatus, JobTemplate } from './types.js';

/** A job's whole story, as `GET /emulator/jobs/{jobId}` answers it. Times are ISO-8601. */
export interface JobView {
  jobId: string;
  status: JobStatus;
  actionTypeId: ActionTypeId;
  accountId: string;
  createdAt: string;
  acknowledgedAt: string | null;
  completedAt: string | null;
  /** The nonce that AcknowledgeJob accepts now; null while queued. */
  currentNonce: string | null;
  /** Every nonce issued, in order; `deliveries` > 1 when handed out again (duplicate fault). */
  nonces: Array<{ nonce: string; issuedAt: string; deliveries: number }>;
  /** Every AcknowledgeJob call received, in order, with the status or error answered. */
  acknowledgements: CallRecord[];
  /** Every PutJobSuccessResult / PutJobFailureResult call received, in order. */
  results: CallRecord[];
  /**
   * Lifecycle transitions: created, queued, dispatched, redelivered, requeued, acknowledged,
   * timed-out, succeeded, failed, abandoned, canceled.
   */
  events: JobEvent[];
  /**
   * How the emulator ended the job when no report did: its execution stopped with abandon
   * (`abandoned`), superseded (`canceled`), or its action timed out (`timed-out`).
   */
  stopped: { how: JobStopKind; at: string } | null;
  /** How the job's pipeline execution was stopped, if it was (whether or not this job ended by it). */
  executionStop: { mode: ExecutionStopMode; at: string; reason: string | null } | null;
  /** The job this one continues (its data carries the continuation token). */
  continuationOf: string | null;
  /** The job created by a success with a continuation token. */
  continuationJobId: string | null;
  /** The job data without artifact credentials (those are fresh on every hand-out). */
  data: JobTemplate;
}

export interface JobSummary {
  jobId: string;
  status: JobStatus;
  actionTypeId: ActionTypeId;
  createdAt: string;
  currentNonce: string | null;
  dispatchCount: number;
  continuationOf: string | null;
  continuationJobId: string | null;
  stopped: JobStopKind | null;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());

export function jobView(store: JobStore, accountId: string, jobId: string): JobView | undefined {
  const job = store.get(jobId);
  if (job === undefined) return undefined;
  const stop = store.executionStop(job.template.pipelineContext.pipelineExecutionId);
  return structuredClone({
    jobId: job.id,
    status: job.status,
    actionTypeId: job.actionType.id,
    accountId,
    createdAt: new Date(job.createdAt).toISOString(),
    acknowledgedAt: iso(job.acknowledgedAt),
    completedAt: iso(job.completedAt),
    currentNonce: job.currentNonce ?? null,
    nonces: job.nonces.map((n) => ({ ...n, issuedAt: new Date(n.issuedAt).toISOString() })),
    acknowledgements: job.acknowledgements,
    results: job.results,
    events: job.events,
    stopped: job.stopped
      ? { how: job.stopped.how, at: new Date(job.stopped.at).toISOString() }
      : null,
    executionStop: stop
      ? { mode: stop.mode, at: new Date(stop.at).toISOString(), reason: stop.reason ?? null }
      : null,
    continuationOf: job.continuationOf ?? null,
    continuationJobId: job.continuationJobId ?? null,
    data: job.template,
  });
}

export function jobSummaries(store: JobStore): JobSummary[] {
  return store.all().map((job) => ({
    jobId: job.id,
    status: job.status,
    actionTypeId: { ...job.actionType.id },
    createdAt: new Date(job.createdAt).toISOString(),
    currentNonce: job.currentNonce ?? null,
    dispatchCount: job.nonces.length,
    continuationOf: job.continuationOf ?? null,
    continuationJobId: job.continuationJobId ?? null,
    stopped: job.stopped?.how ?? null,
  }));
}
