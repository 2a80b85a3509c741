/**
 * Running a bundle as Lambda would: a fresh Node process that imports it, with the variables
 * the Lambda runtime sets, and a Lambda-like context for the handler.
 */
import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';

/** The X-Ray trace the runtime variables below announce. */
export const TRACE_ROOT = `1-${Math.floor(Date.now() / 1000).toString(16)}-0123456789abcdef01234567`;
export const TRACE_PARENT = '0123456789abcdef';

/**
 * Runs `body` in a fresh Node process after importing the bundle `file` as `handler` (and
 * the whole module as `bundle`), with `context` a Lambda context 30 s from its deadline.
 */
export function runWithBundle(
  file: string,
  body: string,
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string }> {
  const code = [
    `const bundle = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const { handler } = bundle;',
    'const deadline = Date.now() + 30_000;',
    "const context = { functionName: 'worker', functionVersion: '$LATEST', awsRequestId: crypto.randomUUID(), memoryLimitInMB: '512', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:worker', getRemainingTimeInMillis: () => deadline - Date.now() };",
    body,
  ].join('\n');
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', code],
      { env, timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve({ stdout, stderr }),
    );
  });
}

/** What the Lambda runtime sets, besides the function's own variables. */
export function lambdaRuntimeVariables(
  taskRoot: string,
  daemon = '127.0.0.1:9',
): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    _HANDLER: 'index.handler',
    AWS_LAMBDA_FUNCTION_NAME: 'worker',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    LAMBDA_TASK_ROOT: taskRoot,
    // X-Ray in its Lambda mode, sending to `daemon` (by default a port where nothing listens).
    _X_AMZN_TRACE_ID: `Root=${TRACE_ROOT};Parent=${TRACE_PARENT};Sampled=1`,
    AWS_XRAY_DAEMON_ADDRESS: daemon,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  };
}

/** The line of `stdout` that starts with `label `, parsed as JSON. */
export function labelledLine<T>(stdout: string, label: string): T {
  const line = stdout.split('\n').find((text) => text.startsWith(`${label} `));
  return JSON.parse(line?.slice(label.length + 1) ?? 'null') as T;
}
