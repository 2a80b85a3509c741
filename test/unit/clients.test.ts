import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CodePipelineClient, PollForJobsCommand } from '@aws-sdk/client-codepipeline';
import { StandardRetryStrategy } from '@smithy/core/retry';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  clientOptions,
  createCodePipelineClient,
  createDynamoDbClient,
} from '../../lambda/clients.js';
import { loadConfig } from '../../lambda/config.js';

type Answer = (request: IncomingMessage, response: ServerResponse) => void;

describe('AWS SDK clients (real HTTP on loopback)', () => {
  let server: Server;
  let answers: Answer[];
  let requests: number;

  beforeEach(async () => {
    answers = [];
    requests = 0;
    server = createServer((request, response) => {
      requests++;
      request.resume();
      const answer = answers.shift();
      if (answer) answer(request, response);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    vi.stubEnv('AWS_ENDPOINT_URL_CODEPIPELINE', `http://127.0.0.1:${port}`);
    vi.stubEnv('AWS_REGION', 'us-east-1');
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'local');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'local');
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const config = (env: Record<string, string>) =>
    loadConfig({
      ACTION_CATEGORY: 'Test',
      ACTION_PROVIDER: 'BakeTimeGate',
      ACTION_VERSION: '1',
      LEDGER_TABLE_NAME: 'ledger',
      ...env,
    });
  const poll = new PollForJobsCommand({
    actionTypeId: { owner: 'Custom', category: 'Test', provider: 'BakeTimeGate', version: '1' },
  });
  const json =
    (status: number, body: object): Answer =>
    (_request, response) => {
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(JSON.stringify(body));
    };

  it('retries 5xx answers and succeeds within SDK_MAX_ATTEMPTS', async () => {
    answers.push(
      json(500, { __type: 'InternalFailure', message: 'boom' }),
      json(503, { __type: 'ServiceUnavailable', message: 'busy' }),
      json(200, { jobs: [] }),
    );
    const client = createCodePipelineClient(config({ SDK_MAX_ATTEMPTS: '3' }));

    const result = await client.send(poll);

    expect(result.jobs).toEqual([]);
    expect(requests).toBe(3);
  });

  it('gives up on throttling after exactly SDK_MAX_ATTEMPTS requests', async () => {
    for (let i = 0; i < 5; i++)
      answers.push(json(400, { __type: 'ThrottlingException', message: 'slow down' }));
    const client = createCodePipelineClient(config({ SDK_MAX_ATTEMPTS: '2' }));

    await expect(client.send(poll)).rejects.toMatchObject({ name: 'ThrottlingException' });
    expect(requests).toBe(2);
  });

  it('abandons a request the server never answers after SDK_REQUEST_TIMEOUT_MS', async () => {
    answers.push(() => {});
    const client = createCodePipelineClient(
      config({ SDK_MAX_ATTEMPTS: '1', SDK_REQUEST_TIMEOUT_MS: '300' }),
    );
    const started = Date.now();

    await expect(client.send(poll)).rejects.toThrow(/timeout/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('retries both clients in the standard mode', async () => {
    const settings = config({});

    const codePipeline = await createCodePipelineClient(settings).config.retryStrategy();
    const dynamoDb = await createDynamoDbClient(settings).config.retryStrategy();

    expect(codePipeline).toBeInstanceOf(StandardRetryStrategy);
    expect(dynamoDb).toBeInstanceOf(StandardRetryStrategy);
  });

  /** Four polls in a row, after one that CodePipeline throttled twice; their time in ms. */
  async function pollsAfterThrottling(client: CodePipelineClient): Promise<number> {
    answers.push(
      json(400, { __type: 'ThrottlingException', message: 'slow down' }),
      json(400, { __type: 'ThrottlingException', message: 'slow down' }),
      ...Array.from({ length: 5 }, () => json(200, { jobs: [] })),
    );
    await client.send(poll);
    const started = Date.now();
    for (let i = 0; i < 4; i++) await client.send(poll);
    return Date.now() - started;
  }

  it('keeps sending the next calls at once after CodePipeline throttled one, which the adaptive mode would not', async () => {
    const settings = config({ SDK_MAX_ATTEMPTS: '3' });

    const worker = await pollsAfterThrottling(createCodePipelineClient(settings));
    const adaptive = await pollsAfterThrottling(
      new CodePipelineClient({ ...clientOptions(settings), retryMode: 'adaptive' }),
    );

    expect(requests).toBe(14);
    expect(worker).toBeLessThan(400);
    // The adaptive mode's client-side rate limiter, switched on by the throttling at the rate
    // the client had been sending, spaces every later call of the client.
    expect(adaptive).toBeGreaterThan(1_000);
  });
});
