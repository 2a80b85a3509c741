import { randomUUID } from 'node:crypto';
import type { ActionTypeRegistry } from './action-type-registry.js';
import { configurationProblems, readActionTypeId } from './action-types.js';
import { CONTENT_FIELDS, type InputSource, readInputSource } from './artifact-sources.js';
import { artifactBucketName, pipelineKey } from './artifact-store.js';
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

/**
 * An input artifact of a job to enqueue. With an artifact store, its contents are written
 * there before the job is queued: give at most one of `files`, `directory` and `zipBase64`
 * (none: an empty zip archive), or a `location` of an object you stored yourself.
 */
export interface InputArtifactInput {
  name: string;
  revision?: string;
  location?: Artifact['location'];
  /** Files of the archive: path in the archive (`/` separators) to UTF-8 contents. */
  files?: Record<string, string>;
  /** A local directory whose contents become the archive's root. */
  directory?: string;
  /** The object's bytes as they are (a zip archive, or anything else), base64. */
  zipBase64?: string;
}

/** What a test (or the admin API) gives to create a job; everything but the type is optional. */
export interface EnqueueJobInput {
  actionTypeId: ActionType['id'];
  configuration?: Record<string, string>;
  inputArtifacts?: InputArtifactInput[];
  outputArtifacts?: Array<{ name: string; revision?: string; location?: Artifact['location'] }>;
  continuationToken?: string;
  pipelineContext?: {
    pipelineName?: string;
    stage?: { name?: string };
    action?: { name?: string; actionExecutionId?: string };
    pipelineArn?: string;
    pipelineExecutionId?: string;
  };
  /**
   * `null` sends no encryptionKey. @default the pipeline's own KMS key ARN with an artifact
   * store, else the AWS-managed S3 key's alias ARN
   */
  encryptionKey?: EncryptionKey | null;
}

export interface AccountContext {
  accountId: string;
  region: string;
}

/** How jobs are built: for which account, and whether their artifacts live in a store. */
export interface JobDataContext extends AccountContext {
  /** Inputs are written to the artifact store; contents may be given. */
  artifactStore: boolean;
}

/** A job's data, and the contents to write for its inputs (by input name). */
export interface BuiltJob {
  actionType: ActionType;
  template: JobTemplate;
  /** Empty without an artifact store, and for inputs given by `location`. */
  inputSources: Map<string, InputSource>;
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
  context: {
    pipelineName: string;
    prefix: string;
    account: JobDataContext;
    sources: Map<string, InputSource>;
  },
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
  return list.map((item, i) => {
    const name = asString(item.name, `${kind}Artifacts.name`) ?? '';
    if (!matches('[a-zA-Z0-9_\\-]{1,100}', name)) {
      throw new EmulatorInputError(
        `${kind} artifact name '${name}' must be 1-100 of [a-zA-Z0-9_-]`,
      );
    }
    // Contents and read-back are found by name: with a store, a name must say which artifact.
    if (context.account.artifactStore && list.findIndex((other) => other.name === name) !== i) {
      throw new EmulatorInputError(`${kind} artifact name '${name}' is given twice`);
    }
    const source = readSource(item, kind, i, context);
    if (source) context.sources.set(name, source);
    const bucketName = artifactBucketName(context.account);
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
 * The contents to store for an artifact: what the item gives, an empty archive for an input
 * of a store-backed job that gives neither contents nor a location, else none.
 */
function readSource(
  item: JsonObject,
  kind: 'input' | 'output',
  index: number,
  context: { account: JobDataContext },
): InputSource | undefined {
  const where = `${kind}Artifacts.${index + 1}`;
  if (kind === 'output') {
    if (CONTENT_FIELDS.some((field) => item[field] !== undefined && item[field] !== null)) {
      throw new EmulatorInputError(
        `${where}: an output artifact is written by the job; give only its name (and location)`,
      );
    }
    return undefined;
  }
  const source = readInputSource(item, where);
  if (source && !context.account.artifactStore) {
    throw new EmulatorInputError(
      `${where}: contents (${CONTENT_FIELDS.join(', ')}) need an artifact store: start the emulator with artifactStore`,
    );
  }
  const located = item.location !== undefined && item.location !== null;
  if (source || !context.account.artifactStore || located) return source;
  return { kind: 'empty' };
}

/**
 * Validates a job request against the registered action type and fills every field the
 * service would send. Throws EmulatorInputError (HTTP 400/404 on the admin API).
 */
export function buildJobTemplate(
  registry: ActionTypeRegistry,
  input: unknown,
  account: JobDataContext,
): BuiltJob {
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
    const inputSources = new Map<string, InputSource>();
    const artifactContext = {
      pipelineName: pipelineContext.pipelineName,
      account,
      sources: inputSources,
    };
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
    const key =
      body.encryptionKey !== undefined
        ? body.encryptionKey
        : account.artifactStore
          ? pipelineKey(account, pipelineContext.pipelineName)
          : defaultKey(account);
    if (key !== null) template.encryptionKey = key as EncryptionKey;
    return { actionType, template, inputSources };
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
