/**
 * Where a local run sends the AWS services it does not emulate: a loopback server that
 * answers every request with an error saying so. Without it, a processor's S3 or STS call
 * would go to the real service (and fail there, signed with dummy credentials); with it, no
 * request leaves the machine and the job's failure message says what to do.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const NOT_EMULATED_MESSAGE =
  'This local run emulates CodePipeline, DynamoDB and the S3 artifact store only: point this service at a stand-in of your own with its AWS_ENDPOINT_URL_ variable, such as AWS_ENDPOINT_URL_SECRETS_MANAGER (runLocally option env)';

export interface NotEmulatedServer {
  readonly url: string;
  /** Requests refused so far. */
  readonly refused: number;
  close(): Promise<void>;
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Starts the refusing server on a free loopback port. */
export async function startNotEmulated(): Promise<NotEmulatedServer> {
  let refused = 0;
  const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>NotEmulated</Code><Message>${escapeXml(NOT_EMULATED_MESSAGE)}</Message></Error>`;
  const json = JSON.stringify({ __type: 'NotEmulated', message: NOT_EMULATED_MESSAGE });
  const server = createServer((req, res) => {
    refused++;
    req.resume();
    // Each protocol reads its own error shape: JSON for the JSON protocols (an X-Amz-Target
    // or a JSON body), XML for S3 and the query protocols. 400, not 5xx: the SDK would retry
    // a server error.
    const contentType = req.headers['content-type'] ?? '';
    const asJson = req.headers['x-amz-target'] !== undefined || contentType.includes('json');
    res.writeHead(400, {
      'content-type': asJson ? 'application/x-amz-json-1.1' : 'application/xml',
      'x-amzn-errortype': 'NotEmulated',
      'x-amzn-requestid': 'local',
    });
    res.end(req.method === 'HEAD' ? undefined : asJson ? json : xml);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get refused() {
      return refused;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
