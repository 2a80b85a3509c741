/**
 * The benchmark report's explanations read the figures they explain: the slot's CodePipeline
 * call is looked up under the name the SDK middleware records it by, and a figure that was
 * never recorded stops the report instead of reading as zero. The drain's floor is computed
 * from figures of the same run, and a figure it needs that reads zero or is missing stops it.
 */
import { AcknowledgeJobCommand, CodePipelineClient } from '@aws-sdk/client-codepipeline';
import { describe, expect, it } from 'vitest';
import { type DrainFloorInputs, drainFloor, slotCallLatency } from '../../bench/report.js';

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

/** A drain of 1,000 jobs at concurrency 10 with 50 ms per CodePipeline call, as measured. */
const MEASURED: DrainFloorInputs = {
  jobs: 1_000,
  concurrency: 10,
  latencyMs: 50,
  commands: {
    'codepipeline:PollForJobsCommand': 101,
    'codepipeline:AcknowledgeJobCommand': 1_000,
    'codepipeline:PutJobSuccessResultCommand': 1_000,
    'dynamodb:UpdateItemCommand': 3_000,
    'dynamodb:QueryCommand': 1,
  },
  latencyMsPerCall: {
    'codepipeline:AcknowledgeJobCommand': 56.5,
    'codepipeline:PutJobSuccessResultCommand': 58.4,
    'dynamodb:UpdateItemCommand': 9.2,
  },
  cpuMsPerJob: 8.21,
};

describe('drainFloor', () => {
  it('adds the acknowledgements, the first poll and one job tail, and takes the larger of that and the CPU', () => {
    const floor = drainFloor(MEASURED);

    expect(floor.acknowledgementsMs).toBe(5_000);
    expect(floor.firstPollMs).toBe(50);
    // The record and the completion (the claim comes before the acknowledgement), the report.
    expect(floor.tail).toEqual([
      { call: 'dynamodb:UpdateItemCommand', perJob: 2, latencyMs: 9.2 },
      { call: 'codepipeline:PutJobSuccessResultCommand', perJob: 1, latencyMs: 58.4 },
    ]);
    expect(floor.tailMs).toBeCloseTo(76.8, 6);
    expect(floor.latencyMs).toBeCloseTo(5_126.8, 6);
    expect(floor.cpuMs).toBeCloseTo(8_210, 6);
    expect(floor.ms).toBeCloseTo(8_210, 6);
    expect(floor.bound).toBe('CPU');
  });

  it('is the latency floor when the CPU a job needs is less, and rounds the slots up', () => {
    const floor = drainFloor({
      ...MEASURED,
      jobs: 1_001,
      cpuMsPerJob: 2,
      commands: {
        ...MEASURED.commands,
        'codepipeline:PutJobSuccessResultCommand': 1_001,
        'dynamodb:UpdateItemCommand': 3_003,
      },
    });

    expect(floor.acknowledgementsMs).toBe(101 * 50);
    expect(floor.bound).toBe('latency');
    expect(floor.ms).toBeCloseTo(5_050 + 50 + 76.8, 6);
  });

  it('counts failure reports in the tail beside success reports', () => {
    const floor = drainFloor({
      ...MEASURED,
      commands: {
        ...MEASURED.commands,
        'codepipeline:PutJobSuccessResultCommand': 750,
        'codepipeline:PutJobFailureResultCommand': 250,
      },
      latencyMsPerCall: {
        ...MEASURED.latencyMsPerCall,
        'codepipeline:PutJobFailureResultCommand': 60,
      },
    });

    expect(floor.tailMs).toBeCloseTo(2 * 9.2 + 0.75 * 58.4 + 0.25 * 60, 6);
  });

  it.each<[string, Partial<DrainFloorInputs>, RegExp]>([
    ['no CPU per job', { cpuMsPerJob: 0 }, /needs the CPU a job needs, which reads 0/],
    ['a NaN CPU per job', { cpuMsPerJob: Number.NaN }, /the CPU a job needs, which reads NaN/],
    ['no concurrency', { concurrency: 0 }, /needs the concurrency/],
    ['no latency added', { latencyMs: 0 }, /needs the emulator's latency/],
    [
      'no UpdateItem latency',
      { latencyMsPerCall: { 'codepipeline:PutJobSuccessResultCommand': 58.4 } },
      /dynamodb:UpdateItemCommand's latency, which reads missing/,
    ],
    [
      'a report latency of zero',
      {
        latencyMsPerCall: {
          ...MEASURED.latencyMsPerCall,
          'codepipeline:PutJobSuccessResultCommand': 0,
        },
      },
      /PutJobSuccessResultCommand's latency, which reads 0/,
    ],
    [
      'no UpdateItem count',
      { commands: { 'codepipeline:PutJobSuccessResultCommand': 1_000 } },
      /the count of dynamodb:UpdateItemCommand .*reads missing/,
    ],
    [
      'only the claim written',
      {
        commands: {
          'codepipeline:PutJobSuccessResultCommand': 1_000,
          'dynamodb:UpdateItemCommand': 1_000,
        },
      },
      /dynamodb:UpdateItemCommand calls after the acknowledgement .*reads 0/,
    ],
    [
      'no report sent',
      { commands: { 'dynamodb:UpdateItemCommand': 3_000 } },
      /needs the report, which reads missing/,
    ],
  ])('stops when a figure it needs reads zero or is missing: %s', (_, change, message) => {
    expect(() => drainFloor({ ...MEASURED, ...change })).toThrow(message);
  });
});
