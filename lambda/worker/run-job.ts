/**
 * One job's protocol: claim it in the ledger, acknowledge it, process it (only when
 * InProgress), report exactly once, record the outcome; or, for a job whose worker died,
 * take the expired claim over and finish the job. Every path ends with the claim completed,
 * released, or deliberately left to expire (when the service could not be reached and the
 * truth is unknown); nothing here throws. The job's secret values are held by the scrubber
 * for as long as the job runs.
 */
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Claim,
  type ClaimResult,
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
import { type Job, jobLogKeys, reportedExecutionId, secretValues } from './job.js';
import { describeError, type WorkerLogger, withKeys } from './logging.js';
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

/** The default folder of jobs' work directories, under the function's temporary storage. */
export const DEFAULT_WORK_ROOT = join(tmpdir(), 'codepipeline-job-worker');

export interface JobRunnerDeps {
  readonly jobs: JobService;
  readonly ledger: NonceLedger;
  readonly processor: JobProcessor;
  readonly metrics: MetricsSink;
  readonly scrubber: SecretScrubber;
  readonly now: () => number;
  /** Handed to the processor in its context. */
  readonly sdk: SdkSettings;
  /** Where jobs' work directories are made. @default {@link DEFAULT_WORK_ROOT} */
  readonly workRoot?: string;
}

/** What a job needs of the invocation it runs in: its times, where to count, where to log. */
export interface JobRun {
  /** Epoch ms by which the processor must return. */
  readonly jobDeadline: number;
  /** Epoch ms at which a claim taken now expires. */
  readonly leaseExpiresAt: number;
  /** Whether the invocation still takes jobs (it stops at its deadline margin). */
  readonly taking: () => boolean;
  readonly summary: DrainSummary;
  /** The invocation's logger; each job adds its own keys. */
  readonly log: WorkerLogger;
  /**
   * Takes over work that must finish before the invocation ends but need not hold the job's
   * slot (recording a reported outcome). Without it, such work is awaited in place.
   */
  readonly background?: (work: Promise<void>) => void;
}

export class JobRunner {
  readonly #deps: JobRunnerDeps;

  constructor(deps: JobRunnerDeps) {
    this.#deps = deps;
  }

  /**
   * Claims a polled job in the ledger; undefined when it is a duplicate, held by another
   * worker, finished, or the ledger could not be written (the service dispatches it again).
   */
  async claim(job: Job, run: JobRun): Promise<Claim | undefined> {
    const log = this.#log(job, run);
    let result: ClaimResult;
    try {
      result = await this.#deps.ledger.claim({
        jobId: job.id,
        nonce: job.nonce,
        actionExecutionId: job.pipelineContext.actionExecutionId,
        now: this.#deps.now(),
        leaseExpiresAt: run.leaseExpiresAt,
      });
    } catch (error) {
      run.summary.ledgerErrors++;
      log.error('could not claim the job; the service dispatches it again', {
        error: describeError(error, this.#deps.scrubber),
      });
      return undefined;
    }
    switch (result.kind) {
      case 'claimed':
        return result.claim;
      case 'held':
        run.summary.claimsLost++;
        log.info('job is claimed by another worker; skipped');
        return undefined;
      default:
        run.summary.duplicates++;
        log.info('duplicate dispatch skipped', { reason: result.kind });
        return undefined;
    }
  }

  /**
   * Runs a polled job whose claim was started (`claim` never rejects): acknowledges it,
   * processes and reports it, or gives the claim back when the invocation stopped taking jobs
   * while the claim was on its way.
   */
  async run(job: Job, claiming: Promise<Claim | undefined>, run: JobRun): Promise<void> {
    const log = this.#log(job, run);
    const forget = this.#deps.scrubber.hold(secretValues(job));
    try {
      const claim = await claiming;
      if (!claim) return;
      // A slow claim may answer after the stop time: no job is taken from then on.
      if (!run.taking()) {
        await this.giveBack(
          claim,
          run,
          log,
          'the invocation reached its stop time during the claim',
        );
        return;
      }
      const status = await this.#acknowledge(claim, run, log);
      if (status === undefined) return;
      if (status !== 'InProgress') {
        log.warn('job is not InProgress after acknowledge; not processed', { status });
        await this.#complete(claim, 'abandoned', run, log);
        return;
      }
      run.summary.acknowledged++;
      await this.#processAndReport(job, claim, run, log);
    } finally {
      forget();
    }
  }

  /**
   * Finishes a job whose worker died: takes its expired claim over, acknowledges again with
   * the stored nonce (the status says whether the result was already reported), reads the
   * job again and finishes it.
   */
  async recover(jobId: string, run: JobRun): Promise<void> {
    const log = withKeys(run.log, { jobId });
    let claim: Claim | undefined;
    try {
      claim = await this.#deps.ledger.takeOver(jobId, this.#deps.now(), run.leaseExpiresAt);
    } catch (error) {
      run.summary.ledgerErrors++;
      log.error('could not take over an expired claim', {
        error: describeError(error, this.#deps.scrubber),
      });
      return;
    }
    if (!claim) return;
    if (!run.taking()) {
      // Taken over after the stop time: left to its lease, for the next invocation to finish
      // (released, it would leave the pending-claims index, and nobody would finish it).
      log.info('took over an expired claim after the stop time; left to its lease');
      return;
    }
    run.summary.recovered++;
    log.info('took over an expired claim', { attempt: claim.attempt });
    const status = await this.#acknowledge(claim, run, log);
    if (status === undefined) return;
    if (status === 'Succeeded' || status === 'Failed') {
      // The result was reported; only the ledger write was lost.
      await this.#complete(claim, status === 'Succeeded' ? 'succeeded' : 'failed', run, log);
      return;
    }
    if (status !== 'InProgress') {
      await this.#complete(claim, 'abandoned', run, log);
      return;
    }
    run.summary.acknowledged++;
    let job: Job;
    try {
      job = await this.#deps.jobs.getJob(jobId, claim.nonce);
    } catch (error) {
      // The job stays acknowledged and unreported until a later invocation: counted like a
      // result that could not be reported, so the error metrics and alarms see it.
      run.summary.reportErrors++;
      log.error('could not read the job again; the claim expires with its lease', {
        error: describeError(error, this.#deps.scrubber),
      });
      return;
    }
    const forget = this.#deps.scrubber.hold(secretValues(job));
    try {
      await this.#processAndReport(job, claim, run, this.#log(job, run));
    } finally {
      forget();
    }
  }

  /**
   * Leaves a polled job that will not get a slot to its next dispatch: once its claim (started
   * when it was polled) answers, the claim is given back.
   */
  async leave(
    job: Job,
    claiming: Promise<Claim | undefined>,
    run: JobRun,
    reason: string,
  ): Promise<void> {
    const claim = await claiming;
    // Not claimed: it was counted as a duplicate, held elsewhere, or a ledger error.
    if (claim) await this.giveBack(claim, run, this.#log(job, run), reason);
  }

  /** Gives a claimed, unacknowledged job back at once, for its next dispatch. */
  async giveBack(claim: Claim, run: JobRun, log: WorkerLogger, reason: string): Promise<void> {
    run.summary.deferred++;
    log.info('job left for a later dispatch', { reason });
    await this.#ledger(run, log, 'release', () =>
      this.#deps.ledger.release(claim, this.#deps.now()),
    );
  }

  /** The logger of one job: every line carries the job's keys. */
  #log(job: Job, run: JobRun): WorkerLogger {
    return withKeys(run.log, jobLogKeys(job));
  }

  /**
   * Acknowledges a claimed job. Returns its status, or undefined when the service refused
   * (claim released) or could not be reached (claim left to expire).
   */
  async #acknowledge(claim: Claim, run: JobRun, log: WorkerLogger): Promise<JobStatus | undefined> {
    try {
      return await this.#deps.jobs.acknowledge(claim.jobId, claim.nonce);
    } catch (error) {
      run.summary.acknowledgeErrors++;
      if (error instanceof JobRejectedError) {
        log.warn('acknowledge rejected; claim released', { reason: error.reason });
        await this.#ledger(run, log, 'release', () =>
          this.#deps.ledger.release(claim, this.#deps.now()),
        );
      } else {
        log.error('acknowledge failed; the claim is kept until its lease expires', {
          error: describeError(error, this.#deps.scrubber),
        });
      }
      return undefined;
    }
  }

  /** Runs the processor on an acknowledged (InProgress) job and reports its result once. */
  async #processAndReport(job: Job, claim: Claim, run: JobRun, log: WorkerLogger): Promise<void> {
    const scope = new JobScope(
      join(this.#deps.workRoot ?? DEFAULT_WORK_ROOT, `${job.id}-${claim.token.slice(0, 8)}`),
    );
    try {
      const started = this.#deps.now();
      const report =
        claim.attempt > MAX_ATTEMPTS
          ? failureReport(
              'JobFailed',
              `The job was given up after ${claim.attempt - 1} workers stopped before finishing it`,
              defaultExecutionId(job),
            )
          : await this.#process(job, claim, run, log, scope);
      this.#deps.metrics.addMetric(
        PROCESSING_DURATION_METRIC,
        'Milliseconds',
        this.#deps.now() - started,
      );
      await this.#report(job, claim, report, run, log, started);
    } finally {
      await scope.end(log, this.#deps.scrubber);
    }
  }

  async #report(
    job: Job,
    claim: Claim,
    report: Report,
    run: JobRun,
    log: WorkerLogger,
    started: number,
  ): Promise<void> {
    try {
      if (report.kind === 'success') await this.#deps.jobs.succeed(job.id, report);
      else await this.#deps.jobs.fail(job.id, report);
    } catch (error) {
      run.summary.reportErrors++;
      if (error instanceof JobRejectedError) {
        log.warn('result rejected: the job no longer takes results', { reason: error.reason });
        await this.#complete(claim, 'abandoned', run, log);
      } else {
        log.error('could not report the result; a later invocation finishes the job', {
          error: describeError(error, this.#deps.scrubber),
        });
      }
      return;
    }
    const outcome: LedgerOutcome =
      report.kind === 'failure' ? 'failed' : report.continuationToken ? 'continued' : 'succeeded';
    run.summary[outcome]++;
    log.info('job reported', {
      outcome,
      // The processor's own id, when it gave one: the Details link searches for it.
      externalExecutionId:
        (report.kind === 'failure'
          ? report.externalExecutionId
          : report.executionDetails?.externalExecutionId) ?? defaultExecutionId(job),
      ...(report.kind === 'failure' ? { failureType: report.failureType } : {}),
      durationMs: this.#deps.now() - started,
    });
    // The result is reported: the slot can take the next job while the ledger records it.
    const recording = this.#complete(claim, outcome, run, log);
    if (run.background) run.background(recording);
    else await recording;
  }

  /** Records the outcome in the ledger; a failure to do so is logged, never thrown. */
  async #complete(
    claim: Claim,
    outcome: LedgerOutcome,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void> {
    if (outcome === 'abandoned') run.summary.abandoned++;
    const kept = await this.#ledger(run, log, 'complete', () =>
      this.#deps.ledger.complete(claim, outcome, this.#deps.now()),
    );
    if (kept === false) log.warn('claim was taken over before its outcome was recorded');
  }

  async #process(
    job: Job,
    claim: Claim,
    run: JobRun,
    log: WorkerLogger,
    scope: JobScope,
  ): Promise<Report> {
    const executionId = defaultExecutionId(job);
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(
        () => {
          controller.abort();
          resolve('timeout');
        },
        Math.max(0, run.jobDeadline - this.#deps.now()),
      );
    });
    try {
      const checks: OutcomeCheck[] = [];
      const context: ProcessingContext = {
        deadline: run.jobDeadline,
        signal: controller.signal,
        attempt: claim.attempt,
        logger: log,
        workDirectory: scope.workDirectory,
        sdk: this.#deps.sdk,
        now: this.#deps.now,
        refreshJob: async () => {
          const fresh = await this.#deps.jobs.getJob(job.id, claim.nonce);
          scope.hold(this.#deps.scrubber.hold(secretValues(fresh)));
          return fresh;
        },
        beforeReport: (check) => {
          checks.push(check);
        },
      };
      const processed = async (): Promise<JobOutcome> => {
        let result = await this.#deps.processor.process(job, context);
        for (const check of checks) result = await check(result);
        return result;
      };
      const outcome = await Promise.race([processed(), timedOut]);
      if (outcome === 'timeout') {
        log.error('job processor missed the invocation deadline');
        return failureReport(
          'JobFailed',
          'The job processor did not finish before the worker invocation had to end',
          executionId,
        );
      }
      return toReport(withoutSecrets(outcome, this.#deps.scrubber), executionId);
    } catch (error) {
      const safe = describeError(error, this.#deps.scrubber);
      if (JobFailureError.is(error)) {
        log.warn('job processor failed the job', { failureType: error.failureType, error: safe });
        return failureReport(error.failureType, safe.message, executionId);
      }
      log.error('job processor threw', { error: safe });
      return failureReport('JobFailed', `The job processor failed: ${safe.message}`, executionId);
    } finally {
      clearTimeout(timer);
    }
  }

  async #ledger<T>(
    run: JobRun,
    log: WorkerLogger,
    step: string,
    call: () => Promise<T>,
  ): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      run.summary.ledgerErrors++;
      log.error(`nonce ledger ${step} failed; the claim expires with its lease`, {
        error: describeError(error, this.#deps.scrubber),
      });
      return undefined;
    }
  }
}

/** The execution id reported when the processor gives none: stable across continuations. */
export function defaultExecutionId(job: Job): string {
  return reportedExecutionId(job);
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
