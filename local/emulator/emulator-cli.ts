/**
 * The emulator's command line: options parsed and checked, the emulator started, one line per
 * API call printed, stopped on SIGINT or SIGTERM. Shared by `npm run emulator` and
 * `codepipeline-job-worker emulator`.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { startEmulator } from './server.js';
import type { CustomActionTypeInput } from './types.js';

const usage = (program: string) => `Usage: ${program} [options]
  --port N                  port to listen on (default 4599; 0 picks a free one)
  --host H                  address to bind (default 127.0.0.1)
  --dispatch-timeout-ms N   re-queue unacknowledged jobs after N ms (default 30000)
  --action-timeout-ms N     time out acknowledged, unreported jobs after N ms (default 24 h)
  --latency-ms N            add N ms to every API call
  --throttle-rate R         answer a share R (0..1) of calls with ThrottlingException
  --error-rate R            answer a share R (0..1) of calls with HTTP 500/503
  --duplicate-rate R        hand a share R (0..1) of dispatches out twice, same nonce
  --seed N                  seed of the fault generator (default 1)
  --account-id ID           12-digit account id (default 123456789012)
  --region R                region used in ARNs (default us-east-1)
  --access-key-id K         access key whose signatures are verified (default local)
  --secret-access-key S     its secret (default local)
  --strict-signatures       refuse requests signed with any other access key
  --action-types FILE       JSON array of CreateCustomActionType inputs to register at start
  --quiet                   do not print one line per API call`;

const OPTIONS = {
  port: { type: 'string', default: '4599' },
  host: { type: 'string', default: '127.0.0.1' },
  'dispatch-timeout-ms': { type: 'string' },
  'action-timeout-ms': { type: 'string' },
  'latency-ms': { type: 'string' },
  'throttle-rate': { type: 'string' },
  'error-rate': { type: 'string' },
  'duplicate-rate': { type: 'string' },
  seed: { type: 'string' },
  'account-id': { type: 'string' },
  region: { type: 'string' },
  'access-key-id': { type: 'string', default: 'local' },
  'secret-access-key': { type: 'string', default: 'local' },
  'strict-signatures': { type: 'boolean', default: false },
  'action-types': { type: 'string' },
  quiet: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

function fail(message: string, code: number): never {
  console.error(message);
  process.exit(code);
}

async function readActionTypes(file: string | undefined): Promise<CustomActionTypeInput[]> {
  if (file === undefined) return [];
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CustomActionTypeInput[];
  } catch (error) {
    return fail(`--action-types: cannot read ${file}: ${String(error)}`, 2);
  }
}

/**
 * Runs the emulator with the command line's options until SIGINT or SIGTERM. Exits the
 * process with status 2 on a bad option, 1 when the emulator cannot start, 0 once stopped.
 *
 * @param argv - the options, without the program's name
 * @param program - how the usage text names the command
 * @example
 * await emulatorCli(['--port', '4599', '--quiet'], 'npm run emulator --');
 */
export async function emulatorCli(argv: string[], program: string): Promise<void> {
  const USAGE = usage(program);
  let values: ReturnType<typeof parseArgs<{ args: string[]; options: typeof OPTIONS }>>['values'];
  try {
    values = parseArgs({ args: argv, options: OPTIONS }).values;
  } catch (error) {
    return fail(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const num = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (!Number.isFinite(value)) fail(`--${name} must be a number, got '${raw}'\n\n${USAGE}`, 2);
    return value;
  };
  const faults = Object.fromEntries(
    Object.entries({
      latencyMs: num('latency-ms', values['latency-ms']),
      throttleRate: num('throttle-rate', values['throttle-rate']),
      errorRate: num('error-rate', values['error-rate']),
      duplicateRate: num('duplicate-rate', values['duplicate-rate']),
      seed: num('seed', values.seed),
    }).filter(([, value]) => value !== undefined),
  );
  const actionTypes = await readActionTypes(values['action-types']);

  const emulator = await startEmulator({
    host: values.host,
    port: num('port', values.port) ?? 4599,
    ...(values['account-id'] ? { accountId: values['account-id'] } : {}),
    ...(values.region ? { region: values.region } : {}),
    ...(values['dispatch-timeout-ms']
      ? { dispatchTimeoutMs: num('dispatch-timeout-ms', values['dispatch-timeout-ms']) }
      : {}),
    ...(values['action-timeout-ms']
      ? { actionTimeoutMs: num('action-timeout-ms', values['action-timeout-ms']) }
      : {}),
    credentials: [
      { accessKeyId: values['access-key-id'], secretAccessKey: values['secret-access-key'] },
    ],
    strictSignatures: values['strict-signatures'],
    faults,
    actionTypes,
    ...(values.quiet
      ? {}
      : {
          onRequest: (e) =>
            console.log(`${e.at} ${e.operation} ${e.statusCode} ${e.outcome} ${e.durationMs}ms`),
        }),
  }).catch((error: unknown) => fail(`cannot start the emulator: ${String(error)}`, 1));

  console.log(`CodePipeline emulator listening on ${emulator.url}`);
  console.log(`  admin API: ${emulator.url}/emulator/jobs (see GET /emulator/health)`);
  console.log(
    `  sign with access key '${emulator.credentials.accessKeyId}' to have signatures verified`,
  );

  const stop = (signal: string) => {
    console.log(`${signal}: stopping the emulator`);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
}
