import type { ActionTypeRegistry } from './action-type-registry.js';
import { parseCustomActionTypeInput, queryableProperty } from './action-types.js';
import type { FaultInjector, Stats } from './faults.js';
import { checkInput, type OperationInputs } from './input-model.js';
import type { JobStore } from './job-store.js';
import { ApiError, apiErrors } from './protocol.js';
import type { ActionType, Operation } from './types.js';
import type { JsonObject } from './validation.js';

export interface OperationContext {
  registry: ActionTypeRegistry;
  store: JobStore;
  faults: FaultInjector;
  stats: Stats;
}

type Handler = (ctx: OperationContext, body: JsonObject) => unknown;

const LIST_PAGE_SIZE = 50;

/** The request fields other than `jobId`, as recorded in the job's history. */
function requestOf(body: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(body).filter(([key]) => key !== 'jobId'));
}

type JobOperation =
  | 'AcknowledgeJob'
  | 'PutJobSuccessResult'
  | 'PutJobFailureResult'
  | 'GetJobDetails';

/**
 * Validates a job call against the model, then `rules` (service rules beyond the model),
 * recording a refused call on the job when the job id names one.
 */
function validateJobCall<O extends JobOperation>(
  ctx: OperationContext,
  operation: O,
  body: JsonObject,
  rules: (input: OperationInputs[O]) => void = () => {},
): OperationInputs[O] {
  try {
    const input = checkInput(operation, body);
    rules(input);
    return input;
  } catch (error) {
    if (error instanceof ApiError) {
      const jobId = typeof body.jobId === 'string' ? body.jobId : undefined;
      ctx.store.recordRejected(jobId, operation, error.type, requestOf(body));
    }
    throw error;
  }
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
  const { actionTypeId: id, maxBatchSize, queryParam } = checkInput('PollForJobs', body);
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
  const filter = queryFilter(actionType, queryParam ?? undefined);
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
  const { jobId, nonce } = validateJobCall(ctx, 'AcknowledgeJob', body);
  return { status: ctx.store.acknowledge(jobId, nonce) };
};

/** A service rule the model cannot express: variables belong to the final result only. */
function checkOutputVariablesRule(input: OperationInputs['PutJobSuccessResult']): void {
  if (input.outputVariables != null && input.continuationToken != null) {
    throw apiErrors.validation(
      'outputVariables can only be set on a result without a continuationToken',
    );
  }
}

const putJobSuccessResult: Handler = (ctx, body) => {
  const input = validateJobCall(ctx, 'PutJobSuccessResult', body, checkOutputVariablesRule);
  const bytes = Object.entries(input.outputVariables ?? {}).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value),
    0,
  );
  ctx.store.succeed(input.jobId, requestOf(body) as { continuationToken?: string }, bytes);
  return {};
};

const putJobFailureResult: Handler = (ctx, body) => {
  const { jobId } = validateJobCall(ctx, 'PutJobFailureResult', body);
  ctx.store.fail(jobId, requestOf(body));
  return {};
};

const getJobDetails: Handler = (ctx, body) => {
  const { jobId } = validateJobCall(ctx, 'GetJobDetails', body);
  return { jobDetails: ctx.store.details(jobId) };
};

const createCustomActionType: Handler = (ctx, body) => {
  const { actionType, tags } = ctx.registry.create(parseCustomActionTypeInput(body));
  return tags.length > 0 ? { actionType, tags } : { actionType };
};

const deleteCustomActionType: Handler = (ctx, body) => {
  const { category, provider, version } = checkInput('DeleteCustomActionType', body);
  ctx.registry.delete({ category, owner: 'Custom', provider, version });
  return {};
};

const listActionTypes: Handler = (ctx, body) => {
  // regionFilter is checked against the model and otherwise ignored: the emulator is one
  // region, and AWS documents no behaviour for other regions' action types.
  const input = checkInput('ListActionTypes', body);
  const owner = input.actionOwnerFilter ?? undefined;
  const all = ctx.registry.list(owner);
  const start = input.nextToken == null ? 0 : decodeToken(input.nextToken, owner);
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
