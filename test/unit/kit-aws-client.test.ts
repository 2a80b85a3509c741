/**
 * awsClient: any SDK v3 client built with the worker's retries, request timeout and region, and
 * the job's abort signal on every call; tested against a loopback server answering CodeBuild's
 * JSON protocol, and with aws-sdk-client-mock as a processor's unit tests use it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Tracer } from '@aws-lambda-powertools/tracer';
import {
  BatchGetBuildsCommand,
  CodeBuildClient,
  StartBuildCommand,
} from '@aws-sdk/client-codebuild';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, onTestFinished, vi } from 'vitest';
import { awsClient } from '../../lambda/kit/index.js';
import { processingContext } from '../../local/testing/index.js';

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

const start = new StartBuildCommand({ projectName: 'app' });

describe('awsClient against a loopback server', () => {
  let server: Server;
  let answers: Answer[];
  let requests: string[];

  beforeEach(async () => {
    answers = [];
    requests = [];
    server = createServer((request, response) => {
      requests.push(String(request.headers['x-amz-target']));
      request.resume();
      const answer = answers.shift();
      if (answer) answer(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    vi.stubEnv('AWS_ENDPOINT_URL_CODEBUILD', `http://127.0.0.1:${port}`);
    vi.stubEnv('AWS_REGION', 'eu-west-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const json =
    (status: number, body: object): Answer =>
    (_request, response) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    };
  const silent: Answer = () => {};

  it('sends to the endpoint of AWS_ENDPOINT_URL_CODEBUILD, in the region of AWS_REGION', async () => {
    answers.push(json(200, { build: { id: 'app:1' } }));
    const client = awsClient(CodeBuildClient, processingContext());

    const result = await client.send(start);

    expect(result.build?.id).toBe('app:1');
    expect(requests).toEqual(['CodeBuild_20161006.StartBuild']);
    expect(await client.config.region()).toBe('eu-west-1');
  });

  it('takes configuration over the worker’s', async () => {
    const client = awsClient(CodeBuildClient, processingContext(), {
      config: { region: 'us-west-2', maxAttempts: 7 },
    });

    expect(await client.config.region()).toBe('us-west-2');
    expect(await client.config.maxAttempts()).toBe(7);
  });

  it('tries a failing call exactly context.sdk.maxAttempts times', async () => {
    for (let i = 0; i < 5; i++)
      answers.push(json(500, { __type: 'InternalFailure', message: 'x' }));
    const client = awsClient(
      CodeBuildClient,
      processingContext({ sdk: { maxAttempts: 3, requestTimeoutMs: 5_000 } }),
    );

    await expect(client.send(start)).rejects.toMatchObject({ name: 'InternalFailure' });
    expect(requests).toHaveLength(3);
  });

  it('abandons a request the server never answers after context.sdk.requestTimeoutMs', async () => {
    answers.push(silent);
    const client = awsClient(
      CodeBuildClient,
      processingContext({ sdk: { maxAttempts: 1, requestTimeoutMs: 300 } }),
    );
    const started = Date.now();

    await expect(client.send(start)).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('abandons a call in flight when the job is aborted, long before the request timeout', async () => {
    answers.push(silent);
    const context = processingContext({ sdk: { maxAttempts: 3, requestTimeoutMs: 30_000 } });
    const client = awsClient(CodeBuildClient, context);
    const started = Date.now();

    const call = client.send(start);
    setTimeout(() => context.abort(), 200);

    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(requests).toHaveLength(1);
  });

  it('sends nothing once the job is aborted', async () => {
    answers.push(json(200, { build: { id: 'app:1' } }));
    const context = processingContext();
    const client = awsClient(CodeBuildClient, context);
    context.abort();

    await expect(client.send(start)).rejects.toMatchObject({ name: 'AbortError' });
    expect(requests).toEqual([]);
  });

  it('stops waiting to retry when the job is aborted', async () => {
    answers.push(json(400, { __type: 'ThrottlingException', message: 'slow down' }));
    // The longest backoff the jitter allows: after throttling, at least 500 ms.
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const context = processingContext({ sdk: { maxAttempts: 5, requestTimeoutMs: 30_000 } });
    const client = awsClient(CodeBuildClient, context);
    const started = Date.now();

    const call = client.send(start);
    setTimeout(() => context.abort(), 150);

    await expect(call).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(450);
    expect(requests).toHaveLength(1);
  });

  it('aborts on the job’s signal and on the caller’s own, when the caller gives one', async () => {
    answers.push(silent, silent);
    const context = processingContext();
    const client = awsClient(CodeBuildClient, context);
    const own = new AbortController();
    const unused = new AbortController();

    const byOwn = client.send(start, { abortSignal: own.signal });
    setTimeout(() => own.abort(), 100);
    await expect(byOwn).rejects.toMatchObject({ name: 'AbortError' });
    const byJob = client.send(start, { abortSignal: unused.signal });
    setTimeout(() => context.abort(), 100);

    await expect(byJob).rejects.toMatchObject({ name: 'AbortError' });
    expect(requests).toHaveLength(2);
  });

  it('passes the signal to a call made with a callback', async () => {
    answers.push(silent);
    const context = processingContext();
    const client = awsClient(CodeBuildClient, context);

    const error = await new Promise<unknown>((resolve) => {
      client.send(start, (failure: unknown) => resolve(failure));
      setTimeout(() => context.abort(), 100);
    });

    expect(error).toMatchObject({ name: 'AbortError' });
  });
});

describe('awsClient with aws-sdk-client-mock', () => {
  it('is answered by a mock of its class, which sees the job’s signal with each command', async () => {
    const codebuild = mockClient(CodeBuildClient);
    onTestFinished(() => codebuild.restore());
    codebuild
      .on(BatchGetBuildsCommand)
      .resolves({ builds: [{ id: 'app:1', buildStatus: 'SUCCEEDED' }] });
    const context = processingContext();
    const client = awsClient(CodeBuildClient, context);

    const { builds } = await client.send(new BatchGetBuildsCommand({ ids: ['app:1'] }));
    // The stub is typed with the command alone; `send` also passes its options.
    const [, options] = (codebuild.commandCalls(BatchGetBuildsCommand)[0]?.args ?? []) as unknown[];

    expect(builds?.[0]?.buildStatus).toBe('SUCCEEDED');
    expect(options).toEqual({
      abortSignal: context.signal,
    });
  });
  it('is answered by a mock made after it was built', async () => {
    const client = awsClient(CodeBuildClient, processingContext());
    const codebuild = mockClient(CodeBuildClient);
    onTestFinished(() => codebuild.restore());
    codebuild.on(StartBuildCommand).resolves({ build: { id: 'app:2' } });

    const { build } = await client.send(start);

    expect(build?.id).toBe('app:2');
  });
});

describe('awsClient tracing', () => {
  it('hands the client to the tracer given, and returns what it gives back', () => {
    const captured: unknown[] = [];
    const tracer = {
      captureAWSv3Client<T>(client: T): T {
        captured.push(client);
        return client;
      },
    };

    const client = awsClient(CodeBuildClient, processingContext(), { tracer });

    expect(captured).toEqual([client]);
  });

  it('takes a Powertools Tracer', () => {
    const tracer = new Tracer({ serviceName: 'test', enabled: false });
    const capture = vi.spyOn(tracer, 'captureAWSv3Client');

    const client = awsClient(CodeBuildClient, processingContext(), { tracer });

    expect(capture).toHaveBeenCalledWith(client);
    expect(client).toBeInstanceOf(CodeBuildClient);
  });
});
