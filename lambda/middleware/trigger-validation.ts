/**
 * Middy middleware that checks the invocation event before the handler runs: a scheduled
 * tick, a CodePipeline action execution event for this action type (STARTED, or a stop:
 * ABANDONED, CANCELED, FAILED), or `{}`. The accepted event reaches
 * the handler as its {@link Trigger}; a refused one is logged and counted once, here, and the
 * invocation fails with {@link InvalidEventError} before any poll.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import type { ActionTypeId } from '../config.js';
import { EVENTS_REJECTED_METRIC } from '../contract.js';
import { InvalidEventError, parseTrigger, type Trigger } from '../events.js';
import type { MetricsSink } from '../worker/counters.js';

/** Options of {@link triggerValidation}. */
export interface TriggerValidationOptions {
  /** The action type whose STARTED and stop events are accepted. */
  readonly actionType: ActionTypeId;
  /** Where a refused event is logged. */
  readonly logger: { error(message: string, attributes: Record<string, unknown>): void };
  /** Where a refused event is counted (`EventsRejected`). */
  readonly metrics: MetricsSink;
}

/**
 * Validates the invocation event; the handler receives the {@link Trigger} in its place.
 * Use it after the logger and metrics middleware, so that a refusal is logged with the
 * invocation's context and its count is published when the invocation fails.
 *
 * @param options - the action type, and where to log and count refusals
 * @example
 * middy(lambdaHandler)
 *   .use(logMetrics(metrics))
 *   .use(injectLambdaContext(logger))
 *   .use(triggerValidation({ actionType, logger, metrics }));
 */
export function triggerValidation(
  options: TriggerValidationOptions,
): MiddlewareObj<unknown, unknown, Error, Context> {
  const before = async (request: { event: unknown }): Promise<void> => {
    try {
      request.event = parseTrigger(request.event, options.actionType) satisfies Trigger;
    } catch (error) {
      if (error instanceof InvalidEventError) {
        options.logger.error('invocation event rejected; nothing polled', {
          reason: error.message,
        });
        options.metrics.addMetric(EVENTS_REJECTED_METRIC, 'Count', 1);
      }
      throw error;
    }
  };
  return { before };
}
