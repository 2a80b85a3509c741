/**
 * What the Lambda runtime hands a handler, for running it outside Lambda: a context whose
 * remaining time counts down, and the event an EventBridge schedule rule sends. Free of any
 * file access, so a bundled benchmark worker can use it too.
 */
import type { Context } from 'aws-lambda';

export interface LocalContextOptions {
  /** @default 'codepipeline-job-worker-local' */
  readonly functionName?: string;
  /** @default '512' */
  readonly memoryLimitInMB?: string;
  /** @default a new id per invocation */
  readonly requestId?: string;
}

let invocations = 0;

/** A Lambda-like context whose remaining time counts down from `timeoutMs`. */
export function localContext(timeoutMs: number, options: LocalContextOptions = {}): Context {
  const deadline = Date.now() + timeoutMs;
  const name = options.functionName ?? 'codepipeline-job-worker-local';
  invocations++;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: options.memoryLimitInMB ?? '512',
    awsRequestId: options.requestId ?? `local-${process.pid}-${invocations}-${Date.now()}`,
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: `local/${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** The event an EventBridge schedule rule sends. */
export function scheduledEvent(): Record<string, unknown> {
  return {
    version: '0',
    id: crypto.randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: process.env.AWS_REGION ?? 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/codepipeline-job-worker-schedule'],
    detail: {},
  };
}
