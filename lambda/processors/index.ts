/**
 * The job processors this build knows, by the name `JOB_PROCESSOR` selects. Add yours here.
 */
import { bakeTimeGate } from './bake-time-gate.js';
import type { JobProcessor } from './job-processor.js';

export const PROCESSORS: Readonly<Record<string, () => JobProcessor>> = {
  'bake-time-gate': () => bakeTimeGate(),
};

/** Raised when `JOB_PROCESSOR` names no known processor. */
export class UnknownProcessorError extends Error {
  constructor(name: string) {
    super(`JOB_PROCESSOR "${name}" is unknown; known: ${Object.keys(PROCESSORS).join(', ')}`);
    this.name = 'UnknownProcessorError';
  }
}

/** Builds the processor `name` names. */
export function createProcessor(name: string): JobProcessor {
  const factory = PROCESSORS[name];
  if (!factory) throw new UnknownProcessorError(name);
  return factory();
}
