/**
 * `npm run invoke`: runs the sample's handler (or `--entry`'s) once, as the schedule would,
 * against whatever endpoints the standard AWS variables name, with the same environment
 * variables the deployed Lambda gets. Prints the invocation's result; exits non-zero if the
 * handler threw.
 *
 *   AWS_ENDPOINT_URL_CODEPIPELINE=http://127.0.0.1:4000 \
 *   AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:4567 \
 *   ACTION_CATEGORY=Test ACTION_PROVIDER=BakeTimeGate ACTION_VERSION=1 \
 *   LEDGER_TABLE_NAME=ledger npm run invoke -- --create-table --timeout-ms 30000
 *
 * `--event manual|schedule` picks the event (default: schedule); `--event-file F` sends the
 * JSON in F instead (`local/events/action-started.json` is a CodePipeline STARTED event);
 * `--create-table` first creates the ledger table named by LEDGER_TABLE_NAME if it is missing.
 */
import { failureOf } from '../../local/commands/exit-status.js';
import { INVOKE_FLAGS, invokeCommand } from '../../local/commands/invoke-command.js';
import { quietNodeVersionWarning } from '../../local/sdk-warning.js';
import { SAMPLE_ENTRY } from './sample.js';

const USAGE = `usage: npm run invoke -- ${INVOKE_FLAGS}`;

quietNodeVersionWarning();

invokeCommand(process.argv.slice(2), SAMPLE_ENTRY, USAGE).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    const { status, message, showUsage } = failureOf(error);
    process.stderr.write(`${message}\n${showUsage ? `${USAGE}\n` : ''}`);
    process.exitCode = status;
  },
);
