/**
 * `--create-table` of the invoke command: the ledger table, created from the contract's schema
 * in whatever DynamoDB endpoint the environment names, if it does not exist yet.
 */
import {
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import { LEDGER_TABLE_ENV } from '../../lambda/contract.js';
import { UsageError } from '../cli-args.js';
import { createLedgerTable } from '../dynamodb.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the table named by `LEDGER_TABLE_NAME` unless it exists, and waits until it and its
 * index are active. The client takes its endpoint, region and credentials from the standard
 * AWS variables (`AWS_ENDPOINT_URL_DYNAMODB`, ...), as the worker's does.
 *
 * @returns whether the table was created or already there
 * @throws UsageError when `LEDGER_TABLE_NAME` is not set
 */
export async function ensureLedgerTable(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 60_000,
): Promise<'created' | 'exists'> {
  const name = env[LEDGER_TABLE_ENV];
  if (!name) throw new UsageError(`--create-table needs ${LEDGER_TABLE_ENV}: the table's name`);
  const client = new DynamoDBClient({ requestHandler: { requestTimeout: 5_000 } });
  try {
    let created: 'created' | 'exists' = 'created';
    try {
      await createLedgerTable(client, name);
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
      created = 'exists';
    }
    // A real DynamoDB (or dynalite with its default delays) creates a table asynchronously.
    for (const deadline = Date.now() + timeoutMs; ; await sleep(250)) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
      const indexes = Table?.GlobalSecondaryIndexes ?? [];
      if (Table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) {
        return created;
      }
      if (Date.now() > deadline)
        throw new Error(`table ${name} is not active after ${timeoutMs} ms`);
    }
  } finally {
    client.destroy();
  }
}
