/**
 * The Lambda entry of the sample artifact policy check (`-c jobProcessor=artifact-policy`).
 */
import { createJobWorkerHandler } from '../../lambda/index.js';
import { artifactPolicy } from '../processors/artifact-policy.js';

export const handler = createJobWorkerHandler(artifactPolicy());
