/**
 * A fault-injecting HTTP proxy in front of a DynamoDB-compatible server (dynalite). A seeded
 * share of requests is answered with DynamoDB's throttling errors or a 5xx BEFORE anything is
 * forwarded (so the request had no effect), or forwarded and then answered 500 ("lost
 * response": the write happened, the client never learns it). Point the worker at `url`.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  request,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom } from '../../local/emulator/random.js';

export type DynamoDbFaultKind = 'throttling' | 'serverError' | 'lostResponse';

export interface DynamoDbFaultConfig {
  /** Share (0..1) answered 400 ProvisionedThroughputExceededException / ThrottlingException. */
  readonly throttleRate: number;
  /** Share (0..1) answered 500 InternalServerError / 503 ServiceUnavailable. */
  readonly errorRate: number;
  /** Share (0..1) forwarded (the side effect happens) and then answered 500. */
  readonly lostResponseRate: number;
  /** Real milliseconds added before forwarding. */
  readonly latencyMs: number;
  /** Operations (`UpdateItem`, `Query`, ...) faults and latency apply to; null for all. */
  readonly operations: readonly string[] | null;
  /** When set, faults and latency apply only to requests whose body contains this text. */
  readonly bodyIncludes: string | null;
  /** Faults stop once this many were injected (null: no limit). */
  readonly maxFaults: number | null;
  readonly seed: number;
}

export interface DynamoDbFaultProxy {
  readonly url: string;
  /** Injected faults, by operation and kind. */
  faults(): Record<string, Partial<Record<DynamoDbFaultKind, number>>>;
  /** How many faults of `kind` (all kinds when omitted) were injected. */
  injected(kind?: DynamoDbFaultKind): number;
  /** Requests received, by operation. */
  calls(): Record<string, number>;
  /** Requests held back by `latencyMs`. */
  delayed(): number;
  configure(patch: Partial<DynamoDbFaultConfig>): void;
  close(): Promise<void>;
}

const NO_FAULTS: DynamoDbFaultConfig = {
  throttleRate: 0,
  errorRate: 0,
  lostResponseRate: 0,
  latencyMs: 0,
  operations: null,
  bodyIncludes: null,
  maxFaults: null,
  seed: 1,
};

const THROTTLING = [
  {
    __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
    message:
      'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
  },
  {
    __type: 'com.amazon.coral.availability#ThrottlingException',
    message: 'Rate of requests exceeds the allowed throughput.',
  },
];

const SERVER_ERRORS = [
  {
    status: 500,
    body: {
      __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
      message: 'Internal server error',
    },
  },
  {
    status: 503,
    body: {
      __type: 'com.amazon.coral.availability#ServiceUnavailableException',
      message: 'Service unavailable',
    },
  },
];

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

interface Forwarded {
  readonly status: number;
  readonly headers: OutgoingHttpHeaders;
  readonly body: Buffer;
}

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<Forwarded> {
  return new Promise((resolve, reject) => {
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 502,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(body);
  });
}

/**
 * Starts the proxy on 127.0.0.1 and a free port.
 *
 * @param targetUrl - the DynamoDB-compatible server (e.g. dynalite's endpoint)
 * @param config - initial faults (default none)
 * @example
 * const proxy = await startDynamoDbFaultProxy(dynamo.endpoint, { throttleRate: 0.1, seed: 7 });
 * // AWS_ENDPOINT_URL_DYNAMODB = proxy.url
 */
export async function startDynamoDbFaultProxy(
  targetUrl: string,
  config: Partial<DynamoDbFaultConfig> = {},
): Promise<DynamoDbFaultProxy> {
  const target = new URL(targetUrl);
  let current: DynamoDbFaultConfig = { ...NO_FAULTS, ...config };
  let random = seededRandom(current.seed);
  const faults: Record<string, Partial<Record<DynamoDbFaultKind, number>>> = {};
  const calls: Record<string, number> = {};
  let delayed = 0;
  const count = (operation: string, kind: DynamoDbFaultKind) => {
    const byKind = faults[operation] ?? {};
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    faults[operation] = byKind;
  };
  const injected = (kind?: DynamoDbFaultKind) =>
    Object.values(faults).reduce(
      (sum, byKind) =>
        sum +
        Object.entries(byKind)
          .filter(([k]) => kind === undefined || k === kind)
          .reduce((n, [, v]) => n + (v ?? 0), 0),
      0,
    );
  const applies = (operation: string, body: Buffer) =>
    (current.operations === null || current.operations.includes(operation)) &&
    (current.bodyIncludes === null || body.includes(current.bodyIncludes));
  const draw = (operation: string, body: Buffer): DynamoDbFaultKind | undefined => {
    const { throttleRate, errorRate, lostResponseRate } = current;
    if (!applies(operation, body)) return undefined;
    if (current.maxFaults !== null && injected() >= current.maxFaults) return undefined;
    if (throttleRate + errorRate + lostResponseRate === 0) return undefined;
    const roll = random();
    if (roll < throttleRate) return 'throttling';
    if (roll < throttleRate + errorRate) return 'serverError';
    if (roll < throttleRate + errorRate + lostResponseRate) return 'lostResponse';
    return undefined;
  };
  const pick = <T>(choices: readonly T[]): T => choices[Math.floor(random() * choices.length)] as T;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const targetHeader = String(req.headers['x-amz-target'] ?? '');
    const operation = targetHeader.split('.')[1] ?? 'Unknown';
    calls[operation] = (calls[operation] ?? 0) + 1;
    if (current.latencyMs > 0 && applies(operation, body)) {
      delayed++;
      await sleep(current.latencyMs);
    }
    const fault = draw(operation, body);
    if (fault) count(operation, fault);
    if (fault === 'throttling') return answer(res, 400, pick(THROTTLING));
    if (fault === 'serverError') {
      const error = pick(SERVER_ERRORS);
      return answer(res, error.status, error.body);
    }
    const upstream = await forward(target, req, body);
    if (fault === 'lostResponse') {
      return answer(res, 500, {
        __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
        message: 'Internal server error',
      });
    }
    res.writeHead(upstream.status, upstream.headers);
    res.end(upstream.body);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (res.headersSent) res.destroy();
      else answer(res, 502, { __type: 'ProxyError', message: 'upstream unreachable' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    faults: () => structuredClone(faults),
    injected,
    calls: () => ({ ...calls }),
    delayed: () => delayed,
    configure(patch) {
      current = { ...current, ...patch };
      if (patch.seed !== undefined) random = seededRandom(current.seed);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
