/**
 * The {@link Cancellations} of the worker, on the execution ledger: how a job learns that its
 * action execution was stopped, and how the processor's `cancel` hook is called once per
 * stopped execution.
 *
 * A stop reaches the worker in one of four ways, each noted in the execution's ledger item:
 * - a stop event (ABANDONED, CANCELED, FAILED) handled by {@link ExecutionStops.stopEvent}:
 *   noted at once; `cancel` is called then when the execution waits between continuations;
 * - while a job of the execution runs, its watch reads the item every check interval and
 *   aborts the processor's signal when a stop was noted;
 * - a continue report refused with `InvalidJobStateException`;
 * - a continuation job that acknowledges with a status other than InProgress.
 * The right to call `cancel` is taken in the ledger by a conditional write: whichever of
 * these paths comes first calls it, and no other.
 */
import { CANCEL_ERRORS_METRIC, type StopEventState } from '../contract.js';
import type { CancelContext, Cancellation, CancelReason } from '../job/cancellation.js';
import type { Job } from '../job/job.js';
import type { JobProcessor, SdkSettings } from '../job/processor.js';
import type { ExecutionLedger, ExecutionProgress } from '../ports.js';
import type { Cancellations, ReportEnd } from './cancellations.js';
import { unwrapToken } from './continuation.js';
import type { MetricsSink } from './counters.js';
import { secretValues } from './job-keys.js';
import type { JobRun } from './job-run.js';
import { describeError, type WorkerLogger, withKeys } from './logging.js';
import type { Report } from './report.js';
import type { SecretScrubber } from './secrets.js';

/** A stop event of an action execution of this worker's type, as the handler received it. */
export interface ExecutionStop {
  readonly state: StopEventState;
  readonly actionExecutionId: string;
  /** The pipeline execution id. */
  readonly executionId?: string;
  readonly pipeline?: string;
  readonly stage?: string;
  readonly action?: string;
}

/** The reason each stop event state gives. */
export const STOP_REASONS: Readonly<Record<StopEventState, CancelReason>> = {
  ABANDONED: 'abandoned',
  CANCELED: 'canceled',
  FAILED: 'failed',
};

export interface ExecutionStopsDeps {
  readonly ledger: ExecutionLedger;
  readonly processor: JobProcessor;
  readonly scrubber: SecretScrubber;
  readonly metrics: MetricsSink;
  readonly now: () => number;
  /** Handed to the processor's `cancel` in its context. */
  readonly sdk: SdkSettings;
  /** Time between two reads of a running job's execution (`CANCEL_CHECK_SECONDS`), in ms. */
  readonly checkIntervalMs: number;
}

/** What `cancel` is called for: the execution and its pipeline keys. */
interface CancelTarget {
  readonly actionExecutionId: string;
  readonly pipelineName?: string;
  readonly pipelineExecutionId?: string;
  readonly stageName?: string;
  readonly actionName?: string;
  readonly externalExecutionId?: string;
}

/** How a stop event was handled. */
export type StopEventResult =
  /** The processor's `cancel` was called (or it has none, which was logged). */
  | 'canceled'
  /** A job of the execution reported its final result itself: nothing to stop. */
  | 'finished'
  /** No continuation recorded: nothing waits; a running processor is aborted by its watch. */
  | 'noted'
  /** Another caller took the right to call `cancel` first. */
  | 'taken';

/** The worker's {@link Cancellations}, on an {@link ExecutionLedger}. */
export class ExecutionStops implements Cancellations {
  readonly #deps: ExecutionStopsDeps;

  constructor(deps: ExecutionStopsDeps) {
    this.#deps = deps;
  }

  watch(
    job: Job,
    run: JobRun,
    log: WorkerLogger,
    onStopped: (reason: CancelReason) => void,
  ): () => void {
    const id = job.pipelineContext.actionExecutionId;
    if (!id) return () => {};
    let over = false;
    let timer: NodeJS.Timeout | undefined;
    const check = async () => {
      const reason = await this.#stopped(id, run, log);
      if (over) return;
      if (reason) {
        over = true;
        log.warn('action execution stopped while its processor runs; its signal is aborted', {
          reason,
        });
        onStopped(reason);
        return;
      }
      next();
    };
    const next = () => {
      timer = setTimeout(() => void check(), this.#deps.checkIntervalMs);
    };
    next();
    return () => {
      over = true;
      clearTimeout(timer);
    };
  }

  async stopped(job: Job, run: JobRun, log: WorkerLogger): Promise<CancelReason | undefined> {
    const id = job.pipelineContext.actionExecutionId;
    return id ? this.#stopped(id, run, log) : undefined;
  }

  async reported(
    job: Job,
    report: Report,
    end: ReportEnd,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void> {
    const progress = progressOf(job);
    // The tokens and the finished mark serve `cancel` alone: a processor without one pays no
    // write for them (a stop is still noted by its event, and a running job still aborted).
    if (!progress || !this.#deps.processor.cancel) return;
    const token = report.kind === 'success' ? report.continuationToken : undefined;
    // Only an execution that continued has an item a stop could act on: the final report of
    // a job that did not continue writes nothing.
    const continuedBefore = job.continuationToken !== undefined;
    try {
      if (token === undefined) {
        if ((end === 'sending' || end === 'accepted') && continuedBefore) {
          await this.#deps.ledger.finished(progress, this.#deps.now());
        }
        return;
      }
      const { continuationToken: processorToken = token, continuation } = unwrapToken(token);
      const externalExecutionId =
        continuation?.externalExecutionId ?? job.continuation?.externalExecutionId;
      if (end === 'refused') {
        // The stop noted for the execution says why better than the refusal does.
        const noted = (await this.#deps.ledger.read(progress.actionExecutionId))?.canceled;
        const reason = noted?.reason ?? 'refused';
        await this.#cancelFor(job, processorToken, reason, externalExecutionId, run, log);
        return;
      }
      // Written before the report is sent (a stop that follows its acceptance finds the newest
      // token), and again once accepted, when a stop noted meanwhile is acted on.
      const record = await this.#deps.ledger.continued(progress, token, this.#deps.now());
      if (end === 'accepted' && record.canceled && !record.finished) {
        log.warn('action execution was stopped while its job ran; its work is canceled', {
          reason: record.canceled.reason,
        });
        await this.#cancelFor(
          job,
          processorToken,
          record.canceled.reason,
          externalExecutionId,
          run,
          log,
        );
      }
    } catch (error) {
      run.summary.ledgerErrors++;
      log.error('could not note the report in the execution ledger', {
        end,
        error: describeError(error, this.#deps.scrubber),
      });
    }
  }

  async cancel(
    job: Job,
    processorToken: string,
    reason: CancelReason,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void> {
    try {
      await this.#cancelFor(
        job,
        processorToken,
        reason,
        job.continuation?.externalExecutionId,
        run,
        log,
      );
    } catch (error) {
      run.summary.ledgerErrors++;
      log.error('could not take the right to cancel the execution; cancel not called', {
        error: describeError(error, this.#deps.scrubber),
      });
    }
  }

  /**
   * Handles a stop event: notes the stop (the first reason noted is kept), and, when the
   * execution waits between continuations (a token recorded, no final report), calls the
   * processor's `cancel` once with the processor's own token. A FAILED event for an execution
   * whose final report the worker sent itself acts on nothing. Throws when the ledger cannot
   * be written, so that the event is delivered again.
   *
   * @param stop - the event's execution and state
   * @param deadline - epoch ms by which `cancel` must return
   * @param logger - the invocation's logger
   */
  async stopEvent(
    stop: ExecutionStop,
    deadline: number,
    logger: WorkerLogger,
  ): Promise<StopEventResult> {
    const log = withKeys(logger, {
      actionExecutionId: stop.actionExecutionId,
      pipelineName: stop.pipeline,
      pipelineExecutionId: stop.executionId,
      stage: stop.stage,
      action: stop.action,
    });
    const record = await this.#deps.ledger.canceled(
      stop.actionExecutionId,
      STOP_REASONS[stop.state],
      this.#deps.now(),
      {
        pipelineName: stop.pipeline,
        pipelineExecutionId: stop.executionId,
        stageName: stop.stage,
        actionName: stop.action,
      },
    );
    const reason = record.canceled?.reason ?? STOP_REASONS[stop.state];
    log.info('action execution stop noted', { state: stop.state, reason });
    if (record.finished) {
      log.info('a job of the execution reported its final result itself; nothing to cancel');
      return 'finished';
    }
    if (record.continuationToken === undefined) return 'noted';
    const { continuationToken: processorToken = record.continuationToken, continuation } =
      unwrapToken(record.continuationToken);
    const called = await this.#callCancel(
      {
        actionExecutionId: record.actionExecutionId,
        pipelineName: record.pipelineName ?? stop.pipeline,
        pipelineExecutionId: record.pipelineExecutionId ?? stop.executionId,
        stageName: record.stageName ?? stop.stage,
        actionName: record.actionName ?? stop.action,
        externalExecutionId: continuation?.externalExecutionId,
      },
      processorToken,
      reason,
      deadline,
      log,
    );
    return called ? 'canceled' : 'taken';
  }

  async #stopped(id: string, run: JobRun, log: WorkerLogger): Promise<CancelReason | undefined> {
    try {
      const record = await this.#deps.ledger.read(id);
      return record?.canceled && !record.finished ? record.canceled.reason : undefined;
    } catch (error) {
      run.summary.ledgerErrors++;
      log.warn('could not read whether the action execution was stopped', {
        error: describeError(error, this.#deps.scrubber),
      });
      return undefined;
    }
  }

  /** {@link #callCancel} for a job, with its secret values held for as long as it runs. */
  async #cancelFor(
    job: Job,
    processorToken: string,
    reason: CancelReason,
    externalExecutionId: string | undefined,
    run: JobRun,
    log: WorkerLogger,
  ): Promise<void> {
    const progress = progressOf(job);
    if (!progress) {
      log.warn('action execution stopped, but the job has no action execution id to cancel', {
        reason,
      });
      return;
    }
    const forget = this.#deps.scrubber.hold(secretValues(job));
    try {
      const { jobId: _job, ...target } = progress;
      await this.#callCancel(
        { ...target, ...(externalExecutionId ? { externalExecutionId } : {}) },
        processorToken,
        reason,
        run.reportDeadline,
        log,
      );
    } finally {
      forget();
    }
  }

  /**
   * Takes the right to call the processor's `cancel` (once per execution), then calls it
   * until `deadline`. Throws only when the ledger cannot be written; a `cancel` that throws
   * or overruns is logged and counted. False when another caller took the right first.
   */
  async #callCancel(
    target: CancelTarget,
    processorToken: string,
    reason: CancelReason,
    deadline: number,
    log: WorkerLogger,
  ): Promise<boolean> {
    const { processor, ledger, now } = this.#deps;
    if (!processor.cancel) {
      log.info('action execution stopped; the processor has no cancel hook', { reason });
      return true;
    }
    if (!(await ledger.takeCancel(target.actionExecutionId, now()))) {
      log.info('action execution stopped; its cancel was already called', { reason });
      return false;
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(
        () => {
          controller.abort(new Error('the cancel deadline passed'));
          resolve('late');
        },
        Math.max(0, deadline - now()),
      );
    });
    const cancellation: Cancellation = { ...target, reason, continuationToken: processorToken };
    const context: CancelContext = {
      deadline,
      signal: controller.signal,
      logger: log,
      sdk: this.#deps.sdk,
      now,
    };
    log.info('calling the processor cancel hook', { reason });
    // Settled either way, so that a hook that throws after its deadline rejects nothing.
    const calling = (async () => processor.cancel?.(cancellation, context))().then(
      () => ({ kind: 'done' as const }),
      (error: unknown) => ({ kind: 'threw' as const, error }),
    );
    const ended = await Promise.race([calling, late]).finally(() => clearTimeout(timer));
    if (ended === 'late') {
      this.#deps.metrics.addMetric(CANCEL_ERRORS_METRIC, 'Count', 1);
      log.error('the processor cancel hook did not return before its deadline', { reason });
    } else if (ended.kind === 'threw') {
      this.#deps.metrics.addMetric(CANCEL_ERRORS_METRIC, 'Count', 1);
      log.error('the processor cancel hook threw; it is not called again', {
        reason,
        error: describeError(ended.error, this.#deps.scrubber),
      });
    } else {
      log.info('the processor cancel hook returned', { reason });
    }
    return true;
  }
}

/** The execution's keys as a job of it reports them; undefined without an action execution id. */
function progressOf(job: Job): ExecutionProgress | undefined {
  const { actionExecutionId, pipelineName, pipelineExecutionId, stageName, actionName } =
    job.pipelineContext;
  if (!actionExecutionId) return undefined;
  return {
    actionExecutionId,
    jobId: job.id,
    ...(pipelineName ? { pipelineName } : {}),
    ...(pipelineExecutionId ? { pipelineExecutionId } : {}),
    ...(stageName ? { stageName } : {}),
    ...(actionName ? { actionName } : {}),
  };
}
