/**
 * The action's Details link finds the job: the Logs Insights query the synthesized action type
 * links to, with CodePipeline's {ExternalExecutionId} filled in as the job was reported, is run
 * over the log lines the real handler wrote, as Logs Insights runs `like` (a substring of the
 * whole line).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { JobProcessor } from '../../lambda/job/processor.js';
import { EXTERNAL_EXECUTION_ID } from '../../lib/console-urls.js';
import { JobWorkerStack } from '../../lib/job-worker-stack.js';
import { readWorkerContext } from '../../samples/worker-context.js';
import { lambdaContext, scheduledEvent } from '../helpers/lambda-context.js';
import { type LocalStack, startLocalStack } from '../helpers/local-stack.js';
import { type CapturedOutput, captureOutput } from '../helpers/telemetry.js';
import { cdkJsonContext } from '../infra/synth.js';

/** The `like` filter of the query the deployed action type's execution URL opens. */
function detailsFilter(): string {
  const app = new App({ context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [] } });
  const config = readWorkerContext(app.node);
  const stack = new JobWorkerStack(app, config.stackName, { worker: config.worker });
  const [actionType] = Object.values(
    Template.fromStack(stack).findResources('AWS::CodePipeline::CustomActionType'),
  );
  const template = actionType?.Properties?.Settings?.ExecutionUrlTemplate as {
    'Fn::Join': [string, unknown[]];
  };
  // Only the literal parts matter: the tokens are the domain, the region and the log group.
  const url = template['Fn::Join'][1].filter((part) => typeof part === 'string').join('');
  const fragment = url.split('#logsV2:logs-insights')[1] ?? '';
  const structure = decodeURIComponent(
    decodeURIComponent(fragment.replace(/\$/g, '%')).replace(/^\?queryDetail=/, ''),
  );
  const editor = /~editorString~'([^~]*)/.exec(structure)?.[1] ?? '';
  const query = decodeURIComponent(editor.replace(/\*/g, '%'));
  const like = /\| filter @message like "([^"]*)"/.exec(query)?.[1];
  expect(like).toContain(EXTERNAL_EXECUTION_ID);
  return like ?? '';
}

const FAST = {
  DEADLINE_MARGIN_MS: '2000',
  LEASE_GRACE_SECONDS: '0',
  POWERTOOLS_LOG_LEVEL: 'DEBUG',
};

describe("the action's Details link", () => {
  let like: string;
  let stack: LocalStack;
  let output: CapturedOutput;

  beforeAll(() => {
    like = detailsFilter();
  });
  beforeEach(async () => {
    stack = await startLocalStack();
  });
  afterEach(async () => {
    output.restore();
    await stack.close();
    vi.unstubAllEnvs();
  });

  /** The id CodePipeline shows for a job: the one its (last) result carried. */
  function reportedId(jobId: string): string | undefined {
    const [result] = stack.emulator.getJob(jobId)?.results ?? [];
    const request = result?.request as {
      executionDetails?: { externalExecutionId?: string };
      failureDetails?: { externalExecutionId?: string };
    };
    return (
      request?.executionDetails?.externalExecutionId ?? request?.failureDetails?.externalExecutionId
    );
  }

  /** The log lines the link's query finds for `externalExecutionId`. */
  function found(externalExecutionId: string): string[] {
    const pattern = like.replace(EXTERNAL_EXECUTION_ID, externalExecutionId);
    return output.lines().filter((line) => line.includes(pattern));
  }

  /** Every log line about one job (every line carries its id). */
  function linesOf(jobId: string): string[] {
    return output.lines().filter((line) => {
      try {
        return (JSON.parse(line) as { jobId?: string }).jobId === jobId;
      } catch {
        return false;
      }
    });
  }

  async function invoke(processor: JobProcessor) {
    await stack.handler(FAST, { processor })(scheduledEvent(), lambdaContext());
  }

  it("finds every line of a job reported with the action execution id (the worker's default)", async () => {
    const id = stack.enqueue({ BakeTimeSeconds: '0' });
    const chatty: JobProcessor = {
      name: 'chatty',
      async process(_job, { logger }) {
        logger.debug('checking the target');
        logger.info('target checked', { healthy: true });
        return { kind: 'failure', failureType: 'JobFailed', message: 'unhealthy' };
      },
    };
    output = captureOutput();

    await invoke(chatty);

    const executionId = reportedId(id);
    expect(executionId).toBe(
      stack.emulator.getJob(id)?.data.pipelineContext?.action?.actionExecutionId,
    );
    const lines = linesOf(id);
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(found(executionId ?? '')).toEqual(lines);
  });

  it("finds the lines of a job reported with the processor's own id, continuations included", async () => {
    const id = stack.enqueue({ BakeTimeSeconds: '0' });
    const build: JobProcessor = {
      name: 'external-build',
      async process(job, { logger }) {
        if (job.continuationToken === undefined) {
          logger.info('build started');
          return { kind: 'continue', continuationToken: 'poll', externalExecutionId: 'build-42' };
        }
        logger.info('build still running');
        logger.debug('build log fetched');
        return { kind: 'success', summary: 'built' };
      },
    };
    output = captureOutput();

    await invoke(build);
    await invoke(build);

    const [first, second] = stack.chain(id);
    expect(reportedId(first?.jobId ?? '')).toBe('build-42');
    // The next job carries the id from its first line, and is reported with it again.
    expect(reportedId(second?.jobId ?? '')).toBe('build-42');
    const secondLines = linesOf(second?.jobId ?? '');
    expect(secondLines.length).toBeGreaterThanOrEqual(3);
    const matched = found('build-42');
    for (const line of secondLines) expect(matched).toContain(line);
    // Of the first job, the line that reported the id; the processor logged 'build started'
    // before it had returned that id, so that line carries the action execution id instead.
    const firstMatched = linesOf(first?.jobId ?? '').filter((line) => matched.includes(line));
    expect(firstMatched.map((line) => JSON.parse(line).message)).toEqual(['job reported']);
    expect(matched.every((line) => line.includes('build-42'))).toBe(true);
  });
});
