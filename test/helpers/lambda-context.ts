/** Lambda contexts and scheduled events for tests: the same ones the local runs use. */
import type { Context } from 'aws-lambda';
import { localContext } from '../../samples/local/worker-env.js';

export { scheduledEvent } from '../../samples/local/worker-env.js';

export function lambdaContext(remainingMs = 60_000): Context {
  return localContext(remainingMs);
}
