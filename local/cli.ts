#!/usr/bin/env node
/**
 * The `codepipeline-job-worker` command, for projects that build their own custom action:
 *
 *   codepipeline-job-worker init [dir] [--category C] [--provider P] [--property Name:required]...
 *   codepipeline-job-worker run --entry src/handler.ts --jobs jobs.json [--json]
 *   codepipeline-job-worker invoke --entry src/handler.ts [--create-table] [--event-file F]
 *   codepipeline-job-worker emulator [--port 4599] [--action-types types.json]
 *
 * Exit status: 0 on success, 1 when the run or the invocation failed, 2 on a usage error (a
 * bad flag, an invalid jobs file, an `--entry` that does not exist or a `--handler` it does not
 * export, a value or a folder `init` refuses).
 */
import { UsageError } from './cli-args.js';
import { failureOf } from './commands/exit-status.js';
import { initCommand } from './commands/init-command.js';
import { INVOKE_FLAGS, invokeCommand } from './commands/invoke-command.js';
import { RUN_FLAGS, runCommand } from './commands/run-command.js';
import { emulatorCli } from './emulator/emulator-cli.js';
import { quietNodeVersionWarning } from './sdk-warning.js';

const PROGRAM = 'codepipeline-job-worker';
const USAGE = `usage: ${PROGRAM} <command> [flags]

  init      [dir] [--category C] [--provider P] [--property Name[:required][:secret]]... (init --help for all)
            creates a custom action project in an empty folder: the construct's app, a
            processor, its test and jobs file, ready for npm test, npm start and cdk synth
  run       ${RUN_FLAGS}
            runs the jobs of a jobs file through your entry's handler, with the local
            CodePipeline emulator and DynamoDB ledger, and prints what happened to each job
  invoke    --entry FILE ${INVOKE_FLAGS.replace('[--entry FILE] ', '')}
            invokes your entry's handler once against the endpoints the AWS variables name
  emulator  [--port N] [--action-types FILE] [--quiet] ... (emulator --help for all)
            runs the CodePipeline emulator alone until Ctrl-C

<command> --help (or -h) prints the command's usage.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  quietNodeVersionWarning();
  switch (command) {
    case 'init':
      return initCommand(rest);
    case 'run':
      return runCommand(rest);
    case 'invoke':
      return invokeCommand(rest);
    case 'emulator':
      await emulatorCli(rest, `${PROGRAM} emulator`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => {
    const { status, message, showUsage } = failureOf(error);
    process.stderr.write(`${message}\n${showUsage ? `${USAGE}\n` : ''}`);
    process.exitCode = status;
  },
);
