import { actionTypeKey, MAX_CUSTOM_ACTION_TYPES } from './action-types.js';
import { apiErrors } from './protocol.js';
import type {
  ActionCategory,
  ActionOwner,
  ActionType,
  ActionTypeId,
  CustomActionTypeInput,
  Tag,
} from './types.js';

interface Entry {
  actionType: ActionType;
  tags: Tag[];
  deleted: boolean;
}

/** A few AWS-owned action types, so ListActionTypes and owner checks look like the service. */
const BUILT_IN: Array<[ActionCategory, string, number, number]> = [
  ['Source', 'S3', 0, 1],
  ['Build', 'CodeBuild', 1, 5],
  ['Deploy', 'S3', 1, 1],
  ['Invoke', 'Lambda', 0, 5],
  ['Approval', 'Manual', 0, 0],
];

function builtIn([category, provider, inputs, outputs]: (typeof BUILT_IN)[number]): ActionType {
  return {
    id: { category, owner: 'AWS', provider, version: '1' },
    actionConfigurationProperties: [],
    inputArtifactDetails: { minimumCount: inputs, maximumCount: inputs === 0 ? 0 : 5 },
    outputArtifactDetails: { minimumCount: 0, maximumCount: outputs },
  };
}

/** The account's action types: AWS built-ins plus the custom ones created through the API. */
export class ActionTypeRegistry {
  private readonly entries = new Map<string, Entry>();

  constructor() {
    this.reset();
  }

  /** Forgets every custom action type, deleted ones included. */
  reset(): void {
    this.entries.clear();
    for (const row of BUILT_IN) {
      const actionType = builtIn(row);
      this.entries.set(actionTypeKey(actionType.id), { actionType, tags: [], deleted: false });
    }
  }

  /**
   * Creates a custom action type. Re-creating an identical definition succeeds (and restores
   * a deleted one, as AWS documents); a different definition under a used version is refused.
   */
  create(input: CustomActionTypeInput): { actionType: ActionType; tags: Tag[] } {
    const actionType: ActionType = {
      id: {
        category: input.category,
        owner: 'Custom',
        provider: input.provider,
        version: input.version,
      },
      ...(input.settings ? { settings: input.settings } : {}),
      actionConfigurationProperties: input.configurationProperties ?? [],
      inputArtifactDetails: input.inputArtifactDetails,
      outputArtifactDetails: input.outputArtifactDetails,
    };
    const key = actionTypeKey(actionType.id);
    const existing = this.entries.get(key);
    if (existing !== undefined) {
      if (JSON.stringify(existing.actionType) !== JSON.stringify(actionType)) {
        throw apiErrors.validation(
          `Action type ${key} already exists${existing.deleted ? ' (deleted)' : ''} with a different definition; a version can never be reused`,
        );
      }
    } else if (this.liveCustomCount() >= MAX_CUSTOM_ACTION_TYPES) {
      throw apiErrors.limitExceeded(
        `The account already has ${MAX_CUSTOM_ACTION_TYPES} custom action types`,
      );
    }
    const entry = { actionType, tags: input.tags ?? existing?.tags ?? [], deleted: false };
    this.entries.set(key, entry);
    return { actionType, tags: entry.tags };
  }

  /** Marks a custom action type deleted: polling it fails from now on. */
  delete(id: ActionTypeId): void {
    const entry = this.entries.get(actionTypeKey(id));
    if (entry === undefined || entry.deleted) {
      throw apiErrors.actionTypeNotFound(`Action type ${actionTypeKey(id)} does not exist`);
    }
    entry.deleted = true;
  }

  /** A live (not deleted) action type. */
  get(id: ActionTypeId): ActionType | undefined {
    const entry = this.entries.get(actionTypeKey(id));
    return entry && !entry.deleted ? entry.actionType : undefined;
  }

  list(owner?: ActionOwner): ActionType[] {
    return [...this.entries.values()]
      .filter((e) => !e.deleted && (owner === undefined || e.actionType.id.owner === owner))
      .map((e) => e.actionType);
  }

  private liveCustomCount(): number {
    return this.list('Custom').length;
  }
}
