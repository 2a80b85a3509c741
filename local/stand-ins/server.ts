/**
 * The loopback server that answers a local run's AWS calls beyond CodePipeline, DynamoDB and
 * S3: one server on a free port, every other service's variable pointing at it. A call to a
 * service with a stand-in handler for its operation is answered in the service's own JSON
 * protocol (so that the real SDK client raises the service's exception classes); any other
 * call is refused, and recorded as a failure of the local world naming the service, the
 * operation and the variable that would point it elsewhere.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  describeSigningName,
  endpointVariable,
  STAND_IN_KEYS,
  STAND_IN_SERVICES,
  type StandInService,
  serviceByTarget,
} from './services.js';
import type {
  StandInCall,
  StandInContext,
  StandInFailure,
  StandInHandler,
  StandIns,
} from './types.js';
import { StandInError } from './types.js';

/** The largest request body a stand-in reads. */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

/** JavaScript's own error names: a handler that throws one of these has a bug. */
const BUILT_IN_ERRORS = new Set([
  'Error',
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
  'EvalError',
  'URIError',
  'AggregateError',
]);

export interface StandInServer {
  readonly url: string;
  /** Every call received, in order. */
  readonly calls: readonly StandInCall[];
  /** The calls that failed because of the local world. */
  readonly failures: readonly StandInFailure[];
  /**
   * The variables that point the stood-in services at this server (one per service that has
   * handlers), and `AWS_ENDPOINT_URL` for every other service.
   */
  readonly environment: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * The problems of a `standIns` value, each naming its path: unknown services, handlers that
 * are not functions.
 *
 * @param value - what was given as `standIns` (or a module's default export)
 * @param path - how to name it (`standIns`)
 */
export function standInProblems(value: unknown, path: string): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return [`${path} must be an object of services (${STAND_IN_KEYS.join(', ')})`];
  }
  const problems: string[] = [];
  for (const [key, handlers] of Object.entries(value)) {
    if (!STAND_IN_KEYS.includes(key)) {
      problems.push(
        `${path}.${key} is not a service a stand-in can answer (known: ${STAND_IN_KEYS.join(', ')})`,
      );
    } else if (typeof handlers !== 'object' || handlers === null || Array.isArray(handlers)) {
      problems.push(`${path}.${key} must be an object of operation handlers`);
    } else {
      for (const [operation, handler] of Object.entries(handlers)) {
        if (typeof handler !== 'function') {
          problems.push(`${path}.${key}.${operation} must be a function`);
        }
      }
    }
  }
  return problems;
}

/** A value in the JSON protocols' shapes: a `Date` as epoch seconds, bytes as base64. */
function wireJson(value: unknown): string {
  return JSON.stringify(value ?? {}, function replace(this: Record<string, unknown>, key, json) {
    const raw = this[key];
    if (raw instanceof Date) return raw.getTime() / 1000;
    if (raw instanceof Uint8Array) return Buffer.from(raw).toString('base64');
    return json;
  });
}

/** Where a request is going, as far as its headers and body say. */
interface Destination {
  readonly standIn?: StandInService;
  /** The service's SDK id, or the signing name when it is not known. */
  readonly serviceName: string;
  /** A stand-in's key, or the signing name. */
  readonly serviceKey: string;
  readonly protocol: string;
  readonly operation: string;
  readonly json: boolean;
}

function destinationOf(request: IncomingMessage, body: Buffer): Destination {
  const authorization = String(request.headers.authorization ?? '');
  const signingName = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? '';
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') {
    const dot = target.lastIndexOf('.');
    const prefix = dot < 0 ? target : target.slice(0, dot);
    const operation = dot < 0 ? '' : target.slice(dot + 1);
    const standIn = serviceByTarget(prefix);
    const known = describeSigningName(signingName);
    return {
      standIn,
      serviceName: standIn?.serviceId ?? known?.serviceId ?? (signingName || prefix),
      serviceKey: standIn?.key ?? (signingName || prefix),
      protocol: standIn?.protocol ?? known?.protocol ?? 'JSON',
      operation,
      json: true,
    };
  }
  const known = describeSigningName(signingName);
  const contentType = String(request.headers['content-type'] ?? '');
  const action = contentType.includes('x-www-form-urlencoded')
    ? new URLSearchParams(body.toString('utf8')).get('Action')
    : null;
  return {
    serviceName: known?.serviceId ?? (signingName || 'an unknown service'),
    serviceKey: signingName || 'unknown',
    protocol: action !== null ? 'query' : (known?.protocol ?? 'REST'),
    operation: action ?? `${request.method} ${(request.url ?? '').split('?')[0]}`,
    json: contentType.includes('json'),
  };
}

function respond(
  response: ServerResponse,
  status: number,
  destination: Destination,
  body: { json: unknown } | { error: string; message: string },
): void {
  const contentType = destination.standIn
    ? `application/x-amz-json-${destination.standIn.protocol === 'awsJson1_0' ? '1.0' : '1.1'}`
    : destination.json
      ? 'application/json'
      : 'text/xml';
  let text: string;
  if ('json' in body) text = wireJson(body.json);
  else if (destination.json) text = JSON.stringify({ __type: body.error, message: body.message });
  else {
    const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    text = `<?xml version="1.0" encoding="UTF-8"?><ErrorResponse><Error><Type>Sender</Type><Code>${xml(body.error)}</Code><Message>${xml(body.message)}</Message></Error><RequestId>local</RequestId></ErrorResponse>`;
  }
  response.writeHead(status, {
    'content-type': contentType,
    'content-length': String(Buffer.byteLength(text)),
    'x-amzn-requestid': 'local',
    ...('error' in body ? { 'x-amzn-errortype': body.error } : {}),
  });
  response.end(text);
}

/** Why a call found no stand-in, and what to do: one line. */
function refusal(destination: Destination, variable: string): string {
  const { standIn, serviceName, operation, protocol } = destination;
  if (standIn) {
    return `No stand-in answers ${serviceName} ${operation} in this local run: give standIns.${standIn.key}.${operation} a handler (runLocally's standIns, the jobs file's standIns or --stand-ins), or point ${variable} at a service of your own (env)`;
  }
  return `This local run cannot stand in for ${serviceName} (${protocol} protocol) ${operation}: only for ${STAND_IN_SERVICES.map((s) => s.serviceId).join(', ')}; point ${variable} at a service of your own (env)`;
}

/** Reads a request's body, at most {@link MAX_BODY_BYTES}. */
function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        request.destroy();
        reject(new Error(`request body over ${MAX_BODY_BYTES} bytes`));
      } else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * Starts the stand-in server on a free loopback port.
 *
 * @param standIns - the handlers, by service and operation (checked with {@link standInProblems})
 */
export async function startStandIns(standIns: StandIns = {}): Promise<StandInServer> {
  const calls: StandInCall[] = [];
  const failures: StandInFailure[] = [];
  const state: Record<string, unknown> = {};
  const handlers = standIns as Readonly<Record<string, Readonly<Record<string, StandInHandler>>>>;

  async function answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const destination = destinationOf(request, body);
    const { standIn, operation } = destination;
    const variable = endpointVariable(
      standIn?.serviceId ??
        describeSigningName(destination.serviceKey)?.serviceId ??
        destination.serviceName,
    );
    let input: unknown = {};
    if (destination.json && body.length > 0) {
      try {
        input = JSON.parse(body.toString('utf8'));
      } catch {
        input = body.toString('utf8');
      }
    } else if (!destination.json && body.length > 0) {
      input = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    }
    const handler = standIn ? handlers[standIn.key]?.[operation] : undefined;
    const record = (call: Omit<StandInCall, 'service' | 'operation' | 'input'>) =>
      calls.push({ service: destination.serviceKey, operation, input, ...call });
    if (!handler) {
      const message = refusal(destination, variable);
      failures.push({
        kind: 'no-stand-in',
        service: destination.serviceName,
        operation,
        variable,
        message,
      });
      record({ error: { name: 'NoStandIn', message, status: 400 } });
      // 400, not 5xx: the SDK would retry a server error.
      respond(response, 400, destination, { error: 'NoStandIn', message });
      return;
    }
    const context: StandInContext = {
      state,
      service: destination.serviceKey,
      operation,
      calls: [...calls],
    };
    try {
      const output = await handler(input as Record<string, unknown>, context);
      record({ output });
      respond(response, 200, destination, { json: output });
    } catch (error) {
      const thrown = error instanceof Error ? error : new Error(String(error));
      if (thrown instanceof StandInError || isServiceErrorName(thrown.name)) {
        const status = thrown instanceof StandInError ? thrown.status : 400;
        record({ error: { name: thrown.name, message: thrown.message, status } });
        respond(response, status, destination, { error: thrown.name, message: thrown.message });
        return;
      }
      const message = `The stand-in for ${destination.serviceName} ${operation} threw ${thrown.name}: ${thrown.message}`;
      failures.push({
        kind: 'stand-in-threw',
        service: destination.serviceName,
        operation,
        variable,
        message,
      });
      record({ error: { name: thrown.name, message: thrown.message, status: 500 } });
      respond(response, 500, destination, { error: 'InternalFailure', message });
    }
  }

  const server = createServer((request, response) => {
    answer(request, response).catch((error: unknown) => {
      if (!response.headersSent) {
        response.writeHead(400, { 'content-type': 'text/plain' });
        response.end(String((error as Error)?.message ?? error));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  const environment: Record<string, string> = { AWS_ENDPOINT_URL: url };
  for (const service of STAND_IN_SERVICES) {
    if (handlers[service.key] !== undefined) environment[endpointVariable(service.serviceId)] = url;
  }
  return {
    url,
    calls,
    failures,
    environment,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** Whether an error's name is a service exception's (not one of JavaScript's own errors). */
function isServiceErrorName(name: string): boolean {
  return /^[A-Za-z][A-Za-z0-9_.#:-]{0,127}$/.test(name) && !BUILT_IN_ERRORS.has(name);
}
