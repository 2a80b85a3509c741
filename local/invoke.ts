/**
 * `npm run invoke`: runs the real handler once, as the schedule would, against whatever
 * endpoints the standard AWS variables name, with the same environment variables the
 * deployed Lambda gets. Prints the invocation's result; exits non-zero if the handler threw.
 *
 *   AWS_ENDPOINT_URL_CODEPIPELINE=http://127.0.0.1:4000 \
 *   AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:4567 \
 *   ACTION_CATEGORY=Test ACTION_PROVIDER=BakeTimeGate ACTION_VERSION=1 \
 *   LEDGER_TABLE_NAME=ledger npm run invoke -- --timeout-ms 30000
 *
 * `--event manual|schedule` picks the event (default: schedule); `--event-file F` sends the
 * JSON in F instead (for example a CodePipeline action execution event).
 */
import { readFileSync } from 'node:fs';
import { integerFlag, parseCli, UsageError } from './cli-args.js';
import { importHandler, localContext, scheduledEvent } from './worker-env.js';

const USAGE =
  'usage: npm run invoke -- [--timeout-ms N] [--event schedule|manual | --event-file FILE]';

function eventFrom(flags: { event?: string | boolean; 'event-file'?: string | boolean }): unknown {
  if (typeof flags['event-file'] === 'string') {
    return JSON.parse(readFileSync(flags['event-file'], 'utf8'));
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

async function main(): Promise<void> {
  const flags = parseCli(process.argv.slice(2), {
    'timeout-ms': { type: 'string' },
    event: { type: 'string' },
    'event-file': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flags.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const timeoutMs = integerFlag(flags['timeout-ms'], 'timeout-ms', 60_000, 1_000, 900_000);
  const event = eventFrom(flags);
  const handler = await importHandler();
  try {
    const result = await handler(event, localContext(timeoutMs));
    process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
  } catch (error) {
    const failure =
      error instanceof Error
        ? { name: error.name, message: error.message }
        : { message: String(error) };
    process.stdout.write(`${JSON.stringify({ ok: false, error: failure })}\n`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  const usage = error instanceof UsageError;
  process.stderr.write(
    `${error instanceof Error ? error.message : String(error)}\n${usage ? `${USAGE}\n` : ''}`,
  );
  process.exitCode = usage ? 2 : 1;
});
