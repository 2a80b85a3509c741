import { randomUUID } from 'node:crypto';
import type { AccountContext } from './job-data.js';
import type { ActionTypeId, JobTemplate } from './types.js';

/** The detail-type of CodePipeline's action execution events on EventBridge. */
export const ACTION_EVENT_DETAIL_TYPE = 'CodePipeline Action Execution State Change';

/** The action execution states the emulator emits. */
export const ACTION_EVENT_STATES = [
  'STARTED',
  'SUCCEEDED',
  'FAILED',
  'ABANDONED',
  'CANCELED',
] as const;
export type ActionEventState = (typeof ACTION_EVENT_STATES)[number];

/** An action execution state change, in the shape EventBridge delivers it to a target. */
export interface ActionExecutionEvent {
  version: '0';
  id: string;
  'detail-type': typeof ACTION_EVENT_DETAIL_TYPE;
  source: 'aws.codepipeline';
  account: string;
  time: string;
  region: string;
  /** The pipeline's ARN. */
  resources: string[];
  detail: {
    pipeline: string;
    'execution-id': string;
    'action-execution-id': string;
    stage: string;
    action: string;
    state: ActionEventState;
    region: string;
    type: ActionTypeId;
    /** The pipeline's structure version: the emulator's pipelines have one, 1. */
    version: number;
  };
}

/** The event of `state` for the action execution a job belongs to, at `atMs`. */
export function actionExecutionEvent(
  template: JobTemplate,
  state: ActionEventState,
  atMs: number,
  account: AccountContext,
): ActionExecutionEvent {
  const context = template.pipelineContext;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': ACTION_EVENT_DETAIL_TYPE,
    source: 'aws.codepipeline',
    account: account.accountId,
    time: new Date(atMs).toISOString(),
    region: account.region,
    resources: [context.pipelineArn],
    detail: {
      pipeline: context.pipelineName,
      'execution-id': context.pipelineExecutionId,
      'action-execution-id': context.action.actionExecutionId,
      stage: context.stage.name,
      action: context.action.name,
      state,
      region: account.region,
      type: { ...template.actionTypeId },
      version: 1,
    },
  };
}

/** Every action execution event emitted, in order, and who listens for the next ones. */
export class ActionEventLog {
  private readonly log: ActionExecutionEvent[] = [];
  private readonly listeners = new Set<(event: ActionExecutionEvent) => void>();

  emit(event: ActionExecutionEvent): void {
    this.log.push(event);
    for (const listener of [...this.listeners]) listener(structuredClone(event));
  }

  /** Calls `listener` with each event emitted from now on; returns what unsubscribes it. */
  listen(listener: (event: ActionExecutionEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  list(): ActionExecutionEvent[] {
    return structuredClone(this.log);
  }

  /** Forgets the events; listeners stay. */
  reset(): void {
    this.log.length = 0;
  }
}
