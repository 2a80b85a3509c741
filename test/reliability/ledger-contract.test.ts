/**
 * The nonce ledger's contract against two DynamoDB implementations: dynalite (in-process,
 * ignores ReturnValuesOnConditionCheckFailure, so the ledger reads the item on a conflict) and
 * AWS's own DynamoDB Local (Java; returns the old item, so the ledger does not read it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamoDb, startDynalite } from '../helpers/dynalite.js';
import {
  dynamoDbLocalUnavailable,
  type RunningDynamoDbLocal,
  startDynamoDbLocal,
} from '../helpers/dynamodb-local.js';
import { ledgerContract } from '../helpers/ledger-contract.js';

describe('on dynalite', () => {
  let db: LocalDynamoDb;

  beforeAll(async () => {
    db = await startDynalite();
  });
  afterAll(() => db.close());

  ledgerContract('dynalite', () => db, { returnsOldItemOnConditionFailure: false });
});

const unavailable = dynamoDbLocalUnavailable();

if (unavailable === undefined) {
  describe('on DynamoDB Local', () => {
    let db: RunningDynamoDbLocal;

    beforeAll(async () => {
      db = await startDynamoDbLocal();
      process.stderr.write(
        `[ledger-contract] DynamoDB Local (pid ${String(db.pid)}) answered after ${db.startupMs} ms at ${db.endpoint}\n`,
      );
    }, 60_000);
    afterAll(() => db?.close());

    ledgerContract('DynamoDB Local', () => db, { returnsOldItemOnConditionFailure: true });
  });
} else {
  // Not skipped silently: the reason is printed, and this test stands where the suite was.
  const notice = `[ledger-contract] NOT RUN against DynamoDB Local: ${unavailable}`;
  process.stderr.write(`\n${notice}\n\n`);
  describe('on DynamoDB Local', () => {
    it('cannot run on this machine (reason printed above)', () => {
      console.warn(notice);
      expect(dynamoDbLocalUnavailable()).toBe(unavailable);
    });
  });
}
