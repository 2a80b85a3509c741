/**
 * Where a local run sends the AWS services it does not emulate: a loopback server that
 * answers every request with an error saying so. Without it, a processor's S3 or STS call
 * would go to the real service (and fail there, signed with dummy credentials); with it, no
 * request leaves the machine and the job's failure message says what to do.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const NOT_EMULATED_MESSAGE =
  'This local run emulates CodePipeline and DynamoDB only: point this service at a stand-in of your own with its AWS_ENDPOINT_URL_ variable, such as AWS_ENDPOINT_URL_S3 (runLocally option env)';

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
  const server = createServer((req, res) => {
    refused++;
    req.resume();
    // 400, not 5xx: the SDK would retry a server error. The header carries the error code for
    // JSON protocols, the XML body for S3 and the query protocols.
    res.writeHead(400, {
      'content-type': 'application/xml',
      'x-amzn-errortype': 'NotEmulated',
      'x-amzn-requestid': 'local',
    });
    res.end(req.method === 'HEAD' ? undefined : xml);
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
