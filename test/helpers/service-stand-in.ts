/**
 * A loopback HTTP server that stands in for any AWS service: it checks each request's SigV4
 * signature with the emulator's verifier (the service is the one the credential scope names),
 * records what it received, and answers with what `answer` gives for it.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySigV4 } from '../../local/emulator/sigv4.js';

export interface ReceivedRequest {
  /** The signing name of the credential scope (`s3`, `states`, ...). */
  readonly service: string;
  /** `X-Amz-Target`, the query protocol's `Action`, or the method and path. */
  readonly operation: string;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** The signature's access key id, or why the signature was refused. */
  readonly signature: { accessKeyId: string } | { refused: string };
}

export interface StandInAnswer {
  readonly status: number;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface ServiceStandIn {
  readonly url: string;
  readonly requests: ReceivedRequest[];
  close(): Promise<void>;
}

/** The operation a request asks for, whatever its protocol. */
function operationOf(request: IncomingMessage, body: Buffer): string {
  const target = request.headers['x-amz-target'];
  if (typeof target === 'string') return target;
  const action = new URLSearchParams(body.toString('utf8')).get('Action');
  return action ?? `${request.method} ${request.url}`;
}

/**
 * Starts the stand-in on 127.0.0.1.
 *
 * @param credentials - access key id -> secret the signatures must be made with
 * @param answer - the answer to a received request
 */
export async function startServiceStandIn(
  credentials: ReadonlyMap<string, string>,
  answer: (request: ReceivedRequest) => StandInAnswer,
): Promise<ServiceStandIn> {
  const requests: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const authorization = String(request.headers.authorization ?? '');
      const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1] ?? '';
      let signature: ReceivedRequest['signature'];
      try {
        const { accessKeyId } = verifySigV4(
          {
            method: request.method ?? '',
            url: request.url ?? '',
            rawHeaders: request.rawHeaders,
            body,
          },
          { service, credentials, strict: true, maxClockSkewMs: 900_000, now: Date.now },
        );
        signature = { accessKeyId };
      } catch (error) {
        signature = { refused: (error as Error).message };
      }
      const received: ReceivedRequest = {
        service,
        operation: operationOf(request, body),
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body,
        signature,
      };
      requests.push(received);
      const reply = answer(received);
      response.writeHead(reply.status, {
        connection: 'close',
        ...(reply.contentType ? { 'content-type': reply.contentType } : {}),
        'content-length': String(Buffer.byteLength(reply.body ?? '')),
        ...reply.headers,
      });
      response.end(reply.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
