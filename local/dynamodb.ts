/**
 * A DynamoDB-compatible server (dynalite, in-process) on loopback, and nonce-ledger tables
 * shaped like the deployed one (partition key `jobId`, `pending-claims` index on
 * `pendingShard` / `leaseExpiresAt`). Used by `npm start` and by the tests.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LEDGER_SCHEMA } from '../lambda/contract.js';
import { importPeer } from '../lib/optional-peer.js';

export interface LocalDynamoDb {
  readonly endpoint: string;
  /** A client pointed at the server (no retries unless asked). */
  client(options?: { maxAttempts?: number }): DynamoDBClient;
  /** Creates a fresh ledger table and returns its name. */
  createLedgerTable(): Promise<string>;
  close(): Promise<void>;
}

export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Starts dynalite in memory on 127.0.0.1 and a free port.
 *
 * @throws MissingPeerDependencyError when dynalite (an optional peer) is not installed
 */
export async function startDynalite(): Promise<LocalDynamoDb> {
  const { default: dynalite } = await importPeer(
    'dynalite',
    'The local DynamoDB ledger',
    () => import('dynalite'),
  );
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return localDynamoDb(
    `http://127.0.0.1:${port}`,
    () =>
      new Promise<void>((resolve, reject) =>
        server.close((error?: Error) => (error ? reject(error) : resolve())),
      ),
  );
}

/**
 * Clients and ledger tables of a DynamoDB-compatible server that runs at `endpoint`; `close`
 * destroys every client handed out, then calls `stopServer`.
 *
 * @param requestTimeoutMs - the clients' request timeout (none by default)
 */
export function localDynamoDb(
  endpoint: string,
  stopServer: () => Promise<void>,
  requestTimeoutMs?: number,
): LocalDynamoDb {
  const clients: DynamoDBClient[] = [];
  const client = (options: { maxAttempts?: number } = {}) => {
    const created = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: LOCAL_CREDENTIALS,
      maxAttempts: options.maxAttempts ?? 1,
      ...(requestTimeoutMs
        ? { requestHandler: { requestTimeout: requestTimeoutMs, throwOnRequestTimeout: true } }
        : {}),
    });
    clients.push(created);
    return created;
  };
  let admin: DynamoDBClient | undefined;
  return {
    endpoint,
    client,
    async createLedgerTable() {
      const name = `ledger-${randomUUID()}`;
      admin ??= client();
      await createLedgerTable(admin, name);
      return name;
    },
    async close() {
      for (const created of clients) created.destroy();
      await stopServer();
    },
  };
}

/** Creates a table shaped like the one the CDK stack deploys (the contract's schema). */
export async function createLedgerTable(client: DynamoDBClient, name: string): Promise<void> {
  const { partitionKey, pendingIndex } = LEDGER_SCHEMA;
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: partitionKey, AttributeType: 'S' },
        { AttributeName: pendingIndex.partitionKey, AttributeType: 'S' },
        { AttributeName: pendingIndex.sortKey, AttributeType: 'N' },
      ],
      KeySchema: [{ AttributeName: partitionKey, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: pendingIndex.name,
          KeySchema: [
            { AttributeName: pendingIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: pendingIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ],
    }),
  );
}
