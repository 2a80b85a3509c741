/**
 * The Lambda entry of the worker: `CustomActionJobWorker`'s `entry` points here.
 */
import { createJobWorkerHandler } from 'codepipeline-job-worker';
import { codebuildRunner } from './codebuild-runner.js';

export const handler = createJobWorkerHandler(codebuildRunner());
