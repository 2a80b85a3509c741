/**
 * One job's life once it is claimed: acknowledge, process (only when InProgress), report
 * exactly once, record the outcome. Every path ends with the claim completed, released, or
 * deliberately left to expire (when the service could not be reached and the truth is
 * unknown); nothing here throws.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Claim,
  JobRejectedError,
  type JobService,
  type JobStatus,
  type LedgerOutcome,
  type NonceLedger,
} from '../ports.js';
import type {
  JobProcessor,
  OutcomeCheck,
  ProcessingContext,
  SdkSettings,
} from '../processors/job-processor.js';
import type { DrainSummary, MetricsSink } from './counters.js';
import { PROCESSING_DURATION_METRIC } from './counters.js';
import { type Job, secretValues } from './job.js';
import { describeError, type WorkerLogger } from './logging.js';
import {
  failureReport,
  JobFailureError,
  type JobOutcome,
  type Report,
  toReport,
} from './outcome.js';
import type { SecretScrubber } from './secrets.js';

/** After this many claims a job is failed instead of processed again: its workers keep dying. */
export const MAX_ATTEMPTS = 3;

export interface JobRunnerDeps {
  readonly jobs: JobService;
  readonly ledger: NonceLedger;
  readonly processor: JobProcessor;
  readonly metrics: MetricsSink;
  readonly scrubber: SecretScrubber;
  readonly now: () => number;
  /** Handed to the processor in its context. */
  readonly sdk: SdkSettings;
  /** Where jobs' work directories are made. @default `codepipeline-job-worker` in the OS temp dir */
  readonly workRoot?: string;
}

/** The default folder of jobs' work directories, under the function's temporary storage. */
export const DEFAULT_WORK_ROOT = join(tmpdir(), 'codepipeline-job-worker');

/** The part of an invocation a job needs: its deadlines and where to count. */
export interface JobRun {
  /** Epoch ms by which the processor must return. */
  readonly jobDeadline: number;
  readonly summary: DrainSummary;
  readonly log: WorkerLogger;
  /**
   * Takes over work that must finish before the invocation ends but need not hold the job's
   * slot (recording a reported outcome). Without it, such work is awaited in place.
   */
  readonly background?: (work: Promise<void>) => void;
}

export class JobRunner {
  constructor(private readonly deps: JobRunnerDeps) {}

  /**
   * Acknowledges a claimed job. Returns its status, or undefined when the service refused
   * (claim released) or could not be reached (claim left to expire).
   */
  async acknowledge(claim: Claim, run: JobRun): Promise<JobStatus | undefined> {
    try {
      return await this.deps.jobs.acknowledge(claim.jobId, claim.nonce);
    } catch (error) {
      run.summary.acknowledgeErrors++;
      if (error instanceof JobRejectedError) {
        run.log.warn('acknowledge rejected; claim released', { reason: error.reason });
        await this.release(claim, run);
      } else {
        run.log.error('acknowledge failed; the claim is kept until its lease expires', {
          error: describeError(error, this.deps.scrubber),
        });
      }
      return undefined;
    }
  }

  /** Gives a claim up unused, so that another dispatch of the job can be claimed at once. */
  async release(claim: Claim, run: JobRun): Promise<void> {
    await this.#ledger(run, 'release', () => this.deps.ledger.release(claim, this.deps.now()));
  }

  /** Runs the processor on an acknowledged (InProgress) job and reports its result once. */
  async processAndReport(job: Job, claim: Claim, run: JobRun): Promise<void> {
    const scope = new JobScope(
      join(this.deps.workRoot ?? DEFAULT_WORK_ROOT, `${job.id}-${claim.token.slice(0, 8)}`),
    );
    try {
      await this.#processAndReport(job, claim, run, scope);
    } finally {
      await scope.end(run.log, this.deps.scrubber);
    }
  }

  async #processAndReport(job: Job, claim: Claim, run: JobRun, scope: JobScope): Promise<void> {
    const started = this.deps.now();
    const report =
      claim.attempt > MAX_ATTEMPTS
        ? failureReport(
            'JobFailed',
            `The job was given up after ${claim.attempt - 1} workers stopped before finishing it`,
            defaultExecutionId(job),
          )
        : await this.#process(job, claim, run, scope);
    this.deps.metrics.addMetric(
      PROCESSING_DURATION_METRIC,
      'Milliseconds',
      this.deps.now() - started,
    );
    try {
      if (report.kind === 'success') await this.deps.jobs.succeed(job.id, report);
      else await this.deps.jobs.fail(job.id, report);
    } catch (error) {
      run.summary.reportErrors++;
      if (error instanceof JobRejectedError) {
        run.log.warn('result rejected: the job no longer takes results', { reason: error.reason });
        await this.complete(claim, 'abandoned', run);
      } else {
        run.log.error('could not report the result; a later invocation finishes the job', {
          error: describeError(error, this.deps.scrubber),
        });
      }
      return;
    }
    const outcome: LedgerOutcome =
      report.kind === 'failure' ? 'failed' : report.continuationToken ? 'continued' : 'succeeded';
    run.summary[outcome]++;
    run.log.info('job reported', {
      outcome,
      ...(report.kind === 'failure' ? { failureType: report.failureType } : {}),
      durationMs: this.deps.now() - started,
    });
    // The result is reported: the slot can take the next job while the ledger records it.
    const recording = this.complete(claim, outcome, run);
    if (run.background) run.background(recording);
    else await recording;
  }

  /** Records the outcome in the ledger; a failure to do so is logged, never thrown. */
  async complete(claim: Claim, outcome: LedgerOutcome, run: JobRun): Promise<void> {
    if (outcome === 'abandoned') run.summary.abandoned++;
    const kept = await this.#ledger(run, 'complete', () =>
      this.deps.ledger.complete(claim, outcome, this.deps.now()),
    );
    if (kept === false) run.log.warn('claim was taken over before its outcome was recorded');
  }

  async #process(job: Job, claim: Claim, run: JobRun, scope: JobScope): Promise<Report> {
    const executionId = defaultExecutionId(job);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(
        () => {
          controller.abort();
          resolve('timeout');
        },
        Math.max(0, run.jobDeadline - this.deps.now()),
      );
    });
    try {
      const checks: OutcomeCheck[] = [];
      const context: ProcessingContext = {
        deadline: run.jobDeadline,
        signal: controller.signal,
        attempt: claim.attempt,
        logger: run.log,
        workDirectory: scope.workDirectory,
        sdk: this.deps.sdk,
        now: this.deps.now,
        refreshJob: async () => {
          const fresh = await this.deps.jobs.getJob(job.id, claim.nonce);
          scope.hold(this.deps.scrubber.hold(secretValues(fresh)));
          return fresh;
        },
        beforeReport: (check) => {
          checks.push(check);
        },
      };
      const processed = async (): Promise<JobOutcome> => {
        let result = await this.deps.processor.process(job, context);
        for (const check of checks) result = await check(result);
        return result;
      };
      const outcome = await Promise.race([processed(), timedOut]);
      if (outcome === 'timeout') {
        run.log.error('job processor missed the invocation deadline');
        return failureReport(
          'JobFailed',
          'The job processor did not finish before the worker invocation had to end',
          executionId,
        );
      }
      return toReport(withoutSecrets(outcome, this.deps.scrubber), executionId);
    } catch (error) {
      const safe = describeError(error, this.deps.scrubber);
      if (JobFailureError.is(error)) {
        run.log.warn('job processor failed the job', {
          failureType: error.failureType,
          error: safe,
        });
        return failureReport(error.failureType, safe.message, executionId);
      }
      run.log.error('job processor threw', { error: safe });
      return failureReport('JobFailed', `The job processor failed: ${safe.message}`, executionId);
    } finally {
      clearTimeout(timer);
    }
  }

  async #ledger<T>(run: JobRun, step: string, call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      run.summary.ledgerErrors++;
      run.log.error(`nonce ledger ${step} failed; the claim expires with its lease`, {
        error: describeError(error, this.deps.scrubber),
      });
      return undefined;
    }
  }
}

/** The execution id reported when the processor gives none: stable across continuations. */
export function defaultExecutionId(job: Job): string {
  return job.pipelineContext.actionExecutionId ?? job.id;
}

/** The outcome with every held secret removed from its free text (summary, message). */
function withoutSecrets(outcome: JobOutcome, scrubber: SecretScrubber): JobOutcome {
  if (typeof outcome !== 'object' || outcome === null) return outcome;
  if (outcome.kind === 'failure' && typeof outcome.message === 'string') {
    return { ...outcome, message: scrubber.scrub(outcome.message) };
  }
  if (outcome.kind !== 'failure' && typeof outcome.summary === 'string') {
    return { ...outcome, summary: scrubber.scrub(outcome.summary) };
  }
  return outcome;
}

/** What a job holds while it runs: its work directory and the secrets it was handed later. */
class JobScope {
  readonly #releases: Array<() => void> = [];

  constructor(readonly workDirectory: string) {}

  /** Keeps a secret registration until the job ends. */
  hold(release: () => void): void {
    this.#releases.push(release);
  }

  /** Removes the work directory and forgets the secrets; a failure is logged, never thrown. */
  async end(log: WorkerLogger, scrubber: SecretScrubber): Promise<void> {
    try {
      await rm(this.workDirectory, { recursive: true, force: true });
    } catch (error) {
      log.warn('could not remove the job work directory', {
        error: describeError(error, scrubber),
      });
    } finally {
      for (const release of this.#releases.splice(0)) release();
    }
  }
}
