import middy from '@middy/core';
import { describe, expect, it } from 'vitest';
import { InvalidEventError, type Trigger } from '../../lambda/events.js';
import { triggerValidation } from '../../lambda/middleware/trigger-validation.js';
import { ACTION_TYPE } from '../helpers/jobs.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { RecordingMetrics } from '../helpers/telemetry.js';

/** A Middy handler with only the middleware, recording what reaches the handler. */
function handlerWith() {
  const metrics = new RecordingMetrics();
  const logged: { message: string; attributes: Record<string, unknown> }[] = [];
  const reached: unknown[] = [];
  const handler = middy(async (event: unknown) => {
    reached.push(event);
    return 'drained';
  }).use(
    triggerValidation({
      actionType: ACTION_TYPE,
      logger: { error: (message, attributes) => logged.push({ message, attributes }) },
      metrics,
    }),
  );
  return { handler, metrics, logged, reached };
}

describe('triggerValidation (Middy middleware)', () => {
  it('hands the handler the trigger instead of the event', async () => {
    const { handler, reached, metrics } = handlerWith();

    await expect(handler(scheduledEvent(), lambdaContext())).resolves.toBe('drained');

    expect(reached).toEqual([{ kind: 'schedule' } satisfies Trigger]);
    expect(metrics.values.size).toBe(0);
  });

  it('refuses an unknown event before the handler, logged and counted once', async () => {
    const { handler, reached, metrics, logged } = handlerWith();
    const event = { source: 'aws.s3', 'detail-type': 'Object Created', detail: {} };

    await expect(handler(event, lambdaContext())).rejects.toBeInstanceOf(InvalidEventError);

    expect(reached).toEqual([]);
    expect(metrics.values.get('EventsRejected')).toEqual([1]);
    expect(logged).toEqual([
      {
        message: 'invocation event rejected; nothing polled',
        attributes: { reason: expect.stringContaining('unknown event (source "aws.s3"') },
      },
    ]);
  });
});
