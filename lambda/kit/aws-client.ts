/**
 * AWS SDK v3 clients for a processor's own calls, built as the worker builds its own: standard
 * retries with the worker's attempts, a request timeout, the function's region, and the job's
 * abort signal on every call, so that a job past its deadline stops waiting on AWS.
 */
import type { ProcessingContext } from '../job/processor.js';
import { sdkClientOptions } from '../sdk-options.js';

/** What the factory needs of an SDK v3 client (every generated client has it). */
export interface SdkClient {
  // biome-ignore lint/suspicious/noExplicitAny: the SDK's overloaded `send` of any client
  send(...args: any[]): Promise<unknown> | undefined;
  destroy(): void;
}

/** An SDK v3 client class: `CodeBuildClient`, `SFNClient`, ... */
// biome-ignore lint/suspicious/noExplicitAny: any client's constructor
export type SdkClientClass = new (...args: any[]) => SdkClient;

/** The configuration a client class takes. */
export type SdkClientConfig<Class extends SdkClientClass> = NonNullable<
  ConstructorParameters<Class>[0]
>;

/** A Powertools `Tracer` (or anything with its `captureAWSv3Client`). */
export interface ClientTracer {
  captureAWSv3Client<T>(client: T): T;
}

/** Options of {@link awsClient}. */
export interface AwsClientOptions<Config> {
  /**
   * Client configuration over the worker's (`endpoint`, `credentials`, `region`, even
   * `maxAttempts` or `requestHandler`). @default none
   */
  readonly config?: Config;
  /**
   * Traces each call as an X-Ray subsegment. The worker does not trace its own calls (a
   * subsegment per call costs CPU and fills the trace); a `new Tracer()` of your own records
   * under the invocation's segment. @default no tracing
   */
  readonly tracer?: ClientTracer;
}

type SendOptions = { readonly abortSignal?: unknown } & Record<string, unknown>;

/** Passes `signal` with every command the client sends, with the caller's own if any. */
function sendWithSignal(client: SdkClient, signal: AbortSignal): void {
  const send = (command: unknown, optionsOrCallback?: unknown, callback?: unknown) => {
    // Looked up at each call: a stub put on the class's prototype later (aws-sdk-client-mock) runs.
    const base = Object.getPrototypeOf(client).send as SdkClient['send'];
    if (typeof optionsOrCallback === 'function') {
      return base.call(client, command, { abortSignal: signal }, optionsOrCallback);
    }
    const options = (optionsOrCallback ?? {}) as SendOptions;
    const given = options.abortSignal;
    const abortSignal =
      given === undefined
        ? signal
        : given instanceof AbortSignal
          ? AbortSignal.any([signal, given])
          : given;
    return base.call(client, command, { ...options, abortSignal }, callback);
  };
  Object.defineProperty(client, 'send', { value: send, configurable: true, writable: true });
}

/**
 * Builds any AWS SDK v3 client for the job: the worker's retries (`context.sdk.maxAttempts`,
 * standard mode) and request timeout (`context.sdk.requestTimeoutMs`), the function's region
 * (`AWS_REGION`, else `AWS_DEFAULT_REGION`), endpoints from the standard `AWS_ENDPOINT_URL_*`
 * variables, and `context.signal` passed with every command it sends: when the job's
 * deadline passes, a call in flight or waiting to be retried is abandoned with an `AbortError`.
 * Build it in `process` (one per job: the signal is the job's), and `destroy()` it when done
 * if the job opens many connections.
 *
 * @param Client - the client class, e.g. `CodeBuildClient`
 * @param context - the job's processing context
 * @param options - configuration over the worker's, and a tracer
 * @example
 * import { CodeBuildClient, StartBuildCommand } from '@aws-sdk/client-codebuild';
 * import { awsClient } from 'codepipeline-job-worker/kit';
 *
 * const codebuild = awsClient(CodeBuildClient, context);
 * const { build } = await codebuild.send(new StartBuildCommand({ projectName }));
 */
export function awsClient<Class extends SdkClientClass>(
  Client: Class,
  context: Pick<ProcessingContext, 'sdk' | 'signal'>,
  options: AwsClientOptions<SdkClientConfig<Class>> = {},
): InstanceType<Class> {
  const region = process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION;
  const client = new Client({
    ...sdkClientOptions(context.sdk),
    ...(region ? { region } : {}),
    ...options.config,
  }) as InstanceType<Class>;
  sendWithSignal(client, context.signal);
  return options.tracer ? options.tracer.captureAWSv3Client(client) : client;
}
