/**
 * A stand-in for the artifact store on loopback: it answers HeadObject with the metadata a
 * test gives per object key, and records the requests, so the processor's real S3 client is
 * tested without AWS.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeObject {
  readonly size: number;
  /** `aws:kms`, `AES256`, or undefined for none. */
  readonly encryption?: string;
  /** Answers this HTTP status instead (403, 404, ...). */
  readonly status?: number;
}

export interface FakeS3 {
  readonly url: string;
  readonly requests: { method: string; path: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

/** @param objects - by object key; any other key answers `fallback` */
export async function startFakeS3(
  objects: Readonly<Record<string, FakeObject>>,
  fallback: FakeObject = { size: 0, status: 404 },
): Promise<FakeS3> {
  const requests: FakeS3['requests'] = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    requests.push({ method: req.method ?? '', path, headers: req.headers });
    // Path-style addressing (the SDK uses it for an IP endpoint): /bucket/key.
    const key = path.split('/').slice(2).join('/');
    const object = objects[key] ?? fallback;
    res.writeHead(object.status ?? 200, {
      'content-length': String(object.size),
      ...(object.encryption ? { 'x-amz-server-side-encryption': object.encryption } : {}),
    });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
