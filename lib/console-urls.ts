import { Aws, CfnMapping, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** The placeholder CodePipeline replaces with a job's external execution id. */
export const EXTERNAL_EXECUTION_ID = '{ExternalExecutionId}';

// Alphanumeric markers survive every encoding step below unchanged, so they can be swapped
// for the real values afterwards (a CodePipeline placeholder and a deploy-time token).
const EXECUTION_ID_MARKER = 'XEXTERNALEXECUTIONIDX';
const LOG_GROUP_MARKER = 'XLOGGROUPNAMEX';

const MAPPING_ID = 'ConsoleDomainByPartition';

/**
 * The AWS console's domain for the stack's partition, resolved at deploy time.
 *
 * @param scope - any construct in the stack
 */
export function consoleDomain(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const mapping =
    (stack.node.tryFindChild(MAPPING_ID) as CfnMapping | undefined) ??
    new CfnMapping(stack, MAPPING_ID, {
      mapping: {
        aws: { domain: 'console.aws.amazon.com' },
        'aws-cn': { domain: 'console.amazonaws.cn' },
        'aws-us-gov': { domain: 'console.amazonaws-us-gov.com' },
      },
    });
  return mapping.findInMap(Aws.PARTITION, 'domain');
}

/**
 * A link to a CloudWatch dashboard.
 *
 * @param scope - any construct in the stack
 * @param dashboardName - the dashboard's name (a token is fine)
 */
export function dashboardUrl(scope: IConstruct, dashboardName: string): string {
  return `https://${consoleDomain(scope)}/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${dashboardName}`;
}

/**
 * A link to a Lambda function's page in the console, on its monitoring tab.
 *
 * @param scope - any construct in the stack
 * @param functionName - the function's name (a token is fine)
 */
export function functionUrl(scope: IConstruct, functionName: string): string {
  return `https://${consoleDomain(scope)}/lambda/home?region=${Aws.REGION}#/functions/${functionName}?tab=monitoring`;
}

/**
 * Several log groups for {@link logsInsightsExecutionUrl}'s `logGroupName`: the names, joined by
 * the console's encoding of the separator between two sources of a query.
 *
 * @param names - CloudFormation-generated log group names (tokens are fine)
 */
export function logGroupList(names: readonly string[]): string {
  const separator = encodeURIComponent(`~'`.replace(/[~']/g, (c) => `%${hex(c)}`)).replace(
    /%/g,
    '$',
  );
  return names.join(separator);
}

/**
 * A CodePipeline execution URL template that opens a CloudWatch Logs Insights query over
 * the worker's log group, showing every log line that mentions the job's external
 * execution id (every log line of a job carries `externalExecutionId`, the id the job is
 * reported with: the processor's own when it gave one, else the action execution id).
 *
 * The log group name is inserted without encoding: pass a CloudFormation-generated name
 * (letters, digits and hyphens only), which every encoding step leaves unchanged.
 *
 * @param scope - any construct in the stack
 * @param logGroupName - the worker's log group name (a token is fine), or several joined by
 *   {@link logGroupList}
 * @param lookbackDays - how far back the query searches
 */
export function logsInsightsExecutionUrl(
  scope: IConstruct,
  logGroupName: string,
  lookbackDays: number,
): string {
  const query = [
    'fields @timestamp, level, message, jobId, externalExecutionId',
    `| filter @message like "${EXECUTION_ID_MARKER}"`,
    '| sort @timestamp asc',
    '| limit 1000',
  ].join('\n');
  const detail = encodeQueryDetail(query, -lookbackDays * 86_400);
  return `https://${consoleDomain(scope)}/cloudwatch/home?region=${Aws.REGION}#logsV2:logs-insights${detail}`
    .split(EXECUTION_ID_MARKER)
    .join(EXTERNAL_EXECUTION_ID)
    .split(LOG_GROUP_MARKER)
    .join(logGroupName);
}

/**
 * The console's own encoding of a Logs Insights `queryDetail`: a tilde-separated object
 * whose string values are percent-encoded with `*` for `%`, then the structural
 * characters percent-encoded, then the whole `?queryDetail=` URI-encoded with `$` for `%`.
 */
function encodeQueryDetail(query: string, startSeconds: number): string {
  const structure =
    `~(end~0~start~${startSeconds}~timeType~${text('RELATIVE')}~unit~${text('seconds')}` +
    `~editorString~${text(query)}~source~(~${text(LOG_GROUP_MARKER)}))`;
  const escaped = structure.replace(/[~()']/g, (c) => `%${hex(c)}`);
  return encodeURIComponent(`?queryDetail=${escaped}`).replace(/%/g, '$');
}

function text(value: string): string {
  const encoded = Array.from(new TextEncoder().encode(value), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9.-]/.test(c) ? c : `*${byte.toString(16).padStart(2, '0')}`;
  }).join('');
  return `'${encoded}`;
}

function hex(c: string): string {
  return c.charCodeAt(0).toString(16).toUpperCase();
}
