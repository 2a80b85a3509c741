/**
 * queryParam from the construct to the poll: the action type and the function's environment
 * are read from the synthesized template, the type is registered in the CodePipeline emulator
 * as CloudFormation would register it, and the real handler polls with what the construct
 * gave it. The emulator keeps the real API's rule: a queryable type is never polled without
 * a value for its property.
 */
import {
  CodePipelineClient,
  CreateCustomActionTypeCommand,
  type CreateCustomActionTypeInput,
} from '@aws-sdk/client-codepipeline';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { ActionCategory } from 'aws-cdk-lib/aws-codepipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lambda/config.js';
import { LEDGER_TABLE_ENV } from '../../lambda/contract.js';
import { createHandler } from '../../lambda/create-handler.js';
import { DrainError } from '../../lambda/worker/drain.js';
import { CustomActionJobWorker } from '../../lib/custom-action-job-worker.js';
import { type LocalDynamoDb, startDynalite } from '../../local/dynamodb.js';
import { type RunningEmulator, startEmulator } from '../../local/emulator/index.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { SAMPLE_ENTRY } from '../infra/synth.js';

type Resource = { Type: string; Properties: Record<string, unknown> };

/** The worker a user declares: a queryable Severity, this worker polling for `high`. */
function synthesize(): { actionType: Record<string, unknown>; env: Record<string, unknown> } {
  const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Query');
  new CustomActionJobWorker(stack, 'Worker', {
    category: ActionCategory.BUILD,
    provider: 'SeverityScan',
    entry: SAMPLE_ENTRY,
    configurationProperties: [
      { name: 'Severity', required: true, key: true, queryable: true, description: 'Pool' },
      { name: 'Target', required: false },
    ],
    queryParam: { Severity: 'high' },
  });
  const resources = Object.values(Template.fromStack(stack).toJSON().Resources) as Resource[];
  const of = (type: string) => resources.find((r) => r.Type === type)?.Properties ?? {};
  const fn = of('AWS::Lambda::Function') as { Environment: { Variables: Record<string, unknown> } };
  return { actionType: of('AWS::CodePipeline::CustomActionType'), env: fn.Environment.Variables };
}

/** CloudFormation's properties of AWS::CodePipeline::CustomActionType, as the API's input. */
function registration(properties: Record<string, unknown>): CreateCustomActionTypeInput {
  const lower = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(lower)
      : typeof value === 'object' && value !== null
        ? Object.fromEntries(
            Object.entries(value).map(([k, v]) => [
              k.charAt(0).toLowerCase() + k.slice(1),
              lower(v),
            ]),
          )
        : value;
  const {
    category,
    provider,
    version,
    configurationProperties,
    inputArtifactDetails,
    outputArtifactDetails,
  } = lower(properties) as CreateCustomActionTypeInput;
  return {
    category,
    provider,
    version,
    configurationProperties,
    inputArtifactDetails,
    outputArtifactDetails,
  };
}

describe('queryParam, from the construct to the poll', () => {
  let emulator: RunningEmulator;
  let dynamo: LocalDynamoDb;
  let client: CodePipelineClient;
  let deployed: ReturnType<typeof synthesize>;

  beforeAll(async () => {
    deployed = synthesize();
    emulator = await startEmulator();
    dynamo = await startDynalite();
    client = new CodePipelineClient({
      endpoint: emulator.url,
      region: emulator.region,
      credentials: emulator.credentials,
      maxAttempts: 1,
    });
    await client.send(new CreateCustomActionTypeCommand(registration(deployed.actionType)));
  });
  afterAll(async () => {
    client.destroy();
    await emulator.close();
    await dynamo.close();
  });

  /** The handler the function runs, from the environment the construct gave it. */
  async function handler(env: Record<string, unknown>) {
    const tableName = await dynamo.createLedgerTable();
    const variables = Object.fromEntries(
      Object.entries(env).filter(
        (entry): entry is [string, string] => typeof entry[1] === 'string',
      ),
    );
    return createHandler({
      config: loadConfig({
        ...variables,
        [LEDGER_TABLE_ENV]: tableName,
        DEADLINE_MARGIN_MS: '2000',
      }),
      processor: { name: 'ok', process: async () => ({ kind: 'success', summary: 'scanned' }) },
      codePipelineClient: client,
      dynamoDbClient: dynamo.client(),
    });
  }

  const enqueue = (severity: string) =>
    emulator.enqueueJob({
      actionTypeId: { owner: 'Custom', category: 'Build', provider: 'SeverityScan', version: '1' },
      configuration: { Severity: severity },
    });

  it('passes the value to the function, which polls only the jobs carrying it', async () => {
    expect(deployed.env.QUERY_PARAM).toBe('{"Severity":"high"}');
    const high = [enqueue('high'), enqueue('high')];
    const low = enqueue('low');

    const summary = await (await handler(deployed.env))(scheduledEvent(), lambdaContext());

    expect(summary).toMatchObject({ polled: 2, succeeded: 2 });
    for (const id of high) expect(emulator.getJob(id)?.status).toBe('Succeeded');
    expect(emulator.getJob(low)?.status).toBe('Queued');
  });

  it('fails every poll without it, as CodePipeline does', async () => {
    const { QUERY_PARAM: _, ...withoutQuery } = deployed.env;
    const job = enqueue('high');

    const failing = (await handler(withoutQuery))(scheduledEvent(), lambdaContext());

    await expect(failing).rejects.toBeInstanceOf(DrainError);
    await expect(failing).rejects.toMatchObject({
      cause: {
        name: 'ValidationException',
        message: expect.stringContaining("queryable property 'Severity'"),
      },
    });
    expect(emulator.getJob(job)?.status).toBe('Queued');
  });
});
