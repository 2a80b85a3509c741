import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  dashboardUrl,
  EXTERNAL_EXECUTION_ID,
  functionUrl,
  logGroupList,
  logsInsightsExecutionUrl,
} from '../../lib/console-urls.js';

const LOG_GROUP = 'CodePipelineJobWorker-WorkerLogGroup67ABCFFE-Xy12Ab34Cd56';

/** Undoes the console's encoding of a Logs Insights link, the way the console reads it. */
function decodeInsightsLink(url: string): { structure: string; query: string } {
  const fragment = url.split('#logsV2:logs-insights')[1] ?? '';
  const outer = decodeURIComponent(fragment.replace(/\$/g, '%'));
  const structure = decodeURIComponent(outer.replace(/^\?queryDetail=/, ''));
  const editor = /~editorString~'([^~]*)/.exec(structure)?.[1] ?? '';
  return { structure, query: decodeURIComponent(editor.replace(/\*/g, '%')) };
}

describe('logsInsightsExecutionUrl', () => {
  const url = logsInsightsExecutionUrl(new Stack(), LOG_GROUP, 7);

  it('queries every log line that mentions the external execution id, oldest first', () => {
    expect(decodeInsightsLink(url).query).toBe(
      [
        'fields @timestamp, level, message, jobId, externalExecutionId',
        `| filter @message like "${EXTERNAL_EXECUTION_ID}"`,
        '| sort @timestamp asc',
        '| limit 1000',
      ].join('\n'),
    );
  });

  it('searches the worker log group over the last 7 days', () => {
    const { structure } = decodeInsightsLink(url);
    expect(structure).toMatch(/^~\(end~0~start~-604800~timeType~'RELATIVE~unit~'seconds~/);
    expect(structure).toMatch(new RegExp(`~source~\\(~'${LOG_GROUP}\\)\\)$`));
  });

  it('searches several log groups given as a list', () => {
    const { structure } = decodeInsightsLink(
      logsInsightsExecutionUrl(new Stack(), logGroupList([LOG_GROUP, `${LOG_GROUP}-2`]), 7),
    );
    expect(structure).toMatch(new RegExp(`~source~\\(~'${LOG_GROUP}~'${LOG_GROUP}-2\\)\\)$`));
  });

  it('keeps the {ExternalExecutionId} placeholder literal, once, for CodePipeline to fill in', () => {
    expect(url.split(EXTERNAL_EXECUTION_ID)).toHaveLength(2);
  });

  it('stays well inside the 2048-character limit of a URL template', () => {
    // Tokens (domain, region) render as ~25-character markers; real values are shorter
    // than the allowance added here, and generated log group names stay under 200.
    const withLongName = logsInsightsExecutionUrl(new Stack(), 'L'.repeat(200), 7);
    expect(withLongName.length + 60).toBeLessThan(2048);
  });
});

describe('dashboardUrl', () => {
  it('opens the dashboard by name in the stack region', () => {
    const stack = new Stack();
    const resolved = JSON.stringify(stack.resolve(dashboardUrl(stack, 'MyDashboard')));
    expect(resolved).toContain('/cloudwatch/home?region=');
    expect(resolved).toContain('#dashboards:name=MyDashboard');
    expect(resolved).toContain(
      '"Fn::FindInMap":["ConsoleDomainByPartition",{"Ref":"AWS::Partition"},"domain"]',
    );
  });
});

describe('functionUrl', () => {
  it("opens the function's monitoring tab in the stack region", () => {
    const stack = new Stack();
    const resolved = JSON.stringify(stack.resolve(functionUrl(stack, 'my-worker')));
    expect(resolved).toContain('/lambda/home?region=');
    expect(resolved).toContain('#/functions/my-worker?tab=monitoring');
  });
});
