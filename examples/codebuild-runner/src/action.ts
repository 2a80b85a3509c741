/**
 * The action type, declared once: the CDK app deploys it and the local runs register it.
 * Only the app and the tests import this module (it brings aws-cdk-lib); the processor
 * imports `configuration.ts`.
 */
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { CustomActionJobWorkerProps } from 'codepipeline-job-worker/cdk';
import {
  ENVIRONMENT_VARIABLES_PROPERTY,
  PROJECT_NAME_PROPERTY,
  SOURCE_VERSION_PROPERTY,
} from './configuration.js';

export const CODEBUILD_RUNNER_ACTION = {
  category: codepipeline.ActionCategory.BUILD,
  provider: 'CodeBuildRunner',
  version: '1',
  configurationProperties: [
    {
      // Required and not secret: the action's links name it ({Config:ProjectName}).
      name: PROJECT_NAME_PROPERTY,
      required: true,
      key: true,
      type: 'String',
      description: 'The CodeBuild project to build',
    },
    {
      name: SOURCE_VERSION_PROPERTY,
      required: false,
      key: false,
      type: 'String',
      description: "Commit, branch or tag to build instead of the project's own",
    },
    {
      name: ENVIRONMENT_VARIABLES_PROPERTY,
      required: false,
      key: false,
      type: 'String',
      description: 'JSON object of variables for the build, such as {"STAGE":"test"}',
    },
  ],
  minInputArtifacts: 0,
  maxInputArtifacts: 0,
  // An optional output: the build's id, status and source version, for a later action.
  minOutputArtifacts: 0,
  maxOutputArtifacts: 1,
} satisfies Partial<CustomActionJobWorkerProps>;
