/**
 * The job as the worker sees it: parsed once from the service's `Job`/`JobData`, with
 * artifact credentials and secret configuration values wrapped in {@link Secret}.
 */
import { Secret } from './secrets.js';

export interface JobActionTypeId {
  readonly owner: string;
  readonly category: string;
  readonly provider: string;
  readonly version: string;
}

export interface PipelineContext {
  readonly pipelineName?: string;
  readonly pipelineArn?: string;
  readonly pipelineExecutionId?: string;
  readonly stageName?: string;
  readonly actionName?: string;
  readonly actionExecutionId?: string;
}

export interface Artifact {
  readonly name: string;
  readonly revision?: string;
  readonly bucketName?: string;
  readonly objectKey?: string;
}

export interface ArtifactCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
}

/** A job, parsed and redacted. The same object flows through claim, processor and report. */
export interface Job {
  readonly id: string;
  readonly nonce: string;
  readonly accountId: string;
  readonly actionTypeId: JobActionTypeId;
  /** Configuration properties that are not secret. */
  readonly configuration: Readonly<Record<string, string>>;
  /** Configuration properties declared secret, wrapped. */
  readonly secrets: Readonly<Record<string, Secret<string>>>;
  readonly pipelineContext: PipelineContext;
  readonly inputArtifacts: readonly Artifact[];
  readonly outputArtifacts: readonly Artifact[];
  readonly artifactCredentials?: Secret<ArtifactCredentials>;
  readonly encryptionKey?: { readonly id: string; readonly type: string };
  readonly continuationToken?: string;
}

/** Raised when the service hands out a job the worker cannot even identify. */
export class MalformedJobError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedJobError';
  }
}

type Loose = Record<string, unknown>;

function record(value: unknown): Loose {
  return typeof value === 'object' && value !== null ? (value as Loose) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function parseArtifacts(value: unknown): Artifact[] {
  if (!Array.isArray(value)) return [];
  return value.map((item) => {
    const artifact = record(item);
    const s3 = record(record(artifact.location).s3Location);
    return {
      name: text(artifact.name) ?? '',
      revision: text(artifact.revision),
      bucketName: text(s3.bucketName),
      objectKey: text(s3.objectKey),
    };
  });
}

function parseCredentials(value: unknown): Secret<ArtifactCredentials> | undefined {
  const creds = record(value);
  const accessKeyId = text(creds.accessKeyId);
  const secretAccessKey = text(creds.secretAccessKey);
  const sessionToken = text(creds.sessionToken);
  if (!accessKeyId || !secretAccessKey || !sessionToken) return undefined;
  return new Secret({ accessKeyId, secretAccessKey, sessionToken });
}

/**
 * Parses the service's job (`{id, nonce, accountId, data}`) into a {@link Job}.
 *
 * @param raw - a `Job` from PollForJobs, or `JobDetails` plus the nonce from the ledger
 * @param secretKeys - configuration properties whose values are secret
 * @throws MalformedJobError when the id or nonce is missing
 */
export function parseJob(raw: unknown, secretKeys: ReadonlySet<string>): Job {
  const job = record(raw);
  const id = text(job.id);
  const nonce = text(job.nonce);
  if (!id || !nonce) throw new MalformedJobError('job without an id or a nonce');
  const data = record(job.data);
  const type = record(data.actionTypeId);
  const context = record(data.pipelineContext);
  const configuration: Record<string, string> = {};
  const secrets: Record<string, Secret<string>> = {};
  for (const [key, value] of Object.entries(
    record(record(data.actionConfiguration).configuration),
  )) {
    if (typeof value !== 'string') continue;
    if (secretKeys.has(key)) secrets[key] = new Secret(value);
    else configuration[key] = value;
  }
  const encryptionKey = record(data.encryptionKey);
  const keyId = text(encryptionKey.id);
  return {
    id,
    nonce,
    accountId: text(job.accountId) ?? '',
    actionTypeId: {
      owner: text(type.owner) ?? '',
      category: text(type.category) ?? '',
      provider: text(type.provider) ?? '',
      version: text(type.version) ?? '',
    },
    configuration,
    secrets,
    pipelineContext: {
      pipelineName: text(context.pipelineName),
      pipelineArn: text(context.pipelineArn),
      pipelineExecutionId: text(context.pipelineExecutionId),
      stageName: text(record(context.stage).name),
      actionName: text(record(context.action).name),
      actionExecutionId: text(record(context.action).actionExecutionId),
    },
    inputArtifacts: parseArtifacts(data.inputArtifacts),
    outputArtifacts: parseArtifacts(data.outputArtifacts),
    artifactCredentials: parseCredentials(data.artifactCredentials),
    encryptionKey: keyId ? { id: keyId, type: text(encryptionKey.type) ?? 'KMS' } : undefined,
    continuationToken: text(data.continuationToken),
  };
}

/** Every secret value the job carries, for the scrubber. */
export function secretValues(job: Job): string[] {
  const values = Object.values(job.secrets).map((secret) => secret.reveal());
  const creds = job.artifactCredentials?.reveal();
  if (creds) values.push(creds.accessKeyId, creds.secretAccessKey, creds.sessionToken);
  return values;
}

/** The keys every log line about this job carries. */
export function jobLogKeys(job: Job): { jobId: string; actionExecutionId?: string } {
  return { jobId: job.id, actionExecutionId: job.pipelineContext.actionExecutionId };
}
