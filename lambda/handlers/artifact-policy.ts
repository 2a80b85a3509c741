/**
 * The Lambda entry of the sample artifact policy check (`-c jobProcessor=artifact-policy`).
 */
import { createJobWorkerHandler } from '../create-handler.js';
import { artifactPolicy } from '../processors/artifact-policy.js';

export const handler = createJobWorkerHandler(artifactPolicy());
