/**
 * A reference for the worker's CPU per job: what the AWS SDK alone costs per call on this
 * machine. Bundled like the worker and run in a process of its own; it sends
 * `BENCH_SDK_CALLS` small conditional UpdateItem calls (10 at a time) to DynamoDB with the
 * worker's own client settings and writes the CPU time per call to `BENCH_REPORT_FILE`.
 */
import { writeFileSync } from 'node:fs';
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient } from '../lambda/clients.js';
import { loadConfig } from '../lambda/config.js';

const config = loadConfig(process.env);
const client = createDynamoDbClient(config);
const calls = Number(process.env.BENCH_SDK_CALLS ?? 2_000);

async function send(count: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      await client.send(
        new UpdateItemCommand({
          TableName: config.ledgerTableName,
          Key: { jobId: { S: `sdk-${i % 200}` } },
          ConditionExpression: 'attribute_not_exists(#s) OR #s <> :done',
          UpdateExpression: 'SET #s = :s',
          ExpressionAttributeNames: { '#s': 'state' },
          ExpressionAttributeValues: { ':s': { S: 'claimed' }, ':done': { S: 'done' } },
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: 10 }, lane));
}

await send(200); // warm-up: connections, JIT, credentials
const before = process.cpuUsage();
const started = performance.now();
await send(calls);
const cpu = process.cpuUsage(before);
const file = process.env.BENCH_REPORT_FILE;
if (!file) throw new Error('BENCH_REPORT_FILE is not set');
writeFileSync(
  file,
  JSON.stringify({
    calls,
    cpuMsPerCall: (cpu.user + cpu.system) / 1000 / calls,
    wallMsPerCall: (performance.now() - started) / calls,
  }),
);
process.exit(0);
