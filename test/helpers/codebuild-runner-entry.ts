/** The CodeBuild runner's entry file, as a project deploys it. */
import { createJobWorkerHandler } from '../../lambda/create-handler.js';
import { codeBuildRunner } from './codebuild-runner.js';

export const handler = createJobWorkerHandler(codeBuildRunner);
