/**
 * The benchmark report's explanations read the figures they explain: the slot's CodePipeline
 * call is looked up under the name the SDK middleware records it by, and a figure that was
 * never recorded stops the report instead of reading as zero.
 */
import { AcknowledgeJobCommand, CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { slotCallLatency } from '../../bench/report.js';

/** The key bench/drain-invoke.ts records an AcknowledgeJob under, from the SDK's own context. */
async function recordedKey(): Promise<string> {
  const client = new CodePipelineClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  });
  let key = '';
  client.middlewareStack.add(
    (_next, context) => async () => {
      key = `codepipeline:${context.commandName}`;
      return { output: { $metadata: {} } as never, response: {} };
    },
    { step: 'initialize', name: 'recordKey' },
  );
  await client.send(new AcknowledgeJobCommand({ jobId: 'j', nonce: 'n' }));
  client.destroy();
  return key;
}

describe('slotCallLatency', () => {
  it('reads the AcknowledgeJob latency under the name the SDK records it by', async () => {
    const key = await recordedKey();

    expect(key).toBe('codepipeline:AcknowledgeJobCommand');
    expect(slotCallLatency({ [key]: 55.6, 'codepipeline:PollForJobsCommand': 56 })).toBe(55.6);
  });

  it('stops the report when no AcknowledgeJob latency was recorded, or it reads zero', () => {
    expect(() => slotCallLatency({ 'codepipeline:PollForJobsCommand': 56 })).toThrow(
      'the drain recorded no AcknowledgeJob latency (calls recorded: codepipeline:PollForJobsCommand)',
    );
    expect(() => slotCallLatency({ 'codepipeline:AcknowledgeJobCommand': 0 })).toThrow(
      /no AcknowledgeJob latency/,
    );
  });
});
