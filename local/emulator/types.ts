/**
 * Wire shapes of the CodePipeline job-worker API (service model `codepipeline/2015-07-09`)
 * and the emulator's own vocabulary. Kept free of any import from `lambda/`.
 */

export const ACTION_CATEGORIES = [
  'Source',
  'Build',
  'Deploy',
  'Test',
  'Invoke',
  'Approval',
  'Compute',
] as const;
export const ACTION_OWNERS = ['AWS', 'ThirdParty', 'Custom'] as const;
export const JOB_STATUSES = [
  'Created',
  'Queued',
  'Dispatched',
  'InProgress',
  'TimedOut',
  'Succeeded',
  'Failed',
] as const;
export const FAILURE_TYPES = [
  'JobFailed',
  'ConfigurationError',
  'PermissionError',
  'RevisionOutOfSync',
  'RevisionUnavailable',
  'SystemUnavailable',
] as const;
export const PROPERTY_TYPES = ['String', 'Number', 'Boolean'] as const;

/** The operations the emulator serves on `POST /`. */
export const OPERATIONS = [
  'PollForJobs',
  'AcknowledgeJob',
  'PutJobSuccessResult',
  'PutJobFailureResult',
  'GetJobDetails',
  'CreateCustomActionType',
  'DeleteCustomActionType',
  'ListActionTypes',
] as const;

export type ActionCategory = (typeof ACTION_CATEGORIES)[number];
export type ActionOwner = (typeof ACTION_OWNERS)[number];
export type JobStatus = (typeof JOB_STATUSES)[number];
export type FailureType = (typeof FAILURE_TYPES)[number];
export type PropertyType = (typeof PROPERTY_TYPES)[number];
export type Operation = (typeof OPERATIONS)[number];

export interface ActionTypeId {
  category: ActionCategory;
  owner: ActionOwner;
  provider: string;
  version: string;
}

export interface ActionConfigurationProperty {
  name: string;
  required: boolean;
  key: boolean;
  secret: boolean;
  queryable?: boolean;
  description?: string;
  type?: PropertyType;
}

export interface ArtifactDetails {
  minimumCount: number;
  maximumCount: number;
}

export interface ActionTypeSettings {
  thirdPartyConfigurationUrl?: string;
  entityUrlTemplate?: string;
  executionUrlTemplate?: string;
  revisionUrlTemplate?: string;
}

export interface ActionType {
  id: ActionTypeId;
  settings?: ActionTypeSettings;
  actionConfigurationProperties?: ActionConfigurationProperty[];
  inputArtifactDetails: ArtifactDetails;
  outputArtifactDetails: ArtifactDetails;
}

export interface Tag {
  key: string;
  value: string;
}

/** CreateCustomActionType input (owner is always Custom). */
export interface CustomActionTypeInput {
  category: ActionCategory;
  provider: string;
  version: string;
  settings?: ActionTypeSettings;
  configurationProperties?: ActionConfigurationProperty[];
  inputArtifactDetails: ArtifactDetails;
  outputArtifactDetails: ArtifactDetails;
  tags?: Tag[];
}

export interface Artifact {
  name: string;
  revision?: string;
  location: { type: 'S3'; s3Location: { bucketName: string; objectKey: string } };
}

export interface PipelineContext {
  pipelineName: string;
  stage: { name: string };
  action: { name: string; actionExecutionId: string };
  pipelineArn: string;
  pipelineExecutionId: string;
}

export interface ArtifactCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
}

export interface EncryptionKey {
  id: string;
  type: 'KMS';
}

export interface JobData {
  actionTypeId: ActionTypeId;
  actionConfiguration: { configuration: Record<string, string> };
  pipelineContext: PipelineContext;
  inputArtifacts: Artifact[];
  outputArtifacts: Artifact[];
  artifactCredentials: ArtifactCredentials;
  continuationToken?: string;
  encryptionKey?: EncryptionKey;
}

/** JobData without the per-dispatch credentials: what the emulator stores. */
export type JobTemplate = Omit<JobData, 'artifactCredentials'>;

export interface Job {
  id: string;
  data: JobData;
  nonce: string;
  accountId: string;
}
