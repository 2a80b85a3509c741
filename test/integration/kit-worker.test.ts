/**
 * The kit inside the worker: a processor that calls parseConfiguration on a bad configuration
 * fails its job as a ConfigurationError whose message lists every problem, without a secret.
 */
import { describe, expect, it } from 'vitest';
import type { StandardSchemaV1 } from '../../lambda/kit/index.js';
import { integer, parseConfiguration, properties, secret } from '../../lambda/kit/index.js';
import { SECRETS } from '../helpers/jobs.js';
import { countingProcessor, uniqueJob, workerOnDynalite } from '../helpers/worker-harness.js';

/** A validator of another vendor whose message quotes the value it received. */
const quoting: StandardSchemaV1<unknown, string> = {
  '~standard': {
    version: 1,
    vendor: 'quoting',
    validate: (value) => ({ issues: [{ message: `Invalid token: received "${String(value)}"` }] }),
  },
};

describe('the processor kit in the worker', () => {
  const { setup } = workerOnDynalite();

  it('fails the job as a ConfigurationError naming every problem, without the secret value', async () => {
    const schema = properties({
      BakeTimeSeconds: integer({ min: 1, max: 60 }),
      RetryCount: integer(),
      ApiToken: secret(quoting),
    });
    const processor = countingProcessor(async (job) => {
      parseConfiguration(job, schema);
      return { kind: 'success' };
    });
    const { codePipeline, worker } = await setup({ processor });
    const job = uniqueJob({ configuration: { BakeTimeSeconds: '600' } });
    codePipeline.enqueue(job);

    await worker.drain({ deadline: Date.now() + 30_000 });

    const [result] = codePipeline.resultsFor(job.id as string);
    const details = result?.kind === 'failure' ? result.input.failureDetails : undefined;
    expect(details).toEqual({
      type: 'ConfigurationError',
      message:
        "The action configuration is invalid: BakeTimeSeconds: must be an integer from 1 to 60; RetryCount: is required; ApiToken: is invalid (the validator's message is withheld: it quotes the secret value)",
      externalExecutionId: expect.any(String),
    });
    expect(JSON.stringify(result)).not.toContain(SECRETS.apiToken);
  });
});
