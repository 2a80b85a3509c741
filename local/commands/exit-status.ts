/**
 * The exit status of a local command that threw: 2 for what the caller got wrong (a flag, the
 * jobs file, an `--entry` that does not exist, a `--handler` the entry does not export, a
 * value or a folder `init` refuses), 1
 * for what failed while running (an entry that throws while loading, a server, the handler).
 */
import { UsageError } from '../cli-args.js';
import { InitRefusedError } from '../init/action-spec.js';
import { EntryError } from '../runner/load-handler.js';
import { LocalRunPlanError } from '../runner/plan.js';

export const USAGE_STATUS = 2;
export const FAILURE_STATUS = 1;

/** What to print for a thrown error, and the exit status. */
export function failureOf(error: unknown): {
  readonly status: number;
  readonly message: string;
  /** Whether the command's usage text should follow the message. */
  readonly showUsage: boolean;
} {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof UsageError) return { status: USAGE_STATUS, message, showUsage: true };
  if (
    error instanceof LocalRunPlanError ||
    error instanceof InitRefusedError ||
    (error instanceof EntryError && error.problem !== 'load-failed')
  ) {
    return { status: USAGE_STATUS, message, showUsage: false };
  }
  return { status: FAILURE_STATUS, message, showUsage: false };
}
