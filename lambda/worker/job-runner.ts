/**
 * One job's protocol: claim it in the ledger, acknowledge it, process it (only when
 * InProgress), record the report its outcome becomes, send it, record that the job is
 * finished; or, for a job whose worker died, take the expired claim over and finish the job:
 * send the recorded report if its processor had returned, run the processor again only if it
 * had not. Every path ends with the claim completed, released, or deliberately left to expire
 * (when the service could not be reached and the truth is unknown); nothing here throws. The
 * job's secret values are held by the scrubber for as long as the job runs.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CancelReason, JobCanceledError } from '../job/cancellation.js';
import type { Job } from '../job/job.js';
import { JobFailureError, type JobOutcome } from '../job/outcome.js';
import type {
  JobProcessor,
  OutcomeCheck,
  ProcessingContext,
  SdkSettings,
} from '../job/processor.js';
import { MIN_SECRET_LENGTH } from '../job/secret.js';
import {
  type Claim,
  JobRejectedError,
  type JobService,
  type JobStatus,
  type NonceLedger,
} from '../ports.js';
import type { Cancellations } from './cancellations.js';
import { CheckAgain } from './check-again.js';
import { type ContinuationLimits, ContinuationTracker } from './continuation.js';
import type { MetricsSink } from './counters.js';
import { PROCESSING_DURATION_METRIC } from './counters.js';
import { jobLogKeys, reportedExecutionId, secretValues, tooShortSecrets } from './job-keys.js';
import type { JobRun } from './job-run.js';
import { JobScope } from './job-scope.js';
import { LedgerSteps } from './ledger-steps.js';
import { describeError, type WorkerLogger, withKeys } from './logging.js';
import { InvalidOutcomeError, reportableOutcome } from './outcome-check.js';
import { failureReport, outcomeSnapshot, type Report, toReport, withoutSecrets } from './report.js';
import { ReportDelivery } from './report-delivery.js';
import { recordBackoffMs } from './report-retry.js';
import type { SecretScrubber } from './secrets.js';

export type { JobRun } from './job-run.js';

/** The shortest time one attempt to record a report is given. */
const MIN_RECORD_ATTEMPT_MS = 100;

/**
 * Attempts to record a report (each with the SDK's own retries) before the report is sent
 * unrecorded: a ledger that keeps failing must not hold the report back.
 */
export const MAX_RECORD_ATTEMPTS = 4;

/**
 * After this many tries (claims that may have run the processor: not those given back before
 * the job was acknowledged) a job whose processor never returned is failed instead of processed
 * again: its workers keep dying while it runs. A job whose processor returned is not counted
 * against this: its recorded report is sent, whatever the attempt.
 */
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
  /** Waits between attempts to send a report. */
  readonly sleep: (ms: number) => Promise<void>;
  /** Uniform draws in [0, 1) for the jitter of those waits. */
  readonly random: () => number;
  /** Handed to the processor in its context. */
  readonly sdk: SdkSettings;
  /** Where jobs' work directories are made. @default {@link DEFAULT_WORK_ROOT} */
  readonly workRoot?: string;
  /**
   * Continuation limits: continue outcomes are wrapped in the worker's envelope, which counts
   * them. @default none: the processor's token is reported as it is
   */
  readonly continuations?: ContinuationLimits;
  /**
   * The action executions' stops: asked before a job is checked again; a running processor's
   * signal aborts when its execution is stopped, and the processor's `cancel` is called for
   * work left behind. @default none: nothing is checked
   */
  readonly cancellations?: Cancellations;
  /** Reports being sent at once, at most (`REPORT_CONCURRENCY`). */
  readonly reportConcurrency: number;
}

/** What the watch of a running processor learned: why its execution stopped, if it did. */
interface StopWatch {
  reason?: CancelReason;
  /** The processor's own token, when it returned a continue outcome after the stop. */
  processorToken?: string;
}

export class JobRunner {
  readonly #deps: JobRunnerDeps;
  readonly #steps: LedgerSteps;
  readonly #delivery: ReportDelivery;
  readonly #continuations: ContinuationTracker | undefined;
  readonly #checks: CheckAgain;

  constructor(deps: JobRunnerDeps) {
    this.#deps = deps;
    this.#continuations =
      deps.continuations && new ContinuationTracker(deps.continuations, deps.metrics);
    this.#steps = new LedgerSteps(deps.ledger, deps.scrubber, deps.now);
    this.#delivery = new ReportDelivery({ ...deps, ledger: this.#steps });
    this.#checks = new CheckAgain({
      ...deps,
      secrets: secretValues,
      log: (job, run) => this.#log(job, run),
      steps: {
        record: (claim, report, run, log) => this.#record(claim, report, run, log),
        deliver: (claim, report, run, log, started, job) =>
          this.#delivery.deliver(claim, report, run, log, started, job),
        process: (job, claim, run, log) => this.#processAndReport(job, claim, run, log),
        abandon: (claim, run, log) => this.#steps.complete(claim, 'abandoned', run, log),
      },
    });
  }

  /**
   * Claims a polled job in the ledger; undefined when it is a duplicate, held by another
   * worker, finished, or the ledger could not be written (the service dispatches it again).
   */
  async claim(job: Job, run: JobRun): Promise<Claim | undefined> {
    const log = this.#log(job, run);
    const result = await this.#steps.call(
      run,
      log,
      'claim',
      (ledger, now) =>
        ledger.claim({
          jobId: job.id,
          nonce: job.nonce,
          actionExecutionId: job.pipelineContext.actionExecutionId,
          now,
          leaseExpiresAt: run.leaseExpiresAt,
        }),
      'could not claim the job; the service dispatches it again',
    );
    if (!result) return undefined;
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
        await this.#steps.complete(claim, 'abandoned', run, log);
        // A continuation job whose execution ended without it: its work may still run.
        if (job.continuationToken !== undefined && (status === 'TimedOut' || status === 'Failed')) {
          const cancel = this.#deps.cancellations?.cancel(
            job,
            job.continuationToken,
            'refused',
            run,
            log,
          );
          if (cancel) await this.#trail(cancel, run);
        }
        return;
      }
      run.summary.acknowledged++;
      if (claim.recorded) await this.#sendRecorded(claim, claim.recorded, run, log, job);
      else await this.#processAndReport(job, claim, run, log);
    } finally {
      forget();
    }
  }

  /**
   * Finishes a job whose worker died: takes its expired claim over, acknowledges again with
   * the stored nonce (the status says whether the result was already reported), then sends
   * the report recorded before the worker died or, when its processor had not returned, reads
   * the job again and processes it.
   */
  async recover(jobId: string, run: JobRun): Promise<void> {
    const log = withKeys(run.log, { jobId });
    const claim = await this.#steps.call(
      run,
      log,
      'takeOver',
      (ledger, now) => ledger.takeOver(jobId, now, run.leaseExpiresAt),
      'could not take over an expired claim',
    );
    if (!claim) return;
    if (!run.taking()) {
      // Taken over after the stop time: left to its lease, for the next invocation to finish
      // (released, it would leave the pending-claims index, and nobody would finish it).
      log.info('took over an expired claim after the stop time; left to its lease');
      return;
    }
    run.summary.recovered++;
    log.info('took over an expired claim', { attempt: claim.tries });
    const status = await this.#acknowledge(claim, run, log);
    if (status === undefined) return;
    if (status === 'Succeeded' || status === 'Failed') {
      // The result was reported; only the ledger write was lost.
      await this.#steps.complete(claim, status === 'Succeeded' ? 'succeeded' : 'failed', run, log);
      return;
    }
    if (status !== 'InProgress') {
      await this.#steps.complete(claim, 'abandoned', run, log);
      return;
    }
    run.summary.acknowledged++;
    if (claim.recorded) {
      await this.#sendRecorded(claim, claim.recorded, run, log);
      return;
    }
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
    await this.#steps.release(claim, run, log);
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
        await this.#steps.release(claim, run, log);
      } else {
        log.error('acknowledge failed; the claim is kept until its lease expires', {
          error: describeError(error, this.#deps.scrubber),
        });
      }
      return undefined;
    }
  }

  /**
   * Runs the processor on an acknowledged (InProgress) job; then, outside the job's slot,
   * records the report its outcome becomes and sends it once.
   */
  async #processAndReport(job: Job, claim: Claim, run: JobRun, log: WorkerLogger): Promise<void> {
    const scope = new JobScope(
      join(this.#deps.workRoot ?? DEFAULT_WORK_ROOT, `${job.id}-${claim.token.slice(0, 8)}`),
    );
    const stop: StopWatch = {};
    try {
      const started = this.#deps.now();
      let checkAfterSeconds: number | undefined;
      const report =
        claim.tries > MAX_ATTEMPTS
          ? failureReport(
              'JobFailed',
              `The job was given up after ${claim.tries - 1} workers stopped before finishing it`,
              defaultExecutionId(job),
            )
          : await this.#process(
              job,
              claim,
              run,
              log,
              scope,
              (seconds) => {
                checkAfterSeconds = seconds;
              },
              stop,
            );
      this.#deps.metrics.addMetric(
        PROCESSING_DURATION_METRIC,
        'Milliseconds',
        this.#deps.now() - started,
      );
      if (stop.reason && stop.processorToken !== undefined) {
        await this.#trail(
          this.#cancelStopped(job, claim, stop.reason, stop.processorToken, run, log),
          run,
        );
        return;
      }
      // The processor is done with its slot: the next job can start while this one's report is
      // recorded and sent, or recorded while the job waits to be checked again.
      const ran = { checkAfterSeconds, started, ended: this.#deps.now() };
      await this.#trail(
        this.#checks.after(job, claim, report, ran, run, log) ??
          this.#recordAndSend(claim, report, run, log, started, job),
        run,
      );
    } finally {
      await scope.end(log, this.#deps.scrubber);
    }
  }

  async #recordAndSend(
    claim: Claim,
    report: Report,
    run: JobRun,
    log: WorkerLogger,
    started: number,
    job: Job,
  ): Promise<void> {
    // Recorded before it is sent: a worker that dies from here on leaves the report to the
    // next holder of the claim, and the processor does not run again.
    const recorded = await this.#record(claim, report, run, log);
    if (recorded === false) {
      log.warn('claim was taken over before the report was recorded; not reported');
      return;
    }
    // A report that could not be recorded is still sent: the worker is alive, and a report
    // accepted now is what keeps the processor from running again.
    await this.#delivery.deliver(claim, report, run, log, started, job);
  }

  /**
   * A processor that continued after its execution was stopped: its report would be refused,
   * so it is not sent; the job is abandoned, and `cancel` gets the token it just returned.
   */
  async #cancelStopped(
    job: Job,
    claim: Claim,
    reason: CancelReason,
    processorToken: string,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void> {
    log.warn('job processor continued after its action execution was stopped; not reported', {
      reason,
    });
    await this.#steps.complete(claim, 'abandoned', run, log);
    await this.#deps.cancellations?.cancel(job, processorToken, reason, run, log);
  }

  /**
   * Records the report, again while the ledger cannot take it (at most
   * {@link MAX_RECORD_ATTEMPTS} times): until it is recorded (or sent), a worker that stops
   * makes the processor run again. The attempts share half the time left before the report
   * deadline, so that a ledger that keeps failing still leaves the
   * report time to be sent; past the report deadline, recording is all that is left to do, and
   * it may go on until the record deadline. True when recorded, false when the claim was lost,
   * undefined when it could not be.
   */
  async #record(
    claim: Claim,
    report: Report,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<boolean | undefined> {
    const start = this.#deps.now();
    const until =
      start >= run.reportDeadline
        ? run.recordDeadline
        : Math.min(run.recordDeadline, start + (run.reportDeadline - start) / 2);
    for (let retry = 0; retry < MAX_RECORD_ATTEMPTS; retry++) {
      if (run.recordSignal.aborted) return undefined;
      // An attempt may take at most a third of the time left, so that one whose answer is lost
      // (it waits for the SDK's request timeout) leaves room for two more: recording again is
      // allowed, so an attempt that did land and is sent again does no harm.
      const third = Math.floor((until - this.#deps.now()) / 3);
      const attempt = abortAfter(run.recordSignal, Math.max(MIN_RECORD_ATTEMPT_MS, third));
      const recorded = await this.#steps
        .call(run, log, 'record', (ledger, now) =>
          ledger.record(claim, report, now, { signal: attempt.signal }),
        )
        .finally(attempt.done);
      if (recorded !== undefined) return recorded;
      const delay = recordBackoffMs(retry, this.#deps.random);
      if (this.#deps.now() + delay >= until) return undefined;
      await this.#deps.sleep(delay);
    }
    return undefined;
  }

  /** Sends the report a processor produced under an earlier claim, without running it again. */
  #sendRecorded(
    claim: Claim,
    report: Report,
    run: JobRun,
    log: WorkerLogger,
    job?: Job,
  ): Promise<void> {
    log.info('sending the report recorded before the worker stopped', { attempt: claim.tries });
    return this.#trail(this.#delivery.deliver(claim, report, run, log, this.#deps.now(), job), run);
  }

  /** Hands work that need not hold the job's slot to the invocation, or awaits it. */
  async #trail(work: Promise<void>, run: JobRun): Promise<void> {
    if (run.background) run.background(work);
    else await work;
  }

  async #process(
    job: Job,
    claim: Claim,
    run: JobRun,
    log: WorkerLogger,
    scope: JobScope,
    checkAgain?: (seconds: number) => void,
    stop: StopWatch = {},
  ): Promise<Report> {
    const executionId = defaultExecutionId(job);
    const tooShort = tooShortSecrets(job);
    if (tooShort.length > 0) {
      log.warn('job refused: a secret configuration value is too short', {
        properties: tooShort,
      });
      return failureReport(
        'ConfigurationError',
        `The secret configuration ${tooShort.length === 1 ? 'property' : 'properties'} ${tooShort.join(', ')} ${tooShort.length === 1 ? 'has a value' : 'have values'} shorter than ${MIN_SECRET_LENGTH} characters: so short a value cannot be kept out of logs and reports`,
        executionId,
      );
    }
    const started = this.#deps.now();
    run.summary.processorRuns++;
    // Every start, so that a job whose processor runs again (attempt 2) shows it in its lines.
    log.info('job processor started', {
      attempt: claim.tries,
    });
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
    // A stop noted for the execution while the processor runs aborts its signal with the reason.
    const endWatch = this.#deps.cancellations?.watch(job, run, log, (reason) => {
      stop.reason = reason;
      controller.abort(new JobCanceledError(reason));
    });
    try {
      const checks: OutcomeCheck[] = [];
      const context: ProcessingContext = {
        deadline: run.jobDeadline,
        signal: controller.signal,
        attempt: claim.tries,
        logger: log,
        // Read only when the processor (or the artifact API) asks: see JobScope.
        get workDirectory() {
          return scope.workDirectory;
        },
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
      // Secret values come out of the processor's parts first, and every outcome is checked
      // as `processingContext().checked()` checks it: the same code, the same message. Each
      // outcome is read once, into plain data: what a check judged is what is reported.
      const scrub = (text: string) => this.#deps.scrubber.scrub(text);
      const processed = async (): Promise<JobOutcome> => {
        const returned = outcomeSnapshot(await this.#deps.processor.process(job, context));
        // The checks the processor registered while it ran, each result read once too.
        const once = checks.map(
          (check) => async (outcome: JobOutcome) => outcomeSnapshot(await check(outcome)),
        );
        return reportableOutcome(returned, once, (outcome) => withoutSecrets(outcome, scrub));
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
      if (stop.reason && outcome.kind === 'continue' && outcome.continuationToken) {
        stop.processorToken = outcome.continuationToken;
      }
      // The envelope is built last, so nothing rewrites it.
      const reported =
        this.#continuations?.envelope(outcome, job, { started, now: this.#deps.now() }, log) ??
        outcome;
      if (reported.kind === 'continue' && reported.checkAfterSeconds !== undefined) {
        checkAgain?.(reported.checkAfterSeconds);
      }
      return toReport(reported, executionId);
    } catch (error) {
      if (error instanceof InvalidOutcomeError) {
        // Its message may quote what the processor returned: scrubbed like any other text.
        const message = this.#deps.scrubber.scrub(error.message);
        log.warn('job processor returned an invalid result', { error: message });
        return failureReport('JobFailed', message, executionId);
      }
      const safe = describeError(error, this.#deps.scrubber);
      if (JobFailureError.is(error)) {
        log.warn('job processor failed the job', { failureType: error.failureType, error: safe });
        return failureReport(error.failureType, safe.message, executionId);
      }
      log.error('job processor threw', { error: safe });
      return failureReport('JobFailed', `The job processor failed: ${safe.message}`, executionId);
    } finally {
      clearTimeout(timer);
      endWatch?.();
    }
  }
}

/** The execution id reported when the processor gives none: stable across continuations. */
export function defaultExecutionId(job: Job): string {
  return reportedExecutionId(job);
}

/**
 * A signal that aborts when `parent` does or `ms` have passed, whichever comes first; `done`
 * lets the timer go. A timer and a listener of its own rather than `AbortSignal.any` with
 * `AbortSignal.timeout`: a composite signal holds its sources weakly, and a timeout signal
 * nothing else holds may be collected before it fires.
 */
function abortAfter(parent: AbortSignal, ms: number): { signal: AbortSignal; done: () => void } {
  const controller = new AbortController();
  const abort = () => controller.abort(parent.reason);
  const timer = setTimeout(() => controller.abort(new Error('record attempt timed out')), ms);
  if (parent.aborted) abort();
  else parent.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    done: () => {
      clearTimeout(timer);
      parent.removeEventListener('abort', abort);
    },
  };
}
