import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobArtifacts } from '../../lambda/artifacts/index.js';
import {
  ALL_SECRET_VALUES,
  type ArtifactStoreFixture,
  artifact,
  artifactStore,
  BUCKET,
  INPUT_KEY,
  zipOf,
} from '../helpers/artifact-store.js';
import { type LocalDynamoDb, startDynalite } from '../helpers/dynalite.js';
import { countingProcessor, uniqueJob, workerHarness } from '../helpers/worker-harness.js';

/**
 * The artifact API inside the real worker: each job's outcome, as reported to CodePipeline,
 * for a job that does its work, one that forgets its output, and ones whose input is bad.
 */
describe('artifact jobs drained by the worker (S3 stand-in, dynalite)', () => {
  let store: ArtifactStoreFixture;
  let db: LocalDynamoDb;
  let dynamoDb: DynamoDBClient;

  beforeAll(async () => {
    store = await artifactStore();
    db = await startDynalite();
    dynamoDb = db.client();
    await store.s3.putObject(BUCKET, INPUT_KEY, await zipOf({ 'src/app.js': 'run()' }));
    await store.s3.putObject(BUCKET, 'p/Build/corrupt', 'this is not a zip');
  });
  afterAll(async () => {
    await db.close();
    await store.close();
  });

  it('reports each job by what its artifacts did, and the batch goes on', async () => {
    const tableName = await db.createLedgerTable();
    const processor = countingProcessor(async (job, context) => {
      const artifacts = jobArtifacts(job, context);
      const source = await artifacts.extract();
      if (job.configuration.Environment === 'forgets-output') return { kind: 'success' };
      const report = join(context.workDirectory, 'report');
      await mkdir(report, { recursive: true });
      await writeFile(join(report, 'files.txt'), source);
      await artifacts.uploadDirectory('BakedOutput', report);
      return { kind: 'success', summary: 'reported' };
    });
    const harness = workerHarness({ dynamoDb, tableName, processor });
    const outputs = (key: string) => ({ outputArtifacts: [artifact('BakedOutput', key)] });
    const works = uniqueJob({ data: outputs('p/Baked/works') });
    const forgets = uniqueJob({
      configuration: { Environment: 'forgets-output' },
      data: outputs('p/Baked/forgets'),
    });
    const corrupt = uniqueJob({
      data: { inputArtifacts: [artifact('BuildOutput', 'p/Build/corrupt')] },
    });
    const missing = uniqueJob({
      data: { inputArtifacts: [artifact('BuildOutput', 'p/Build/missing')] },
    });
    const refused = uniqueJob({
      data: {
        artifactCredentials: {
          accessKeyId: 'ASIAUNKNOWNWORKER000',
          secretAccessKey: 'unknown/secret/EXAMPLE',
          sessionToken: 'IQoJunknownSessionToken==',
        },
      },
    });
    harness.codePipeline.enqueue(works, forgets, corrupt, missing, refused);

    const summary = await harness.worker.drain({ deadline: Date.now() + 30_000 });

    const reported = (job: { id?: string }) => {
      const [result] = harness.codePipeline.resultsFor(job.id as string);
      return result?.kind === 'success'
        ? { kind: 'success' }
        : { kind: result?.kind, ...result?.input.failureDetails };
    };
    expect(reported(works)).toEqual({ kind: 'success' });
    expect(reported(forgets)).toMatchObject({
      kind: 'failure',
      type: 'JobFailed',
      message: expect.stringContaining('output artifact "BakedOutput"'),
    });
    expect(reported(corrupt)).toMatchObject({
      kind: 'failure',
      type: 'JobFailed',
      message: expect.stringMatching(/^Input artifact "BuildOutput" .*not a valid zip archive/),
    });
    expect(reported(missing)).toMatchObject({ kind: 'failure', type: 'RevisionUnavailable' });
    expect(reported(refused)).toMatchObject({ kind: 'failure', type: 'PermissionError' });
    expect(summary).toMatchObject({ succeeded: 1, failed: 4 });
    expect((await store.s3.getObject(BUCKET, 'p/Baked/works'))?.length).toBeGreaterThan(0);
    const everything = JSON.stringify([harness.logs, harness.codePipeline.results]);
    for (const secret of ALL_SECRET_VALUES) expect(everything).not.toContain(secret);
  });
});
