/**
 * A report as the ledger keeps it between "the processor returned" and "the report was
 * accepted": a DynamoDB map with every field of {@link Report} written out, so that a later
 * invocation sends exactly what this one would have sent.
 *
 * Size: DynamoDB counts a map as its elements' names and values in UTF-8, plus 3 bytes and 1
 * byte per element. The largest report the API accepts is a success whose output variables
 * take 122,880 bytes of names and values (`LIMITS.outputVariablesBytes`); every name holds at
 * least one byte, so the map's own overhead is at most as large again, and the summary,
 * execution id and revision fields (at most 3 bytes per UTF-16 unit of their limits) add under
 * 25 KB: under 275 KB in all, inside DynamoDB's 400 KB item limit with the ledger's
 * bookkeeping. A string holds the value the API receives, never a JSON text of it, whose
 * escapes could grow a value sixfold.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { CurrentRevision, FailureType } from '../job/outcome.js';
import { FAILURE_TYPES } from '../job/outcome.js';
import type { FailureReport, Report, SuccessReport } from '../worker/report.js';

type AttributeMap = Record<string, AttributeValue>;

/** The map's field names. */
const F = {
  kind: 'kind',
  continuationToken: 'continuationToken',
  executionDetails: 'executionDetails',
  summary: 'summary',
  externalExecutionId: 'externalExecutionId',
  percentComplete: 'percentComplete',
  outputVariables: 'outputVariables',
  currentRevision: 'currentRevision',
  revision: 'revision',
  changeIdentifier: 'changeIdentifier',
  created: 'created',
  revisionSummary: 'revisionSummary',
  failureType: 'failureType',
  message: 'message',
} as const;

/** Only the fields that are set: DynamoDB has no `undefined`. */
function fields(entries: Record<string, AttributeValue | undefined>): AttributeMap {
  const map: AttributeMap = {};
  for (const [name, value] of Object.entries(entries)) if (value !== undefined) map[name] = value;
  return map;
}

const str = (value: string | undefined): AttributeValue | undefined =>
  value === undefined ? undefined : { S: value };
const num = (value: number | undefined): AttributeValue | undefined =>
  value === undefined ? undefined : { N: String(value) };
const map = (value: AttributeMap | undefined): AttributeValue | undefined =>
  value === undefined ? undefined : { M: value };

function encodeRevision(revision: CurrentRevision): AttributeMap {
  return fields({
    [F.revision]: str(revision.revision),
    [F.changeIdentifier]: str(revision.changeIdentifier),
    [F.created]: num(revision.created?.getTime()),
    [F.revisionSummary]: str(revision.revisionSummary),
  });
}

function encodeSuccess(report: SuccessReport): AttributeMap {
  const details = report.executionDetails;
  const variables = report.outputVariables;
  return fields({
    [F.kind]: str('success'),
    [F.continuationToken]: str(report.continuationToken),
    [F.executionDetails]: map(
      details &&
        fields({
          [F.summary]: str(details.summary),
          [F.externalExecutionId]: str(details.externalExecutionId),
          [F.percentComplete]: num(details.percentComplete),
        }),
    ),
    [F.outputVariables]: map(
      variables &&
        Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, { S: value }])),
    ),
    [F.currentRevision]: map(report.currentRevision && encodeRevision(report.currentRevision)),
  });
}

function encodeFailure(report: FailureReport): AttributeMap {
  return fields({
    [F.kind]: str('failure'),
    [F.failureType]: str(report.failureType),
    [F.message]: str(report.message),
    [F.externalExecutionId]: str(report.externalExecutionId),
  });
}

/**
 * The report as a DynamoDB map attribute value.
 *
 * @param report - a report as `toReport` builds it (within the API's limits, secrets removed)
 */
export function encodeReport(report: Report): AttributeValue {
  return { M: report.kind === 'failure' ? encodeFailure(report) : encodeSuccess(report) };
}

const readString = (value: AttributeValue | undefined): string | undefined => value?.S;

function readNumber(value: AttributeValue | undefined): number | undefined {
  const parsed = value?.N === undefined ? Number.NaN : Number(value.N);
  return Number.isFinite(parsed) ? parsed : undefined;
}

function decodeRevision(value: AttributeValue | undefined): CurrentRevision | undefined {
  const m = value?.M;
  const revision = readString(m?.[F.revision]);
  const changeIdentifier = readString(m?.[F.changeIdentifier]);
  if (!m || revision === undefined || changeIdentifier === undefined) return undefined;
  const created = readNumber(m[F.created]);
  return {
    revision,
    changeIdentifier,
    created: created === undefined ? undefined : new Date(created),
    revisionSummary: readString(m[F.revisionSummary]),
  };
}

function decodeSuccess(m: AttributeMap): SuccessReport {
  const details = m[F.executionDetails]?.M;
  const variables = m[F.outputVariables]?.M;
  return {
    kind: 'success',
    continuationToken: readString(m[F.continuationToken]),
    executionDetails: details && {
      summary: readString(details[F.summary]),
      externalExecutionId: readString(details[F.externalExecutionId]),
      percentComplete: readNumber(details[F.percentComplete]),
    },
    outputVariables:
      variables &&
      Object.fromEntries(Object.entries(variables).map(([name, value]) => [name, value.S ?? ''])),
    currentRevision: decodeRevision(m[F.currentRevision]),
  };
}

function decodeFailure(m: AttributeMap): FailureReport | undefined {
  const failureType = readString(m[F.failureType]);
  const message = readString(m[F.message]);
  if (!FAILURE_TYPES.includes(failureType as FailureType) || message === undefined) {
    return undefined;
  }
  return {
    kind: 'failure',
    failureType: failureType as FailureType,
    message,
    externalExecutionId: readString(m[F.externalExecutionId]),
  };
}

/**
 * The report a ledger item holds; undefined when it holds none, or none this version can read.
 *
 * @param value - the item's `report` attribute
 */
export function decodeReport(value: AttributeValue | undefined): Report | undefined {
  const m = value?.M;
  if (!m) return undefined;
  switch (readString(m[F.kind])) {
    case 'success':
      return decodeSuccess(m);
    case 'failure':
      return decodeFailure(m);
    default:
      return undefined;
  }
}
