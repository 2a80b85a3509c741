/**
 * Jobs for unit tests of a processor, exactly as the worker hands them over: a job shaped like
 * a `PollForJobs` answer, put through the worker's own parser, so secret properties and
 * artifact credentials arrive wrapped in `Secret` as they do in the function.
 */
import type { Artifact as SdkArtifact, Job as SdkJob } from '@aws-sdk/client-codepipeline';
import { parseJob } from '../../lambda/adapters/codepipeline-job.js';
import type { ActionCategory } from '../../lambda/contract.js';
import type { ArtifactCredentials, Job } from '../../lambda/job/job.js';

/** An artifact of a fixture job; bucket and key default to a plausible artifact store. */
export interface ArtifactFixture {
  readonly name: string;
  /** @default a fixed commit-like revision for inputs, none for outputs */
  readonly revision?: string;
  /** @default `codepipeline-us-east-1-123456789012` */
  readonly bucketName?: string;
  /** @default `<pipeline>/<artifact>/<random-like key>` */
  readonly objectKey?: string;
}

/** What to change in the default job; every field is optional. */
export interface JobFixtureOptions {
  /** @default 'c0ffee00-1111-4222-8333-444455556666' */
  readonly id?: string;
  /** @default '1' */
  readonly nonce?: string;
  /** @default '123456789012' */
  readonly accountId?: string;
  /** @default Custom/Test/MyAction/1 */
  readonly actionType?: {
    readonly category?: ActionCategory;
    readonly provider?: string;
    readonly version?: string;
  };
  /** Configuration properties that are not secret. @default {} */
  readonly configuration?: Readonly<Record<string, string>>;
  /**
   * Configuration properties declared `secret`: they reach the processor in `job.secrets`,
   * wrapped, as in the function. @default {}
   */
  readonly secrets?: Readonly<Record<string, string>>;
  /** @default pipeline `my-pipeline`, stage `Test`, action `MyAction`, fixed execution ids */
  readonly pipelineContext?: {
    readonly pipelineName?: string;
    readonly pipelineArn?: string;
    readonly pipelineExecutionId?: string;
    readonly stageName?: string;
    readonly actionName?: string;
    readonly actionExecutionId?: string;
  };
  /** @default one artifact, `SourceArtifact` */
  readonly inputArtifacts?: readonly ArtifactFixture[];
  /** @default none */
  readonly outputArtifacts?: readonly ArtifactFixture[];
  /** The artifact store credentials; `null` for a job without any. @default fixed fake ones */
  readonly artifactCredentials?: ArtifactCredentials | null;
  /** `null` for a job without one. @default the AWS-managed S3 key */
  readonly encryptionKey?: { readonly id: string; readonly type?: 'KMS' } | null;
  /** Set when the job continues an earlier one. @default none */
  readonly continuationToken?: string;
  /**
   * Epoch ms at which CodePipeline handed out the job's credentials: their age, which decides
   * when the artifact API refreshes them, is counted from it. Pass your fake clock's reading.
   * @default Date.now() (just polled, on the default clock of `processingContext`)
   */
  readonly credentialsIssuedAt?: number;
}

/** The fake artifact credentials of a default fixture job (never valid anywhere). */
export const FIXTURE_CREDENTIALS: ArtifactCredentials = {
  accessKeyId: 'ASIAFIXTUREEXAMPLE00',
  secretAccessKey: 'fixture/secret/access/key/EXAMPLE0000000000000',
  sessionToken: 'fixture-session-token-EXAMPLE',
};

const DEFAULT_ACCOUNT = '123456789012';
const DEFAULT_REGION = 'us-east-1';

/** The pipeline of a fixture job unless told otherwise. */
export const FIXTURE_PIPELINE_NAME = 'my-pipeline';
/** The input artifacts of a fixture job unless told otherwise. */
export const FIXTURE_INPUT_ARTIFACTS: readonly ArtifactFixture[] = [{ name: 'SourceArtifact' }];

/** An object key shaped as CodePipeline's: `<pipeline>/<artifact>/<suffix>`, names cut to 20. */
export function artifactObjectKey(pipelineName: string, artifactName: string, suffix: string) {
  return `${pipelineName.slice(0, 20)}/${artifactName.slice(0, 20)}/${suffix}`;
}

function sdkArtifact(
  artifact: ArtifactFixture,
  pipelineName: string,
  accountId: string,
  kind: 'input' | 'output',
): SdkArtifact {
  const revision =
    artifact.revision ??
    (kind === 'input' ? '4c6fd1f0b0c1a1e5d1e2f3a4b5c6d7e8f9a0b1c2' : undefined);
  return {
    name: artifact.name,
    ...(revision === undefined ? {} : { revision }),
    location: {
      type: 'S3',
      s3Location: {
        bucketName: artifact.bucketName ?? `codepipeline-${DEFAULT_REGION}-${accountId}`,
        objectKey: artifact.objectKey ?? artifactObjectKey(pipelineName, artifact.name, 'Fx7Kq2P'),
      },
    },
  };
}

/**
 * The job as the job worker hands it to `JobProcessor.process`: a `PollForJobs` job with
 * sensible defaults and your changes, parsed by the worker's own parser.
 *
 * @param options - what to change in the default job
 * @example
 * import { jobFixture, processingContext } from 'codepipeline-job-worker/testing';
 *
 * const job = jobFixture({
 *   configuration: { MaxSizeMB: '10' },
 *   secrets: { ScannerToken: 'token-for-tests' },
 *   inputArtifacts: [{ name: 'BuildOutput', objectKey: 'app/BuildOutpu/abc123' }],
 * });
 * job.secrets.ScannerToken?.reveal(); // 'token-for-tests'
 * String(job.secrets.ScannerToken);   // '[REDACTED]'
 */
export function jobFixture(options: JobFixtureOptions = {}): Job {
  const accountId = options.accountId ?? DEFAULT_ACCOUNT;
  const context = options.pipelineContext ?? {};
  const pipelineName = context.pipelineName ?? FIXTURE_PIPELINE_NAME;
  const type = options.actionType ?? {};
  const credentials =
    options.artifactCredentials === null
      ? undefined
      : (options.artifactCredentials ?? FIXTURE_CREDENTIALS);
  const key =
    options.encryptionKey === null
      ? undefined
      : (options.encryptionKey ?? {
          id: `arn:aws:kms:${DEFAULT_REGION}:${accountId}:alias/aws/s3`,
        });
  const raw: SdkJob = {
    id: options.id ?? 'c0ffee00-1111-4222-8333-444455556666',
    nonce: options.nonce ?? '1',
    accountId,
    data: {
      actionTypeId: {
        owner: 'Custom',
        category: type.category ?? 'Test',
        provider: type.provider ?? 'MyAction',
        version: type.version ?? '1',
      },
      actionConfiguration: {
        configuration: { ...options.configuration, ...options.secrets },
      },
      pipelineContext: {
        pipelineName,
        pipelineArn:
          context.pipelineArn ??
          `arn:aws:codepipeline:${DEFAULT_REGION}:${accountId}:${pipelineName}`,
        pipelineExecutionId: context.pipelineExecutionId ?? '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
        stage: { name: context.stageName ?? type.category ?? 'Test' },
        action: {
          name: context.actionName ?? type.provider ?? 'MyAction',
          actionExecutionId: context.actionExecutionId ?? 'e1d2c3b4-a5f6-4e7d-8c9b-0a1b2c3d4e5f',
        },
      },
      inputArtifacts: (options.inputArtifacts ?? FIXTURE_INPUT_ARTIFACTS).map((a) =>
        sdkArtifact(a, pipelineName, accountId, 'input'),
      ),
      outputArtifacts: (options.outputArtifacts ?? []).map((a) =>
        sdkArtifact(a, pipelineName, accountId, 'output'),
      ),
      ...(credentials ? { artifactCredentials: { ...credentials } } : {}),
      ...(key ? { encryptionKey: { id: key.id, type: key.type ?? 'KMS' } } : {}),
      ...(options.continuationToken === undefined
        ? {}
        : { continuationToken: options.continuationToken }),
    },
  };
  return parseJob(
    raw,
    new Set(Object.keys(options.secrets ?? {})),
    options.credentialsIssuedAt ?? Date.now(),
  );
}
