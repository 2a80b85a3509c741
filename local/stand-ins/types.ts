/**
 * What a local run's service stand-ins are made of: handlers per service and operation, the
 * context they are given, the errors they throw, and the record of every call.
 */

/** A request's input, as the service receives it (the SDK's member names; timestamps in seconds). */
export type StandInInput = Readonly<Record<string, unknown>>;

/** What every handler of one run is given besides the input. */
export interface StandInContext {
  /** One object per run, shared by every handler: keep the run's state here. */
  readonly state: Record<string, unknown>;
  /** The key of the service (`codebuild`). */
  readonly service: string;
  readonly operation: string;
  /** The calls recorded so far in this run, this one not yet among them. */
  readonly calls: readonly StandInCall[];
}

/**
 * Answers one operation: returns its output (the SDK's member names; a `Date` is sent as a
 * timestamp, a `Uint8Array` as base64), or throws a {@link StandInError} (or any error whose
 * `name` is the service's exception, such as `ResourceNotFoundException`) to answer as the
 * service would. Any other throw (a `TypeError`) is answered with HTTP 500 and fails the run.
 */
export type StandInHandler = {
  // A method's parameters are compared both ways: a handler may type its input precisely
  // (`(input: StartBuildCommandInput) => ...`).
  bivariant(input: StandInInput, context: StandInContext): unknown;
}['bivariant'];

/** The handlers of one service, by operation name (`StartBuild`). */
export type ServiceStandIn = Readonly<Record<string, StandInHandler>>;

/**
 * The stand-ins of a run, by service: `codebuild`, `sfn`, `ecs`, `ssm`, `secretsManager`
 * (the services of the AWS JSON protocols).
 */
export interface StandIns {
  readonly codebuild?: ServiceStandIn;
  readonly sfn?: ServiceStandIn;
  readonly ecs?: ServiceStandIn;
  readonly ssm?: ServiceStandIn;
  readonly secretsManager?: ServiceStandIn;
}

/** One call a stand-in received, and how it was answered. */
export interface StandInCall {
  /** The key of the service (`codebuild`), or the signing name of one nothing can stand in for. */
  readonly service: string;
  readonly operation: string;
  readonly input: unknown;
  /** What the handler returned. */
  readonly output?: unknown;
  /** The error the call was answered with. */
  readonly error?: { readonly name: string; readonly message: string; readonly status: number };
}

/**
 * Something in the local world that made a job fail rather than the processor's decision: a
 * call nothing stands in for (`no-stand-in`), or a handler that threw an unexpected error
 * (`stand-in-threw`).
 */
export interface StandInFailure {
  readonly kind: 'no-stand-in' | 'stand-in-threw';
  /** The service's SDK id (`CodeBuild`), or the signing name when it is not known. */
  readonly service: string;
  readonly operation: string;
  /** The variable that points the service's clients elsewhere (`AWS_ENDPOINT_URL_CODEBUILD`). */
  readonly variable: string;
  /** One line that says what happened and what to do. */
  readonly message: string;
}

/** What the stand-ins of a run did: every call, in order. */
export interface StandInRecord {
  readonly calls: readonly StandInCall[];
}

/** An error a stand-in handler throws to answer as the service would. */
export class StandInError extends Error {
  /** The HTTP status of the answer. */
  readonly status: number;

  constructor(name: string, message: string, status = 400) {
    super(message);
    this.name = name;
    this.status = status;
  }
}

/**
 * The error a handler throws to answer as the service would: the SDK raises the exception
 * class of that name (`instanceof ResourceNotFoundException`).
 *
 * @param name - the service's exception name (`ResourceNotFoundException`)
 * @param message - its message
 * @param status - the HTTP status @default 400 (a 5xx is retried by the SDK)
 * @example
 * BatchGetBuilds: ({ ids }) => { throw standInError('InvalidInputException', `no build ${ids}`); }
 */
export function standInError(name: string, message: string, status = 400): StandInError {
  return new StandInError(name, message, status);
}
