/**
 * The job processor: the pluggable part of the worker that does one job's work.
 */
import type { Job } from '../worker/job.js';
import type { JobOutcome } from '../worker/outcome.js';

export type { Job } from '../worker/job.js';
export type { FailureType, JobOutcome } from '../worker/outcome.js';

/** Structured logging for a processor; every line already carries the job's keys. */
export interface JobLogger {
  debug(message: string, attributes?: Record<string, unknown>): void;
  info(message: string, attributes?: Record<string, unknown>): void;
  warn(message: string, attributes?: Record<string, unknown>): void;
  error(message: string, attributes?: Record<string, unknown>): void;
}

export interface ProcessingContext {
  /** Epoch ms by which `process` must have returned; past it the job is failed. */
  readonly deadline: number;
  /** Aborted when the deadline passes. */
  readonly signal: AbortSignal;
  /** 1 for the job's first claim; more when a worker died while holding it. */
  readonly attempt: number;
  readonly logger: JobLogger;
  /** The worker's clock (epoch ms). */
  now(): number;
}

/**
 * Does one job's work and says how it ended. Throwing is allowed: the job is then failed
 * with `JobFailed` and the error's message (with every secret value removed).
 *
 * Work may be repeated once if the worker dies mid-job (the claim's lease expires and a
 * later invocation takes the job over): make side effects safe to repeat.
 *
 * @example
 * const hello: JobProcessor = {
 *   name: 'hello',
 *   async process(job) {
 *     return { kind: 'success', summary: `hello from ${job.pipelineContext.pipelineName}` };
 *   },
 * };
 */
export interface JobProcessor {
  readonly name: string;
  process(job: Job, context: ProcessingContext): Promise<JobOutcome>;
}
