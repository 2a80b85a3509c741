/**
 * What one job of an action execution hands the next, and what `cancel` gets back when the
 * pipeline stops the execution: the build the action waits for. It travels in the continuation
 * token as the kit's typed state (`continuationState`), with its version; its size is checked
 * against the token's budget before anything is sent.
 */
import {
  ContinuationStateError,
  continuationState,
  type StandardSchemaV1,
} from 'codepipeline-job-worker/kit';

/** The build an action execution waits for. */
export interface BuildState {
  /** CodeBuild's build id, `project:uuid`: what BatchGetBuilds and StopBuild take. */
  readonly buildId: string;
}

/** A build id as CodeBuild gives it: the project name, a colon, the build's own id. */
const BUILD_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{1,254}:[A-Za-z0-9-]{1,100}$/;

/**
 * The state's shape, checked each time a token is read: a Standard Schema of its own, as any
 * validator library would give. Its message names the field, never the token.
 */
const buildStateSchema: StandardSchemaV1<unknown, BuildState> = {
  '~standard': {
    version: 1,
    vendor: 'codebuild-runner',
    validate(value) {
      const buildId = (value as { buildId?: unknown } | null)?.buildId;
      if (typeof buildId !== 'string' || !BUILD_ID.test(buildId)) {
        return { issues: [{ message: 'must be a CodeBuild build id', path: ['buildId'] }] };
      }
      return { value: { buildId } };
    },
  },
};

/**
 * Reads the token that earlier versions of this action wrote by hand, `{"buildId":"..."}`: the
 * executions that were waiting for a build when this version was deployed carry one, and so
 * does the last token the worker recorded for them (which `cancel` reads).
 */
function handWrittenToken(token: string): unknown {
  try {
    return JSON.parse(token);
  } catch {
    // JSON.parse's message quotes the token: none of it goes into the job's message.
    throw new ContinuationStateError(
      'The continuation token names no build: it was not written by this action',
    );
  }
}

/**
 * The state's definition: `BuildState.read(job)` in a job (undefined in the execution's first
 * job), `BuildState.read(cancellation)` in `cancel`. Version 1; a later version that changes
 * the shape raises it and gives `migrate[1]`.
 */
export const BuildState = continuationState<BuildState>({
  version: 1,
  schema: buildStateSchema,
  legacy: handWrittenToken,
});
