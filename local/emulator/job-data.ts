import { randomUUID } from 'node:crypto';
import type { ActionTypeRegistry } from './action-type-registry.js';
import { configurationProblems, readActionTypeId } from './action-types.js';
import { ApiError, EmulatorInputError } from './protocol.js';
import { shortId } from './random.js';
import type { ActionType, Artifact, EncryptionKey, JobTemplate, PipelineContext } from './types.js';
import {
  asArray,
  asObject,
  asString,
  asStringMap,
  type JsonObject,
  matches,
} from './validation.js';

/** What a test (or the admin API) gives to create a job; everything but the type is optional. */
export interface EnqueueJobInput {
  actionTypeId: ActionType['id'];
  configuration?: Record<string, string>;
  inputArtifacts?: Array<{ name: string; revision?: string; location?: Artifact['location'] }>;
  outputArtifacts?: Array<{ name: string; revision?: string; location?: Artifact['location'] }>;
  continuationToken?: string;
  pipelineContext?: {
    pipelineName?: string;
    stage?: { name?: string };
    action?: { name?: string; actionExecutionId?: string };
    pipelineArn?: string;
    pipelineExecutionId?: string;
  };
  /** `null` sends no encryptionKey; default is the AWS-managed S3 key. */
  encryptionKey?: EncryptionKey | null;
}

export interface AccountContext {
  accountId: string;
  region: string;
}

function inputError(error: unknown): never {
  if (error instanceof ApiError) throw new EmulatorInputError(error.message);
  throw error;
}

function buildPipelineContext(
  raw: JsonObject,
  type: ActionType,
  account: AccountContext,
): PipelineContext {
  const stage = asObject(raw.stage, 'pipelineContext.stage') ?? {};
  const action = asObject(raw.action, 'pipelineContext.action') ?? {};
  const pipelineName = asString(raw.pipelineName, 'pipelineContext.pipelineName') ?? 'emulator';
  return {
    pipelineName,
    stage: { name: asString(stage.name, 'stage.name') ?? type.id.category },
    action: {
      name: asString(action.name, 'action.name') ?? type.id.provider,
      actionExecutionId:
        asString(action.actionExecutionId, 'action.actionExecutionId') ?? randomUUID(),
    },
    pipelineArn:
      asString(raw.pipelineArn, 'pipelineContext.pipelineArn') ??
      `arn:aws:codepipeline:${account.region}:${account.accountId}:${pipelineName}`,
    pipelineExecutionId:
      asString(raw.pipelineExecutionId, 'pipelineContext.pipelineExecutionId') ?? randomUUID(),
  };
}

function buildArtifacts(
  raw: unknown[] | undefined,
  details: ActionType['inputArtifactDetails'],
  kind: 'input' | 'output',
  context: { pipelineName: string; prefix: string; account: AccountContext },
): Artifact[] {
  const defaults = Array.from({ length: details.minimumCount }, (_, i) => ({
    name: `${context.prefix}${i === 0 ? '' : i + 1}`,
  }));
  const list = (raw ?? defaults).map(
    (item, i) => asObject(item, `${kind}Artifacts.${i + 1}`) ?? {},
  );
  if (list.length < details.minimumCount || list.length > details.maximumCount) {
    throw new EmulatorInputError(
      `${kind}Artifacts: the action type takes ${details.minimumCount}-${details.maximumCount} ${kind} artifacts, got ${list.length}`,
    );
  }
  return list.map((item) => {
    const name = asString(item.name, `${kind}Artifacts.name`) ?? '';
    if (!matches('[a-zA-Z0-9_\\-]{1,100}', name)) {
      throw new EmulatorInputError(
        `${kind} artifact name '${name}' must be 1-100 of [a-zA-Z0-9_-]`,
      );
    }
    const bucketName = `codepipeline-${context.account.region}-${context.account.accountId}`;
    const objectKey = `${context.pipelineName.slice(0, 20)}/${name.slice(0, 20)}/${shortId()}`;
    const location = (asObject(item.location, 'location') as Artifact['location'] | undefined) ?? {
      type: 'S3' as const,
      s3Location: { bucketName, objectKey },
    };
    const revision =
      asString(item.revision, `${kind}Artifacts.revision`) ??
      (kind === 'input' ? shortId(32) : undefined);
    return revision === undefined ? { name, location } : { name, revision, location };
  });
}

/**
 * Validates a job request against the registered action type and fills every field the
 * service would send. Throws EmulatorInputError (HTTP 400/404 on the admin API).
 */
export function buildJobTemplate(
  registry: ActionTypeRegistry,
  input: unknown,
  account: AccountContext,
): { actionType: ActionType; template: JobTemplate } {
  try {
    const body = asObject(input, 'body') ?? {};
    const actionType = registry.get(readActionTypeId(body, 'actionTypeId'));
    if (actionType?.id.owner !== 'Custom') {
      throw new EmulatorInputError('actionTypeId: no such custom action type', 404);
    }
    const configuration = asStringMap(body.configuration, 'configuration') ?? {};
    const problems = configurationProblems(actionType, configuration);
    if (problems.length > 0) throw new EmulatorInputError(`configuration: ${problems.join('; ')}`);
    const token = asString(body.continuationToken, 'continuationToken');
    if (token !== undefined && (token.length < 1 || token.length > 2048)) {
      throw new EmulatorInputError('continuationToken must be 1-2048 characters');
    }
    const pipelineContext = buildPipelineContext(
      asObject(body.pipelineContext, 'pipelineContext') ?? {},
      actionType,
      account,
    );
    const artifactContext = { pipelineName: pipelineContext.pipelineName, account };
    const template: JobTemplate = {
      actionTypeId: actionType.id,
      actionConfiguration: { configuration },
      pipelineContext,
      inputArtifacts: buildArtifacts(
        asArray(body.inputArtifacts, 'inputArtifacts'),
        actionType.inputArtifactDetails,
        'input',
        { ...artifactContext, prefix: 'SourceArtifact' },
      ),
      outputArtifacts: buildArtifacts(
        asArray(body.outputArtifacts, 'outputArtifacts'),
        actionType.outputArtifactDetails,
        'output',
        { ...artifactContext, prefix: `${actionType.id.category}Artifact` },
      ),
    };
    if (token !== undefined) template.continuationToken = token;
    const key = body.encryptionKey === undefined ? defaultKey(account) : body.encryptionKey;
    if (key !== null) template.encryptionKey = key as EncryptionKey;
    return { actionType, template };
  } catch (error) {
    return inputError(error);
  }
}

function defaultKey(account: AccountContext): EncryptionKey {
  return { id: `arn:aws:kms:${account.region}:${account.accountId}:alias/aws/s3`, type: 'KMS' };
}

/** The values of the configuration properties the action type declares `secret`. */
export function secretConfigurationValues(type: ActionType, template: JobTemplate): string[] {
  const configuration = template.actionConfiguration.configuration;
  return (type.actionConfigurationProperties ?? [])
    .filter((p) => p.secret)
    .map((p) => configuration[p.name])
    .filter((value): value is string => value !== undefined);
}
