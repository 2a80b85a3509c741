/**
 * The cost model: measured durations, log volumes and API calls priced at the list prices
 * below. Every price used is named here, with where it comes from, and printed next to the
 * figures it produces.
 */
import type { DeployedShape } from './infra.js';

/** us-east-1 list prices, USD. */
export const PRICES = {
  lambdaRequestsPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  dynamoWriteRequestUnitsPerMillion: 0.625,
  dynamoReadRequestUnitsPerMillion: 0.125,
  eventBridgeScheduledRule: 0,
  logsIngestionPerGb: 0.5,
  xrayTracesRecordedPerMillion: 5,
  dashboardPerMonth: 3,
  standardAlarmPerMonth: 0.1,
  customMetricPerMonth: 0.3,
  kmsCustomerManagedKeyPerMonth: 1,
} as const;

export const PRICE_NOTES = [
  'Lambda (arm64, us-east-1): $0.20 per million requests, $0.0000133334 per GB-second.',
  'DynamoDB on-demand, Standard table class (us-east-1): $0.625 per million write request units, $0.125 per million read request units: the prices since the on-demand price cut of November 2024, checked in November 2026 against aws.amazon.com/dynamodb/pricing/on-demand/ (which states the terms but not the figures in the stored copy) and a third-party summary of the us-east-1 list (airbyte.com/data-engineering-resources/dynamodb-pricing).',
  'EventBridge scheduled rules: free. CloudWatch Logs ingestion (standard class): $0.50 per GB (GB = 2^30 bytes), counted on each event plus 26 bytes (the per-event overhead CloudWatch Logs counts in PutLogEvents batch sizes; a conservative assumption for billing).',
  'X-Ray: $5.00 per million traces recorded; the first 100,000 traces a month are free (perpetual free tier).',
  "CloudWatch: dashboard $3.00 a month; standard-resolution alarm $0.10 a month per metric it evaluates (a metric math alarm pays for each metric in it); custom metric $0.30 a month (first 10,000 metrics), prorated by the hour: a metric is billed for each of the month's 730 hours in which it is published, so one published only in the hours something happened costs that share; KMS customer-managed key $1.00 a month.",
  'Free tiers (Lambda, DynamoDB, X-Ray) are not subtracted except where said.',
];

/** AWS prices a month as 730 hours. */
export const MONTH_MINUTES = 730 * 60;
const GIB = 2 ** 30;
/** CPU Lambda gives a function: one vCPU at 1,769 MB, proportionally below. */
export const MB_PER_VCPU = 1_769;
/** START, END and REPORT lines (with the X-Ray trace line) of one invocation, bytes. */
export const PLATFORM_LOG_BYTES = 420;
export const PLATFORM_LOG_EVENTS = 3;
export const LOG_EVENT_OVERHEAD_BYTES = 26;
/** Each invocation that finds nothing still queries the pending-claims index once. */
const IDLE_QUERY_READ_UNITS = 0.5;
/** Assumed cold starts a month on a one-minute schedule (one per hour). */
export const COLD_STARTS_PER_MONTH = 730;

export interface CostInputs {
  readonly deployed: DeployedShape;
  /** The warm idle invocation (empty queue). */
  readonly idle: {
    readonly durationMs: number;
    readonly logBytes: number;
    readonly logLines: number;
  };
  /** The worker's cold start (process spawn to exit, this machine). */
  readonly coldStartMs: number;
  /** One drain invocation. */
  readonly drain: {
    readonly jobs: number;
    readonly durationMs: number;
    readonly cpuMs: number;
    readonly logBytes: number;
    readonly logLines: number;
    readonly dynamoWrites: number;
    readonly dynamoReads: number;
  };
  readonly ledgerItemBytes: number;
  /** The custom metrics (EMF) the idle invocation published: those billed every hour. */
  readonly idleMetrics: readonly string[];
}

export interface CostLine {
  readonly item: string;
  readonly quantity: string;
  readonly usd: number;
}

export interface CostReport {
  readonly idleInvocationsPerMonth: number;
  readonly idle: CostLine[];
  readonly idleTotal: number;
  readonly idleXRay: CostLine;
  readonly fixed: CostLine[];
  readonly fixedTotal: number;
  /** An idle month and its fixed monitoring: what a worker costs before its first job. */
  readonly idleWithMonitoringTotal: number;
  readonly perMillionJobs: CostLine[];
  readonly perMillionJobsTotal: number;
  readonly vcpuShare: number;
  /** Duration per job on the deployed memory size: the larger of latency and CPU bounds. */
  readonly projectedMsPerJob: number;
  readonly writeUnitsPerJob: number;
}

const sum = (lines: readonly CostLine[]) => lines.reduce((total, line) => total + line.usd, 0);

function logCost(bytes: number, events: number): number {
  return ((bytes + events * LOG_EVENT_OVERHEAD_BYTES) / GIB) * PRICES.logsIngestionPerGb;
}

/**
 * The monitoring a worker pays for whatever its load: dashboards, alarms (per metric they
 * evaluate), the custom metrics it publishes even when idle (every hour of the month), and the
 * customer-managed keys. Counters sent only when something happened are billed per hour used,
 * which the per-job figures do not include: at most $0.30 a month each, in a month with jobs
 * every hour.
 *
 * @param deployed - what the stack deploys
 * @param idleMetrics - the metrics an idle invocation publishes
 */
export function fixedMonitoring(
  deployed: Pick<DeployedShape, 'dashboards' | 'alarmMetrics' | 'customerManagedKeys'>,
  idleMetrics: readonly string[],
): CostLine[] {
  return [
    {
      item: 'CloudWatch dashboard',
      quantity: String(deployed.dashboards),
      usd: deployed.dashboards * PRICES.dashboardPerMonth,
    },
    {
      item: 'CloudWatch alarms (standard), per metric evaluated',
      quantity: String(deployed.alarmMetrics),
      usd: deployed.alarmMetrics * PRICES.standardAlarmPerMonth,
    },
    {
      item: 'CloudWatch custom metrics (EMF) published by an idle worker, every hour',
      quantity: `${idleMetrics.length}${idleMetrics.length > 0 ? ` (${idleMetrics.join(', ')})` : ''}`,
      usd: idleMetrics.length * PRICES.customMetricPerMonth,
    },
    {
      item: 'KMS customer-managed key (ledger)',
      quantity: String(deployed.customerManagedKeys),
      usd: deployed.customerManagedKeys * PRICES.kmsCustomerManagedKeyPerMonth,
    },
  ];
}

/** An idle month: scheduled invocations that find nothing, and their cold starts. */
function idleMonth(inputs: CostInputs): { invocations: number; lines: CostLine[] } {
  const { deployed, idle } = inputs;
  const gb = deployed.memoryMb / 1024;
  const invocations = MONTH_MINUTES / deployed.scheduleMinutes;
  const billedIdleMs = Math.ceil(idle.durationMs);
  const idleLogBytes = idle.logBytes + PLATFORM_LOG_BYTES;
  const idleLogEvents = idle.logLines + PLATFORM_LOG_EVENTS;
  const lines: CostLine[] = [
    {
      item: 'Lambda requests',
      quantity: `${invocations.toLocaleString('en-US')} invocations`,
      usd: (invocations / 1e6) * PRICES.lambdaRequestsPerMillion,
    },
    {
      item: 'Lambda duration (warm)',
      quantity: `${billedIdleMs} ms billed x ${deployed.memoryMb} MB each`,
      usd: invocations * (billedIdleMs / 1000) * gb * PRICES.lambdaArmGbSecond,
    },
    {
      item: 'Lambda init (cold starts)',
      quantity: `${COLD_STARTS_PER_MONTH} a month (assumed: one an hour) x ${Math.ceil(inputs.coldStartMs)} ms`,
      usd: COLD_STARTS_PER_MONTH * (inputs.coldStartMs / 1000) * gb * PRICES.lambdaArmGbSecond,
    },
    { item: 'EventBridge schedule', quantity: deployed.scheduleExpression, usd: 0 },
    {
      item: 'DynamoDB reads (expired-claims query)',
      quantity: `${IDLE_QUERY_READ_UNITS} RRU per invocation`,
      usd: ((invocations * IDLE_QUERY_READ_UNITS) / 1e6) * PRICES.dynamoReadRequestUnitsPerMillion,
    },
    {
      item: 'CloudWatch Logs ingestion',
      quantity: `${idleLogBytes} bytes, ${idleLogEvents} events per invocation (${idle.logBytes} from the worker, ${PLATFORM_LOG_BYTES} from Lambda)`,
      usd: invocations * logCost(idleLogBytes, idleLogEvents),
    },
  ];
  return { invocations, lines };
}

/** A million jobs, from one drain's duration, CPU, writes, reads and logs. */
function perMillionJobs(inputs: CostInputs) {
  const { deployed, drain } = inputs;
  const gb = deployed.memoryMb / 1024;
  const vcpuShare = Math.min(1, deployed.memoryMb / MB_PER_VCPU);
  const measuredMsPerJob = drain.durationMs / drain.jobs;
  const cpuMsPerJob = drain.cpuMs / drain.jobs;
  const projectedMsPerJob = Math.max(measuredMsPerJob, cpuMsPerJob / vcpuShare);
  // A write of an item up to 1 KB is one unit; the pending-claims index is written when a
  // claim enters it and again when the outcome removes it.
  const unitsPerTableWrite = Math.max(1, Math.ceil(inputs.ledgerItemBytes / 1024));
  const tableWritesPerJob = drain.dynamoWrites / drain.jobs;
  const writeUnitsPerJob = tableWritesPerJob * unitsPerTableWrite + 2;
  const million = 1e6;
  const invocationsPerMillion = million / drain.jobs;
  const lines: CostLine[] = [
    {
      item: 'Lambda duration',
      quantity: `${projectedMsPerJob.toFixed(1)} ms per job at ${deployed.memoryMb} MB (${vcpuShare.toFixed(2)} vCPU: ${cpuMsPerJob.toFixed(2)} ms CPU / ${vcpuShare.toFixed(2)}, or ${measuredMsPerJob.toFixed(1)} ms measured, whichever is larger)`,
      usd: million * (projectedMsPerJob / 1000) * gb * PRICES.lambdaArmGbSecond,
    },
    {
      item: 'Lambda requests',
      quantity: `${invocationsPerMillion.toLocaleString('en-US')} invocations of ${drain.jobs} jobs`,
      usd: (invocationsPerMillion / 1e6) * PRICES.lambdaRequestsPerMillion,
    },
    {
      item: 'DynamoDB writes',
      quantity: `${writeUnitsPerJob.toFixed(1)} WRU per job (${tableWritesPerJob.toFixed(2)} table writes of a ${inputs.ledgerItemBytes}-byte item + 2 index writes)`,
      usd: ((million * writeUnitsPerJob) / 1e6) * PRICES.dynamoWriteRequestUnitsPerMillion,
    },
    {
      item: 'DynamoDB reads',
      quantity: `${(drain.dynamoReads / drain.jobs).toFixed(3)} queries per job (0.5 RRU each)`,
      usd:
        ((million * (drain.dynamoReads / drain.jobs) * 0.5) / 1e6) *
        PRICES.dynamoReadRequestUnitsPerMillion,
    },
    {
      item: 'CloudWatch Logs ingestion',
      quantity: `${(drain.logBytes / drain.jobs).toFixed(0)} bytes, ${(drain.logLines / drain.jobs).toFixed(2)} events per job`,
      usd: million * logCost(drain.logBytes / drain.jobs, drain.logLines / drain.jobs),
    },
    {
      item: 'X-Ray traces',
      quantity: `one per invocation`,
      usd: (invocationsPerMillion / 1e6) * PRICES.xrayTracesRecordedPerMillion,
    },
  ];
  return { lines, vcpuShare, projectedMsPerJob, writeUnitsPerJob };
}

/** Prices an idle month, the fixed monitoring, and a million jobs. */
export function estimateCosts(inputs: CostInputs): CostReport {
  const { invocations, lines: idleLines } = idleMonth(inputs);
  const fixed = fixedMonitoring(inputs.deployed, inputs.idleMetrics);
  const perMillion = perMillionJobs(inputs);
  return {
    idleInvocationsPerMonth: invocations,
    idle: idleLines,
    idleTotal: sum(idleLines),
    idleXRay: {
      item: 'X-Ray traces (active tracing)',
      quantity: `${invocations.toLocaleString('en-US')} traces: inside the 100,000-a-month free tier; at list price`,
      usd: (invocations / 1e6) * PRICES.xrayTracesRecordedPerMillion,
    },
    fixed,
    fixedTotal: sum(fixed),
    idleWithMonitoringTotal: sum(idleLines) + sum(fixed),
    perMillionJobs: perMillion.lines,
    perMillionJobsTotal: sum(perMillion.lines),
    vcpuShare: perMillion.vcpuShare,
    projectedMsPerJob: perMillion.projectedMsPerJob,
    writeUnitsPerJob: perMillion.writeUnitsPerJob,
  };
}
