/**
 * The input shapes of the operations the emulator serves, with every constraint the
 * CodePipeline service model (`codepipeline` 2015-07-09) puts on them: required members,
 * lengths, patterns, enums, ranges, list and map sizes. Written by hand, because no installed
 * package ships those traits: the AWS SDK's schemas carry member names, types and required
 * members only, and its enums as separate objects. `test/emulator/input-model.test.ts` checks
 * this table against both and generates its constraint cases from it.
 *
 * Shape names are the model's, so a row can be looked up in the model or the API reference.
 */
import {
  ACTION_CATEGORIES,
  ACTION_OWNERS,
  type ActionTypeId as ActionTypeIdValue,
  type ActionTypeSettings,
  type ArtifactDetails as ArtifactCounts,
  type ActionCategory as Category,
  FAILURE_TYPES,
  type Operation,
  type ActionOwner as Owner,
  PROPERTY_TYPES,
  type PropertyType,
  type Tag,
} from './types.js';
import { type JsonObject, validateStructure } from './validation.js';

/** A string member: length bounds, a pattern or an enum. */
export interface StringShape {
  readonly type: 'string';
  readonly name: string;
  /** Length bounds, in characters. */
  readonly min?: number;
  readonly max?: number;
  /** A model pattern; the whole value must match it (see `matches` in validation.ts). */
  readonly pattern?: string;
  readonly enum?: readonly string[];
}

/** An integer member and its range. */
export interface IntegerShape {
  readonly type: 'integer';
  readonly name: string;
  readonly min?: number;
  readonly max?: number;
}

/** A boolean member (no constraint but its JSON type). */
export interface BooleanShape {
  readonly type: 'boolean';
  readonly name: string;
}

/** A timestamp member: epoch seconds on the wire (AWS JSON 1.1). */
export interface TimestampShape {
  readonly type: 'timestamp';
  readonly name: string;
}

/** A structure: its members and which of them are required. */
export interface StructureShape {
  readonly type: 'structure';
  readonly name: string;
  /** In the model's order, which is also the order violations are reported in. */
  readonly members: Readonly<Record<string, Shape>>;
  readonly required: readonly string[];
}

/** A list: its element shape and how many elements it may have. */
export interface ListShape {
  readonly type: 'list';
  readonly name: string;
  readonly member: Shape;
  /** Bounds on the number of elements. */
  readonly min?: number;
  readonly max?: number;
}

/** A map of strings to strings (the only maps of the served inputs) and its entry count. */
export interface MapShape {
  readonly type: 'map';
  readonly name: string;
  readonly key: StringShape;
  readonly value: StringShape;
  /** Bounds on the number of entries. */
  readonly min?: number;
  readonly max?: number;
}

/** Any shape of the served inputs. */
export type Shape =
  | StringShape
  | IntegerShape
  | BooleanShape
  | TimestampShape
  | StructureShape
  | ListShape
  | MapShape;

const Flag: BooleanShape = { type: 'boolean', name: 'Boolean' };

const ActionCategory: StringShape = {
  type: 'string',
  name: 'ActionCategory',
  enum: ACTION_CATEGORIES,
};
const ActionOwner: StringShape = { type: 'string', name: 'ActionOwner', enum: ACTION_OWNERS };
const ActionProvider: StringShape = {
  type: 'string',
  name: 'ActionProvider',
  min: 1,
  max: 35,
  pattern: '[0-9A-Za-z_-]+',
};
const Version: StringShape = {
  type: 'string',
  name: 'Version',
  min: 1,
  max: 9,
  pattern: '[0-9A-Za-z_-]+',
};

const ActionConfigurationKey: StringShape = {
  type: 'string',
  name: 'ActionConfigurationKey',
  min: 1,
  max: 50,
};

/** Also what the admin API's job requests are checked against. */
export const ActionTypeId: StructureShape = {
  type: 'structure',
  name: 'ActionTypeId',
  members: {
    category: ActionCategory,
    owner: ActionOwner,
    provider: ActionProvider,
    version: Version,
  },
  required: ['category', 'owner', 'provider', 'version'],
};

const JobId: StringShape = {
  type: 'string',
  name: 'JobId',
  pattern: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
};

/** Shared by ExecutionDetails and FailureDetails. */
const ExecutionId: StringShape = { type: 'string', name: 'ExecutionId', min: 1, max: 1500 };

const PollForJobsInput: StructureShape = {
  type: 'structure',
  name: 'PollForJobsInput',
  members: {
    actionTypeId: ActionTypeId,
    // The model sets no maximum, and AWS documents none.
    maxBatchSize: { type: 'integer', name: 'MaxBatchSize', min: 1 },
    queryParam: {
      type: 'map',
      name: 'QueryParamMap',
      min: 0,
      max: 1,
      key: ActionConfigurationKey,
      value: {
        type: 'string',
        name: 'ActionConfigurationQueryableValue',
        min: 1,
        max: 50,
        pattern: '[a-zA-Z0-9_-]+',
      },
    },
  },
  required: ['actionTypeId'],
};

const AcknowledgeJobInput: StructureShape = {
  type: 'structure',
  name: 'AcknowledgeJobInput',
  members: { jobId: JobId, nonce: { type: 'string', name: 'Nonce', min: 1, max: 50 } },
  required: ['jobId', 'nonce'],
};

const PutJobSuccessResultInput: StructureShape = {
  type: 'structure',
  name: 'PutJobSuccessResultInput',
  members: {
    jobId: JobId,
    currentRevision: {
      type: 'structure',
      name: 'CurrentRevision',
      members: {
        revision: { type: 'string', name: 'Revision', min: 1, max: 1500 },
        changeIdentifier: { type: 'string', name: 'RevisionChangeIdentifier', min: 1, max: 100 },
        created: { type: 'timestamp', name: 'Time' },
        revisionSummary: { type: 'string', name: 'RevisionSummary', min: 1, max: 2048 },
      },
      required: ['revision', 'changeIdentifier'],
    },
    continuationToken: { type: 'string', name: 'ContinuationToken', min: 1, max: 2048 },
    executionDetails: {
      type: 'structure',
      name: 'ExecutionDetails',
      members: {
        summary: { type: 'string', name: 'ExecutionSummary', min: 1, max: 2048 },
        externalExecutionId: ExecutionId,
        percentComplete: { type: 'integer', name: 'Percentage', min: 0, max: 100 },
      },
      required: [],
    },
    // Only the keys are constrained; the 122,880-byte total is a service rule of its own
    // (OutputVariablesSizeExceededException), not a model trait.
    outputVariables: {
      type: 'map',
      name: 'OutputVariablesMap',
      key: { type: 'string', name: 'OutputVariablesKey', pattern: '[A-Za-z0-9@\\-_]+' },
      value: { type: 'string', name: 'OutputVariablesValue' },
    },
  },
  required: ['jobId'],
};

const PutJobFailureResultInput: StructureShape = {
  type: 'structure',
  name: 'PutJobFailureResultInput',
  members: {
    jobId: JobId,
    failureDetails: {
      type: 'structure',
      name: 'FailureDetails',
      members: {
        type: { type: 'string', name: 'FailureType', enum: FAILURE_TYPES },
        message: { type: 'string', name: 'Message', min: 1, max: 5000 },
        externalExecutionId: ExecutionId,
      },
      required: ['type', 'message'],
    },
  },
  required: ['jobId', 'failureDetails'],
};

const GetJobDetailsInput: StructureShape = {
  type: 'structure',
  name: 'GetJobDetailsInput',
  members: { jobId: JobId },
  required: ['jobId'],
};

const UrlTemplate: StringShape = { type: 'string', name: 'UrlTemplate', min: 1, max: 2048 };

const ArtifactDetails: StructureShape = {
  type: 'structure',
  name: 'ArtifactDetails',
  members: {
    minimumCount: { type: 'integer', name: 'MinimumArtifactCount', min: 0, max: 5 },
    maximumCount: { type: 'integer', name: 'MaximumArtifactCount', min: 0, max: 5 },
  },
  required: ['minimumCount', 'maximumCount'],
};

const CreateCustomActionTypeInput: StructureShape = {
  type: 'structure',
  name: 'CreateCustomActionTypeInput',
  members: {
    category: ActionCategory,
    provider: ActionProvider,
    version: Version,
    settings: {
      type: 'structure',
      name: 'ActionTypeSettings',
      members: {
        thirdPartyConfigurationUrl: { type: 'string', name: 'Url', min: 1, max: 2048 },
        entityUrlTemplate: UrlTemplate,
        executionUrlTemplate: UrlTemplate,
        revisionUrlTemplate: UrlTemplate,
      },
      required: [],
    },
    configurationProperties: {
      type: 'list',
      name: 'ActionConfigurationPropertyList',
      max: 10,
      member: {
        type: 'structure',
        name: 'ActionConfigurationProperty',
        members: {
          name: ActionConfigurationKey,
          required: Flag,
          key: Flag,
          secret: Flag,
          queryable: Flag,
          description: { type: 'string', name: 'Description', min: 1, max: 160 },
          type: { type: 'string', name: 'ActionConfigurationPropertyType', enum: PROPERTY_TYPES },
        },
        required: ['name', 'required', 'key', 'secret'],
      },
    },
    inputArtifactDetails: ArtifactDetails,
    outputArtifactDetails: ArtifactDetails,
    // The model bounds neither the list nor the tag count; AWS documents no per-call limit
    // (TooManyTagsException exists but its threshold is not published), so none is enforced.
    tags: {
      type: 'list',
      name: 'TagList',
      member: {
        type: 'structure',
        name: 'Tag',
        members: {
          key: { type: 'string', name: 'TagKey', min: 1, max: 128 },
          value: { type: 'string', name: 'TagValue', min: 0, max: 256 },
        },
        required: ['key', 'value'],
      },
    },
  },
  required: ['category', 'provider', 'version', 'inputArtifactDetails', 'outputArtifactDetails'],
};

const DeleteCustomActionTypeInput: StructureShape = {
  type: 'structure',
  name: 'DeleteCustomActionTypeInput',
  members: { category: ActionCategory, provider: ActionProvider, version: Version },
  required: ['category', 'provider', 'version'],
};

const ListActionTypesInput: StructureShape = {
  type: 'structure',
  name: 'ListActionTypesInput',
  members: {
    actionOwnerFilter: ActionOwner,
    nextToken: { type: 'string', name: 'NextToken', min: 1, max: 2048 },
    regionFilter: { type: 'string', name: 'AWSRegionName', min: 4, max: 30 },
  },
  required: [],
};

/** The input structure of each served operation. */
export const INPUT_SHAPES: Readonly<Record<Operation, StructureShape>> = {
  PollForJobs: PollForJobsInput,
  AcknowledgeJob: AcknowledgeJobInput,
  PutJobSuccessResult: PutJobSuccessResultInput,
  PutJobFailureResult: PutJobFailureResultInput,
  GetJobDetails: GetJobDetailsInput,
  CreateCustomActionType: CreateCustomActionTypeInput,
  DeleteCustomActionType: DeleteCustomActionTypeInput,
  ListActionTypes: ListActionTypesInput,
};

/** JSON null reads as an absent member. */
type Maybe<T> = T | null | undefined;

/** A configuration property as CreateCustomActionType receives it. */
export interface ConfigurationPropertyBody {
  name: string;
  required: boolean;
  key: boolean;
  secret: boolean;
  queryable?: Maybe<boolean>;
  description?: Maybe<string>;
  type?: Maybe<PropertyType>;
}

/** A CreateCustomActionType body once it has passed `checkInput`. */
export interface CustomActionTypeBody {
  category: Category;
  provider: string;
  version: string;
  settings?: Maybe<{ [K in keyof ActionTypeSettings]?: Maybe<string> }>;
  configurationProperties?: Maybe<ConfigurationPropertyBody[]>;
  inputArtifactDetails: ArtifactCounts;
  outputArtifactDetails: ArtifactCounts;
  tags?: Maybe<Tag[]>;
}

/**
 * What a body is known to hold once `checkInput` has accepted it: the members the handlers
 * read, with the types the model guarantees.
 */
export interface OperationInputs {
  PollForJobs: {
    actionTypeId: ActionTypeIdValue;
    maxBatchSize?: Maybe<number>;
    queryParam?: Maybe<Record<string, string>>;
  };
  AcknowledgeJob: { jobId: string; nonce: string };
  PutJobSuccessResult: {
    jobId: string;
    continuationToken?: Maybe<string>;
    outputVariables?: Maybe<Record<string, string>>;
  };
  PutJobFailureResult: { jobId: string };
  GetJobDetails: { jobId: string };
  CreateCustomActionType: CustomActionTypeBody;
  DeleteCustomActionType: { category: Category; provider: string; version: string };
  ListActionTypes: { actionOwnerFilter?: Maybe<Owner>; nextToken?: Maybe<string> };
}

/**
 * Validates an operation's request body against its input shape.
 * @param operation - the served operation
 * @param body - the parsed JSON body
 * @returns the same body, typed as the model guarantees
 * @throws ApiError SerializationException or ValidationException
 */
export function checkInput<O extends Operation>(
  operation: O,
  body: JsonObject,
): OperationInputs[O] {
  validateStructure(INPUT_SHAPES[operation], body);
  return body as unknown as OperationInputs[O];
}
