/**
 * The execution ledger's contract, written once and registered against each implementation
 * the tests have (the DynamoDB adapter on dynalite, the in-memory one of the worker tests): the
 * same assertions must hold on both.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { ExecutionLedger, ExecutionProgress } from '../../lambda/ports.js';

const T0 = 1_800_000_000_000;

/**
 * Registers the execution ledger's contract tests.
 *
 * @param name - shown in the describe block
 * @param create - a fresh, empty ledger for each test
 */
export function executionLedgerContract(
  name: string,
  create: () => Promise<ExecutionLedger> | ExecutionLedger,
): void {
  describe(`ExecutionLedger contract (${name})`, () => {
    let ledger: ExecutionLedger;
    let id: string;
    let progress: ExecutionProgress;
    let counter = 0;

    beforeEach(async () => {
      ledger = await create();
      counter++;
      id = `exec-${counter}-${Math.random().toString(36).slice(2, 10)}`;
      progress = {
        actionExecutionId: id,
        jobId: `job-${counter}`,
        pipelineName: 'checkout-service',
        pipelineExecutionId: 'pe-1',
        stageName: 'Production',
        actionName: 'Build',
      };
    });

    it('has no record of an execution it never heard of', async () => {
      expect(await ledger.read(id)).toBeUndefined();
    });

    it('records the last continuation token and the job that sent it', async () => {
      await ledger.continued(progress, 'token-1', T0);
      const record = await ledger.continued({ ...progress, jobId: 'job-b' }, 'token-2', T0 + 1);

      expect(record).toMatchObject({
        actionExecutionId: id,
        continuationToken: 'token-2',
        jobId: 'job-b',
        pipelineName: 'checkout-service',
        pipelineExecutionId: 'pe-1',
        stageName: 'Production',
        actionName: 'Build',
        cancelTaken: false,
        finished: false,
      });
      expect(record.canceled).toBeUndefined();
      expect(await ledger.read(id)).toEqual(record);
    });

    it('keeps the first stop reason noted, and when', async () => {
      await ledger.canceled(id, 'abandoned', T0);
      const second = await ledger.canceled(id, 'failed', T0 + 5);

      expect(second.canceled).toEqual({ reason: 'abandoned', at: T0 });
      expect((await ledger.read(id))?.canceled).toEqual({ reason: 'abandoned', at: T0 });
    });

    it('keeps the pipeline keys a stop event gives', async () => {
      const record = await ledger.canceled(id, 'canceled', T0, {
        pipelineName: 'p',
        pipelineExecutionId: 'pe-9',
        stageName: 's',
        actionName: 'a',
      });

      expect(record).toMatchObject({
        pipelineName: 'p',
        pipelineExecutionId: 'pe-9',
        stageName: 's',
        actionName: 'a',
      });
    });

    it('returns the stop from `continued` when the stop was noted first', async () => {
      await ledger.canceled(id, 'canceled', T0);

      const record = await ledger.continued(progress, 'token-1', T0 + 1);

      expect(record.canceled).toEqual({ reason: 'canceled', at: T0 });
      expect(record.continuationToken).toBe('token-1');
    });

    it('returns the token from `canceled` when the execution continued first', async () => {
      await ledger.continued(progress, 'token-1', T0);

      const record = await ledger.canceled(id, 'abandoned', T0 + 1);

      expect(record).toMatchObject({
        continuationToken: 'token-1',
        canceled: { reason: 'abandoned', at: T0 + 1 },
        finished: false,
      });
    });

    it('marks an execution finished, and a later stop sees it', async () => {
      await ledger.continued(progress, 'token-1', T0);
      await ledger.finished(progress, T0 + 1);
      await ledger.finished(progress, T0 + 2);

      const record = await ledger.canceled(id, 'failed', T0 + 3);

      expect(record.finished).toBe(true);
      expect(record.continuationToken).toBe('token-1');
    });

    it('gives the right to cancel exactly once', async () => {
      await ledger.canceled(id, 'abandoned', T0);

      expect(await ledger.takeCancel(id, T0 + 1)).toBe(true);
      expect(await ledger.takeCancel(id, T0 + 2)).toBe(false);
      expect((await ledger.read(id))?.cancelTaken).toBe(true);
    });

    it('gives the right to cancel once to many callers at the same time', async () => {
      await ledger.continued(progress, 'token-1', T0);
      await ledger.canceled(id, 'canceled', T0);

      const taken = await Promise.all(
        Array.from({ length: 8 }, (_, i) => ledger.takeCancel(id, T0 + i)),
      );

      expect(taken.filter(Boolean)).toHaveLength(1);
    });

    it('gives the right to cancel for an execution it had no record of (a refused report)', async () => {
      expect(await ledger.takeCancel(id, T0)).toBe(true);
      expect(await ledger.takeCancel(id, T0)).toBe(false);
    });

    it('keeps executions apart', async () => {
      await ledger.canceled(id, 'abandoned', T0);
      await ledger.takeCancel(id, T0);

      const other = `${id}-other`;
      expect(await ledger.read(other)).toBeUndefined();
      expect(await ledger.takeCancel(other, T0)).toBe(true);
    });
  });
}
