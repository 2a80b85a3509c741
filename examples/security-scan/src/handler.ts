/**
 * The Lambda entry of the worker: `CustomActionJobWorker`'s `entry` points here.
 */
import { createJobWorkerHandler } from 'codepipeline-job-worker';
import { securityScan } from './security-scan.js';

export const handler = createJobWorkerHandler(securityScan());
