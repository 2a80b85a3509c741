/** A TCP port on 127.0.0.1, for servers that cannot pick their own. */
import { createServer } from 'node:net';

/**
 * A port that was free on 127.0.0.1 a moment ago: another process may take it before the
 * caller binds it, so a caller retries with a new one if the bind fails.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
