import type { ActionTypeRegistry } from './action-type-registry.js';
import {
  CATEGORY_RULE,
  PROVIDER_RULE,
  parseCustomActionTypeInput,
  queryableProperty,
  readActionTypeId,
  VERSION_RULE,
} from './action-types.js';
import type { FaultInjector, Stats } from './faults.js';
import type { JobStore } from './job-store.js';
import { ApiError, apiErrors } from './protocol.js';
import { ACTION_OWNERS, type ActionType, FAILURE_TYPES, type Operation } from './types.js';
import {
  asStringMap,
  asTimestamp,
  checkStringMap,
  type JsonObject,
  readInteger,
  readObject,
  readString,
  Violations,
} from './validation.js';

export interface OperationContext {
  registry: ActionTypeRegistry;
  store: JobStore;
  faults: FaultInjector;
  stats: Stats;
}

type Handler = (ctx: OperationContext, body: JsonObject) => unknown;

const JOB_ID_RULE = {
  required: true,
  pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
};
const LIST_PAGE_SIZE = 50;

/** The request fields other than `jobId`, as recorded in the job's history. */
function requestOf(body: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'jobId'));
}

/** Validates, recording a refused call on the job when the job id is known. */
function validateJobCall(
  ctx: OperationContext,
  operation: string,
  body: JsonObject,
  check: (v: Violations) => void,
): string {
  const v = new Violations();
  const jobId = readString(v, body, 'jobId', 'jobId', JOB_ID_RULE);
  try {
    check(v);
    v.throwIfAny();
  } catch (error) {
    if (error instanceof ApiError) {
      ctx.store.recordRejected(jobId, operation, error.type, requestOf(body));
    }
    throw error;
  }
  return jobId ?? '';
}

function queryFilter(type: ActionType, queryParam: Record<string, string> | undefined) {
  const property = queryableProperty(type);
  const [entry] = Object.entries(queryParam ?? {});
  if (property === undefined) {
    if (entry === undefined) return undefined;
    throw apiErrors.validation(
      'The action type has no queryable property: queryParam must be null or an empty map',
    );
  }
  if (entry === undefined || entry[0] !== property.name) {
    throw apiErrors.validation(
      `The action type has the queryable property '${property.name}': queryParam must map it to a value`,
    );
  }
  return { key: entry[0], value: entry[1] };
}

const pollForJobs: Handler = (ctx, body) => {
  const v = new Violations();
  const id = readActionTypeId(v, body, 'actionTypeId', 'actionTypeId');
  const maxBatchSize = readInteger(v, body, 'maxBatchSize', 'maxBatchSize', { min: 1 });
  const queryParam = asStringMap(body.queryParam, 'queryParam');
  if (queryParam !== undefined) {
    checkStringMap(v, 'queryParam', queryParam, {
      maxEntries: 1,
      key: { min: 1, max: 50 },
      value: { min: 1, max: 50, pattern: '[a-zA-Z0-9_-]+' },
    });
  }
  v.throwIfAny();
  if (id === undefined) throw apiErrors.validation('actionTypeId is required');
  if (id.owner !== 'Custom') {
    throw apiErrors.validation(
      `PollForJobs is valid only for action types with "Custom" in the owner field, not "${id.owner}"`,
    );
  }
  const actionType = ctx.registry.get(id);
  if (actionType === undefined) {
    throw apiErrors.actionTypeNotFound(
      `Action type ${id.category}/${id.owner}/${id.provider}/${id.version} does not exist`,
    );
  }
  const filter = queryFilter(actionType, queryParam);
  const jobs = ctx.store.poll({
    actionType,
    maxBatchSize: maxBatchSize ?? 1,
    ...(filter ? { filter } : {}),
    duplicate: () => ctx.faults.drawDuplicate('PollForJobs'),
    onDuplicate: () => ctx.stats.fault('PollForJobs', 'duplicateDispatch'),
  });
  return { jobs };
};

const acknowledgeJob: Handler = (ctx, body) => {
  let nonce: string | undefined;
  const jobId = validateJobCall(ctx, 'AcknowledgeJob', body, (v) => {
    nonce = readString(v, body, 'nonce', 'nonce', { required: true, min: 1, max: 50 });
  });
  return { status: ctx.store.acknowledge(jobId, nonce ?? '') };
};

function checkSuccess(v: Violations, body: JsonObject): void {
  const revision = readObject(v, body, 'currentRevision', 'currentRevision', false);
  if (revision !== undefined) {
    const r = (name: string, rule: { required?: boolean; min: number; max: number }) =>
      readString(v, revision, name, `currentRevision.${name}`, rule);
    r('revision', { required: true, min: 1, max: 1500 });
    r('changeIdentifier', { required: true, min: 1, max: 100 });
    r('revisionSummary', { min: 1, max: 2048 });
    asTimestamp(revision.created, 'currentRevision.created');
  }
  readString(v, body, 'continuationToken', 'continuationToken', { min: 1, max: 2048 });
  const details = readObject(v, body, 'executionDetails', 'executionDetails', false);
  if (details !== undefined) {
    readString(v, details, 'summary', 'executionDetails.summary', { min: 1, max: 2048 });
    readString(v, details, 'externalExecutionId', 'executionDetails.externalExecutionId', {
      min: 1,
      max: 1500,
    });
    readInteger(v, details, 'percentComplete', 'executionDetails.percentComplete', {
      min: 0,
      max: 100,
    });
  }
  const variables = asStringMap(body.outputVariables, 'outputVariables');
  if (variables !== undefined) {
    checkStringMap(v, 'outputVariables', variables, { key: { pattern: '[A-Za-z0-9@\\-_]+' } });
  }
  v.throwIfAny();
  if (variables !== undefined && body.continuationToken != null) {
    throw apiErrors.validation(
      'outputVariables can only be set on a result without a continuationToken',
    );
  }
}

const putJobSuccessResult: Handler = (ctx, body) => {
  const jobId = validateJobCall(ctx, 'PutJobSuccessResult', body, (v) => checkSuccess(v, body));
  const variables = asStringMap(body.outputVariables, 'outputVariables') ?? {};
  const bytes = Object.entries(variables).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  ctx.store.succeed(jobId, requestOf(body) as { continuationToken?: string }, bytes);
  return {};
};

const putJobFailureResult: Handler = (ctx, body) => {
  const jobId = validateJobCall(ctx, 'PutJobFailureResult', body, (v) => {
    const details = readObject(v, body, 'failureDetails', 'failureDetails', true);
    if (details === undefined) return;
    readString(v, details, 'type', 'failureDetails.type', { required: true, oneOf: FAILURE_TYPES });
    readString(v, details, 'message', 'failureDetails.message', {
      required: true,
      min: 1,
      max: 5000,
    });
    readString(v, details, 'externalExecutionId', 'failureDetails.externalExecutionId', {
      min: 1,
      max: 1500,
    });
  });
  ctx.store.fail(jobId, requestOf(body));
  return {};
};

const getJobDetails: Handler = (ctx, body) => {
  const jobId = validateJobCall(ctx, 'GetJobDetails', body, () => {});
  return { jobDetails: ctx.store.details(jobId) };
};

const createCustomActionType: Handler = (ctx, body) => {
  const { actionType, tags } = ctx.registry.create(parseCustomActionTypeInput(body));
  return tags.length > 0 ? { actionType, tags } : { actionType };
};

const deleteCustomActionType: Handler = (ctx, body) => {
  const v = new Violations();
  const category = readString(v, body, 'category', 'category', CATEGORY_RULE);
  const provider = readString(v, body, 'provider', 'provider', PROVIDER_RULE);
  const version = readString(v, body, 'version', 'version', VERSION_RULE);
  v.throwIfAny();
  const id = { category, owner: 'Custom', provider, version } as ActionType['id'];
  ctx.registry.delete(id);
  return {};
};

const listActionTypes: Handler = (ctx, body) => {
  const v = new Violations();
  const owner = readString(v, body, 'actionOwnerFilter', 'actionOwnerFilter', {
    oneOf: ACTION_OWNERS,
  });
  const nextToken = readString(v, body, 'nextToken', 'nextToken', { min: 1, max: 2048 });
  // regionFilter is accepted and ignored: the emulator is one region, and the notes give no rule.
  readString(v, body, 'regionFilter', 'regionFilter', {});
  v.throwIfAny();
  const all = ctx.registry.list(owner as ActionType['id']['owner'] | undefined);
  const start = nextToken === undefined ? 0 : decodeToken(nextToken, owner);
  const page = all.slice(start, start + LIST_PAGE_SIZE);
  const end = start + page.length;
  return end < all.length
    ? { actionTypes: page, nextToken: encodeToken(end, owner) }
    : { actionTypes: page };
};

function encodeToken(offset: number, owner: string | undefined): string {
  return Buffer.from(JSON.stringify({ offset, owner: owner ?? null })).toString('base64url');
}

function decodeToken(token: string, owner: string | undefined): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    const { offset, owner: tokenOwner } = parsed as { offset?: unknown; owner?: unknown };
    if (Number.isInteger(offset) && (offset as number) >= 0 && tokenOwner === (owner ?? null)) {
      return offset as number;
    }
  } catch {
    // Falls through to the error below: any undecodable token is invalid.
  }
  throw apiErrors.invalidNextToken();
}

export const HANDLERS: Record<Operation, Handler> = {
  PollForJobs: pollForJobs,
  AcknowledgeJob: acknowledgeJob,
  PutJobSuccessResult: putJobSuccessResult,
  PutJobFailureResult: putJobFailureResult,
  GetJobDetails: getJobDetails,
  CreateCustomActionType: createCustomActionType,
  DeleteCustomActionType: deleteCustomActionType,
  ListActionTypes: listActionTypes,
};
