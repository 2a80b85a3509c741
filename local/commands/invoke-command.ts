/**
 * The invoke command (`npm run invoke`, `codepipeline-job-worker invoke`): runs an entry's
 * handler once, as the schedule would, against whatever endpoints the standard AWS variables
 * name, with the environment variables the deployed function gets. Prints the invocation's
 * result as one JSON line on stdout, alone: the function's logs and metrics go to stderr.
 */
import { readFileSync } from 'node:fs';
import { integerFlag, parseCli, UsageError } from '../cli-args.js';
import { localContext, scheduledEvent } from '../lambda-runtime.js';
import { importEntryHandler } from '../runner/load-handler.js';
import { ensureLedgerTable } from './create-ledger-table.js';

export const INVOKE_FLAGS =
  '[--entry FILE] [--handler NAME] [--timeout-ms N] [--event schedule|manual | --event-file FILE] [--create-table]';

/** What `invoke --help` prints. */
export const INVOKE_USAGE = `usage: codepipeline-job-worker invoke --entry FILE ${INVOKE_FLAGS.replace('[--entry FILE] ', '')}

Invokes your entry's handler once, as the schedule would, against the endpoints the standard
AWS variables name (AWS_ENDPOINT_URL_CODEPIPELINE, AWS_ENDPOINT_URL_DYNAMODB, ...), and prints
its result as one JSON line. --create-table first creates the ledger table LEDGER_TABLE_NAME
names. Exit status 0 when the handler returned, 1 when it threw, 2 on a usage error.`;

function eventFrom(flags: { event?: string; 'event-file'?: string }): unknown {
  if (flags['event-file'] !== undefined) {
    let text: string;
    try {
      text = readFileSync(flags['event-file'], 'utf8');
    } catch (error) {
      throw new UsageError(
        `--event-file: cannot read ${flags['event-file']}: ${(error as Error).message}`,
      );
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new UsageError(
        `--event-file: ${flags['event-file']} is not JSON: ${(error as Error).message}`,
      );
    }
  }
  switch (flags.event ?? 'schedule') {
    case 'schedule':
      return scheduledEvent();
    case 'manual':
      return {};
    default:
      throw new UsageError('--event must be schedule or manual');
  }
}

/**
 * Runs the invoke command.
 *
 * @param argv - its flags
 * @param defaultEntry - the entry to run without `--entry` (none: `--entry` is required)
 * @param usage - what `--help` prints
 * @returns the exit status: 0 when the handler returned (or after `--help`), 1 when it threw
 * @throws UsageError on a bad flag
 */
export async function invokeCommand(
  argv: string[],
  defaultEntry?: string,
  usage = INVOKE_USAGE,
): Promise<number> {
  const flags = parseCli(argv, {
    entry: { type: 'string' },
    handler: { type: 'string' },
    'timeout-ms': { type: 'string' },
    event: { type: 'string' },
    'event-file': { type: 'string' },
    'create-table': { type: 'boolean' },
  });
  if (flags.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const entry = flags.entry ?? defaultEntry;
  if (entry === undefined) throw new UsageError('--entry is required');
  if (flags.event !== undefined && flags['event-file'] !== undefined) {
    throw new UsageError('give --event or --event-file, not both');
  }
  const timeoutMs = integerFlag(flags['timeout-ms'], 'timeout-ms', 60_000, 1_000, 900_000);
  const event = eventFrom(flags);
  if (flags['create-table']) {
    const table = await ensureLedgerTable();
    process.stderr.write(`ledger table ${process.env.LEDGER_TABLE_NAME}: ${table}\n`);
  }
  const answer = await onStderr(async () => {
    const handler = await importEntryHandler(entry, flags.handler ?? 'handler');
    try {
      return { ok: true, result: await handler(event, localContext(timeoutMs)) };
    } catch (error) {
      const failure =
        error instanceof Error
          ? { name: error.name, message: error.message }
          : { message: String(error) };
      return { ok: false, error: failure };
    }
  });
  process.stdout.write(`${JSON.stringify(answer)}\n`);
  return answer.ok ? 0 : 1;
}

/**
 * Runs `work` with whatever it writes to stdout sent to stderr instead: the function's log
 * lines and EMF metrics (Powertools writes them to stdout, as Lambda expects), so that stdout
 * carries the result alone and can be piped.
 */
async function onStderr<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof write;
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}
