/**
 * An {@link ExecutionLedger} in memory, with the DynamoDB adapter's rules (the contract in
 * execution-ledger-contract.ts holds for both): the first stop reason is kept, the right to
 * cancel is taken once. `calls` lists every call, for tests that assert on the protocol.
 */
import type { CancelReason } from '../../lambda/job/cancellation.js';
import type { ExecutionLedger, ExecutionProgress, ExecutionRecord } from '../../lambda/ports.js';

type Context = Omit<ExecutionProgress, 'actionExecutionId' | 'jobId'>;

export class MemoryExecutionLedger implements ExecutionLedger {
  readonly records = new Map<string, ExecutionRecord>();
  readonly calls: string[] = [];
  /** When set, every call throws it (a ledger that cannot be reached). */
  failWith: Error | undefined;

  async continued(
    progress: ExecutionProgress,
    continuationToken: string,
    _now: number,
  ): Promise<ExecutionRecord> {
    this.#call(`continued ${progress.actionExecutionId}`);
    const { actionExecutionId, jobId, ...context } = progress;
    return this.#write(actionExecutionId, (old) => ({
      ...old,
      ...defined(context),
      continuationToken,
      jobId,
    }));
  }

  async finished(progress: ExecutionProgress, _now: number): Promise<void> {
    this.#call(`finished ${progress.actionExecutionId}`);
    const { actionExecutionId, jobId: _job, ...context } = progress;
    this.#write(actionExecutionId, (old) => ({ ...defined(context), ...old, finished: true }));
  }

  async canceled(
    actionExecutionId: string,
    reason: CancelReason,
    now: number,
    context: Context = {},
  ): Promise<ExecutionRecord> {
    this.#call(`canceled ${actionExecutionId} ${reason}`);
    return this.#write(actionExecutionId, (old) => ({
      ...defined(context),
      ...old,
      canceled: old.canceled ?? { reason, at: now },
    }));
  }

  async takeCancel(actionExecutionId: string, _now: number): Promise<boolean> {
    this.#call(`takeCancel ${actionExecutionId}`);
    const old = this.records.get(actionExecutionId);
    if (old?.cancelTaken) return false;
    this.#write(actionExecutionId, (record) => ({ ...record, cancelTaken: true }));
    return true;
  }

  async read(actionExecutionId: string): Promise<ExecutionRecord | undefined> {
    this.#call(`read ${actionExecutionId}`);
    return this.records.get(actionExecutionId);
  }

  #call(line: string): void {
    this.calls.push(line);
    if (this.failWith) throw this.failWith;
  }

  #write(
    actionExecutionId: string,
    change: (old: ExecutionRecord) => ExecutionRecord,
  ): ExecutionRecord {
    const old = this.records.get(actionExecutionId) ?? {
      actionExecutionId,
      cancelTaken: false,
      finished: false,
    };
    const next = change(old);
    this.records.set(actionExecutionId, next);
    return next;
  }
}

function defined(context: Context): Context {
  return Object.fromEntries(Object.entries(context).filter(([, value]) => value !== undefined));
}
