import { describe, expect, it } from 'vitest';
import { InvalidEventError, parseTrigger } from '../../lambda/events.js';
import { ACTION_TYPE } from '../helpers/jobs.js';

/** An EventBridge scheduled event, as a `rate(1 minute)` rule delivers it. */
const SCHEDULED_EVENT = {
  version: '0',
  id: '53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  account: '111122223333',
  time: '2025-01-15T10:00:00Z',
  region: 'eu-west-1',
  resources: ['arn:aws:events:eu-west-1:111122223333:rule/job-worker-tick'],
  detail: {},
};

const EXECUTION_ID = '0b7c6e2f-3d4a-4b5c-9e8f-7a6b5c4d3e2f';

/**
 * A CodePipeline action execution state change, shaped as EventBridge delivers it: the
 * outer `version` is the event schema's, `detail.version` the pipeline structure's.
 */
function actionEvent(
  overrides: { state?: unknown; type?: Record<string, unknown>; detail?: unknown } = {},
) {
  return {
    version: '0',
    id: 'c1a2f0e4-8b5d-4f6e-9a7b-3c2d1e0f9a8b',
    'detail-type': 'CodePipeline Action Execution State Change',
    source: 'aws.codepipeline',
    account: '111122223333',
    time: '2025-01-15T10:00:02Z',
    region: 'eu-west-1',
    resources: ['arn:aws:codepipeline:eu-west-1:111122223333:checkout-service'],
    detail:
      overrides.detail !== undefined
        ? overrides.detail
        : {
            pipeline: 'checkout-service',
            'execution-id': EXECUTION_ID,
            stage: 'Production',
            action: 'BakeTime',
            state: overrides.state ?? 'STARTED',
            region: 'eu-west-1',
            type: overrides.type ?? {
              owner: 'Custom',
              provider: 'BakeTimeGate',
              category: 'Deploy',
              version: '1',
            },
            version: 3,
          },
  };
}

function rejection(event: unknown): InvalidEventError {
  try {
    parseTrigger(event, ACTION_TYPE);
  } catch (error) {
    if (error instanceof InvalidEventError) return error;
    throw error;
  }
  throw new Error('parseTrigger accepted the event');
}

describe('parseTrigger', () => {
  it('treats {} as a manual invocation', () => {
    const trigger = parseTrigger({}, ACTION_TYPE);

    expect(trigger).toEqual({ kind: 'manual' });
  });

  it('recognises an EventBridge scheduled event', () => {
    const trigger = parseTrigger(SCHEDULED_EVENT, ACTION_TYPE);

    expect(trigger).toEqual({ kind: 'schedule' });
  });

  it('recognises a STARTED event for its action type, keeping the execution id', () => {
    const trigger = parseTrigger(actionEvent(), ACTION_TYPE);

    expect(trigger).toEqual({ kind: 'action-started', executionId: EXECUTION_ID });
  });

  it('accepts the action type version as a number too', () => {
    const event = actionEvent({
      type: { owner: 'Custom', provider: 'BakeTimeGate', category: 'Deploy', version: 1 },
    });

    const trigger = parseTrigger(event, ACTION_TYPE);

    expect(trigger).toEqual({ kind: 'action-started', executionId: EXECUTION_ID });
  });

  it('leaves the execution id out when the event carries none', () => {
    const event = actionEvent();
    const { 'execution-id': _dropped, ...detail } = event.detail as Record<string, unknown>;

    const trigger = parseTrigger({ ...event, detail }, ACTION_TYPE);

    expect(trigger).toEqual({ kind: 'action-started', executionId: undefined });
  });

  it('rejects an event for another action type, naming both types', () => {
    const event = actionEvent({
      type: { owner: 'AWS', provider: 'CodeBuild', category: 'Build', version: '1' },
    });

    const error = rejection(event);

    expect(error.message).toContain('AWS/Build/CodeBuild/1');
    expect(error.message).toContain('Custom/Deploy/BakeTimeGate/1');
  });

  it.each([
    ['owner', { owner: 'ThirdParty' }],
    ['category', { category: 'Build' }],
    ['provider', { provider: 'bakeTimeGate' }],
    ['version', { version: '2' }],
    ['version (as a number)', { version: 2 }],
  ])('rejects an event whose %s differs', (_field, change) => {
    const type = { owner: 'Custom', provider: 'BakeTimeGate', category: 'Deploy', version: '1' };

    const error = rejection(actionEvent({ type: { ...type, ...change } }));

    expect(error.message).toContain('not Custom/Deploy/BakeTimeGate/1');
  });

  it('rejects a version that is neither a string nor a number', () => {
    const type = { owner: 'Custom', provider: 'BakeTimeGate', category: 'Deploy', version: ['1'] };

    expect(() => parseTrigger(actionEvent({ type }), ACTION_TYPE)).toThrow(InvalidEventError);
  });

  it('rejects an action event without a detail', () => {
    const error = rejection(actionEvent({ detail: null }));

    expect(error.message).toContain('not Custom/Deploy/BakeTimeGate/1');
  });

  it.each(['SUCCEEDED', 'RESUMED', 'started', undefined])(
    'rejects an event for its action type in state %s',
    (state) => {
      const event = actionEvent();
      const detail = { ...(event.detail as Record<string, unknown>), state };

      const error = rejection({ ...event, detail });

      expect(error.message).toContain(
        `has state ${String(state)}, not one of STARTED, ABANDONED, CANCELED, FAILED`,
      );
    },
  );

  describe('stop events', () => {
    const ACTION_EXECUTION_ID = '47f821c5-a902-44b2-ae61-b878d31ecd21';
    const stopEvent = (state: string, changes: Record<string, unknown> = {}) => {
      const event = actionEvent({ state });
      return {
        ...event,
        detail: {
          ...(event.detail as Record<string, unknown>),
          'action-execution-id': ACTION_EXECUTION_ID,
          ...changes,
        },
      };
    };

    it.each(['ABANDONED', 'CANCELED', 'FAILED'])(
      'recognises a %s event for its action type, with the execution and its keys',
      (state) => {
        const trigger = parseTrigger(stopEvent(state), ACTION_TYPE);

        expect(trigger).toEqual({
          kind: 'action-stopped',
          state,
          actionExecutionId: ACTION_EXECUTION_ID,
          executionId: EXECUTION_ID,
          pipeline: 'checkout-service',
          stage: 'Production',
          action: 'BakeTime',
        });
      },
    );

    it('accepts a stop event without the optional keys', () => {
      const trigger = parseTrigger(
        stopEvent('ABANDONED', {
          'execution-id': undefined,
          pipeline: undefined,
          stage: undefined,
          action: undefined,
        }),
        ACTION_TYPE,
      );

      expect(trigger).toEqual({
        kind: 'action-stopped',
        state: 'ABANDONED',
        actionExecutionId: ACTION_EXECUTION_ID,
      });
    });

    it('rejects a stop event of another action type', () => {
      const event = stopEvent('CANCELED', {
        type: { owner: 'AWS', provider: 'CodeBuild', category: 'Build', version: '1' },
      });

      expect(rejection(event).message).toContain('not Custom/Deploy/BakeTimeGate/1');
    });

    it.each([
      ['missing', undefined, 'null'],
      ['empty', '', '""'],
      ['not a string', 42, '42'],
      ['an object', { id: 'x' }, 'an object'],
      ['with a # in it', 'a#b', '"a#b"'],
      ['too long', 'a'.repeat(101), `"${'a'.repeat(64)}..."`],
    ])('rejects a stop event whose action-execution-id is %s', (_case, id, shown) => {
      const error = rejection(stopEvent('ABANDONED', { 'action-execution-id': id }));

      expect(error.message).toContain(
        `the ABANDONED action execution event has action-execution-id ${shown}, not 1-100 characters of [A-Za-z0-9_-]`,
      );
    });

    it.each([
      ['pipeline', 7],
      ['stage', ''],
      ['action', ['Build']],
      ['execution-id', 'x'.repeat(101)],
    ])('rejects a stop event whose %s is not a name', (key, value) => {
      const error = rejection(stopEvent('FAILED', { [key]: value }));

      expect(error.message).toContain(`the FAILED action execution event has ${key} `);
      expect(error.message).toContain('not a string of 1-100 characters');
    });
  });

  it('rejects an event from an unknown source, naming its source and detail-type', () => {
    const event = {
      ...SCHEDULED_EVENT,
      source: 'aws.codebuild',
      'detail-type': 'CodeBuild Build State Change',
    };

    const error = rejection(event);

    expect(error.message).toContain(
      'unknown event (source "aws.codebuild", detail-type "CodeBuild Build State Change")',
    );
  });

  it('rejects a CodePipeline event of another detail-type', () => {
    const event = {
      ...actionEvent(),
      'detail-type': 'CodePipeline Pipeline Execution State Change',
    };

    const error = rejection(event);

    expect(error.message).toContain('detail-type "CodePipeline Pipeline Execution State Change"');
  });

  it('rejects an object without source or detail-type', () => {
    const error = rejection({ hello: 'world' });

    expect(error.message).toContain('unknown event (source null, detail-type null)');
  });

  it.each([
    ['an array', [], 'an array'],
    ['an array of events', [SCHEDULED_EVENT], 'an array'],
    ['a string', '{}', 'string'],
    ['a number', 42, 'number'],
    ['a boolean', true, 'boolean'],
    ['undefined', undefined, 'undefined'],
  ])('rejects %s, saying what it got', (_label, event, got) => {
    const error = rejection(event);

    expect(error.message).toContain(`expected a JSON object, got ${got}`);
  });

  it('rejects null, saying it got null', () => {
    const error = rejection(null);

    expect(error.message).toContain('expected a JSON object, got null');
  });

  it('is an InvalidEventError that lists what it accepts', () => {
    const error = rejection('nope');

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidEventError');
    expect(error.message).toMatch(/^Rejected invocation event: /);
    expect(error.message).toContain('Accepted: an EventBridge scheduled event');
    expect(error.message).toContain(
      'a CodePipeline Action Execution State Change (STARTED, ABANDONED, CANCELED, FAILED) event',
    );
  });
});
