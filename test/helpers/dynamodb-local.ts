/**
 * AWS's own DynamoDB Local (the Java server shipped inside the npm package
 * `amplify-dynamodb-simulator`), started in memory on a free loopback port for one test file.
 * Unlike dynalite it implements `ReturnValuesOnConditionCheckFailure`, so the ledger's tests
 * run against it too (see `ledger-contract.ts`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { type LocalDynamoDb, localDynamoDb } from '../../local/dynamodb.js';
import { freePort } from '../../local/free-port.js';

const STARTUP_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;
/** A request to a JVM that stopped answering fails after this, instead of hanging the test. */
const REQUEST_TIMEOUT_MS = 10_000;

export interface DynamoDbLocalFiles {
  readonly jar: string;
  readonly libraryPath: string;
}

/** Why DynamoDB Local cannot run here, or undefined when it can (Java and the jar are present). */
export function dynamoDbLocalUnavailable(): string | undefined {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8', timeout: 15_000 });
  if (java.error || java.status !== 0) {
    const why = java.error?.message ?? `exit status ${String(java.status)}`;
    return `no working Java runtime (\`java -version\` failed: ${why}); install a JRE 17+ to run the ledger contract against DynamoDB Local`;
  }
  if (!dynamoDbLocalFiles()) {
    return 'the npm package amplify-dynamodb-simulator (which ships DynamoDBLocal.jar) is not installed; run `npm ci`';
  }
  return undefined;
}

/** Where the jar and its native libraries are, inside node_modules. */
export function dynamoDbLocalFiles(): DynamoDbLocalFiles | undefined {
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('amplify-dynamodb-simulator/package.json');
  } catch {
    return undefined;
  }
  const dir = join(dirname(packageJson), 'emulator');
  const files = {
    jar: join(dir, 'DynamoDBLocal.jar'),
    libraryPath: join(dir, 'DynamoDBLocal_lib'),
  };
  return existsSync(files.jar) && existsSync(files.libraryPath) ? files : undefined;
}

export interface RunningDynamoDbLocal extends LocalDynamoDb {
  /** How long the server took from spawn to answering ListTables. */
  readonly startupMs: number;
  readonly pid: number | undefined;
}

/**
 * Starts DynamoDB Local in memory (`-inMemory -disableTelemetry`) on a free port, in a
 * temporary working directory (it writes a metadata file there), and waits until it answers.
 * `close()` stops that one process (SIGTERM, then SIGKILL) and removes the directory.
 *
 * The server listens on every interface (it has no option to bind to one); the tests only
 * ever talk to it on 127.0.0.1.
 */
export async function startDynamoDbLocal(): Promise<RunningDynamoDbLocal> {
  const files = dynamoDbLocalFiles();
  if (!files)
    throw new Error('DynamoDBLocal.jar not found: is amplify-dynamodb-simulator installed?');
  let lastError: unknown;
  // A free port can be taken between the probe and the server's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(files, await freePort());
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

async function startOnce(files: DynamoDbLocalFiles, port: number): Promise<RunningDynamoDbLocal> {
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'dynamodb-local-'));
  const child = spawn(
    'java',
    [
      `-Djava.library.path=${files.libraryPath}`,
      '-jar',
      files.jar,
      '-inMemory',
      '-disableTelemetry',
      '-port',
      String(port),
    ],
    { cwd: workDir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  // If the test process dies without afterAll, do not leave the JVM behind.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const db = localDynamoDb(
    `http://127.0.0.1:${port}`,
    async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      rmSync(workDir, { recursive: true, force: true });
    },
    REQUEST_TIMEOUT_MS,
  );
  try {
    await waitUntilReady(db.client(), exited, () => output);
  } catch (error) {
    await db.close();
    throw error;
  }
  return { ...db, startupMs: Date.now() - started, pid: child.pid };
}

async function waitUntilReady(
  probe: DynamoDBClient,
  exited: Promise<number | null>,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  let exitCode: number | null | undefined;
  void exited.then((code) => {
    exitCode = code;
  });
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(`DynamoDB Local exited (${String(exitCode)}) while starting:\n${output()}`);
    }
    try {
      await probe.send(new ListTablesCommand({}));
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`DynamoDB Local did not answer within ${STARTUP_TIMEOUT_MS} ms:\n${output()}`);
}
