/**
 * The Lambda entry of the sample bake-time gate: what a user's entry file looks like.
 */
import { createJobWorkerHandler } from '../../lambda/index.js';
import { bakeTimeGate } from '../processors/bake-time-gate.js';

export const handler = createJobWorkerHandler(bakeTimeGate());
