/**
 * The action type, declared once: the CDK app deploys it and the local runs register it.
 * Only the app and the tests import this module (it brings aws-cdk-lib); the processor
 * imports `configuration.ts`.
 */
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import type { CustomActionJobWorkerProps } from 'codepipeline-job-worker/cdk';
import { MAX_SIZE_PROPERTY } from './configuration.js';

export const SECURITY_SCAN_ACTION = {
  category: codepipeline.ActionCategory.TEST,
  provider: 'SecurityScan',
  version: '1',
  configurationProperties: [
    {
      name: MAX_SIZE_PROPERTY,
      required: true,
      key: true,
      type: 'Number',
      description: 'Largest artifact allowed through, in MB',
    },
  ],
  minInputArtifacts: 0,
  maxInputArtifacts: 1,
  // An optional output: the findings, for a later action or a person to read.
  minOutputArtifacts: 0,
  maxOutputArtifacts: 1,
} satisfies Partial<CustomActionJobWorkerProps>;
