/**
 * What the CDK app deploys by default, read from its synthesized template (bundling
 * skipped), so the cost model uses the deployed memory, schedule and monitoring rather than
 * numbers copied by hand.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { JobWorkerStack } from '../lib/job-worker-stack.js';
import { readWorkerContext } from '../samples/worker-context.js';
import { REPO_ROOT } from './paths.js';

export interface DeployedShape {
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly architectures: string[];
  readonly tracing: string;
  /** `rate(1 minute)`. */
  readonly scheduleExpression: string;
  readonly scheduleMinutes: number;
  readonly alarms: number;
  /** Metrics the alarms evaluate: CloudWatch bills an alarm per metric in it. */
  readonly alarmMetrics: number;
  readonly dashboards: number;
  readonly customerManagedKeys: number;
  readonly environment: Record<string, string>;
}

type Resource = { Type: string; Properties?: Record<string, unknown> };

function minutesOf(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours)\)$/.exec(expression);
  if (!match) throw new Error(`unexpected schedule ${expression}`);
  return Number(match[1]) * (match[2]?.startsWith('hour') ? 60 : 1);
}

/** Synthesizes the app's default stack (as `cdk synth` with cdk.json's context). */
export function synthesizeDefaultStack(): DeployedShape {
  const outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-bench-'));
  try {
    const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
      context: Record<string, unknown>;
    };
    const app = new App({
      outdir,
      context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [] },
    });
    const config = readWorkerContext(app.node);
    const stack = new JobWorkerStack(app, config.stackName, { worker: config.worker });
    const template = app.synth().getStackArtifact(stack.artifactId).template as {
      Resources: Record<string, Resource>;
    };
    const resources = Object.values(template.Resources);
    const count = (type: string) => resources.filter((r) => r.Type === type).length;
    const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function')?.Properties ?? {};
    const schedule = resources
      .filter((r) => r.Type === 'AWS::Events::Rule')
      .map((r) => r.Properties?.ScheduleExpression)
      .find((expression): expression is string => typeof expression === 'string');
    if (!schedule) throw new Error('the stack has no schedule rule');
    const variables = (fn.Environment as { Variables?: Record<string, unknown> } | undefined)
      ?.Variables;
    return {
      memoryMb: Number(fn.MemorySize),
      timeoutSeconds: Number(fn.Timeout),
      architectures: (fn.Architectures as string[] | undefined) ?? ['x86_64'],
      tracing: String((fn.TracingConfig as { Mode?: string } | undefined)?.Mode ?? 'PassThrough'),
      scheduleExpression: schedule,
      scheduleMinutes: minutesOf(schedule),
      alarms: count('AWS::CloudWatch::Alarm'),
      alarmMetrics: resources
        .filter((r) => r.Type === 'AWS::CloudWatch::Alarm')
        .reduce((total, alarm) => {
          const queries =
            (alarm.Properties?.Metrics as { MetricStat?: unknown }[] | undefined) ?? [];
          return total + Math.max(1, queries.filter((query) => query.MetricStat).length);
        }, 0),
      dashboards: count('AWS::CloudWatch::Dashboard'),
      customerManagedKeys: count('AWS::KMS::Key'),
      environment: Object.fromEntries(
        Object.entries(variables ?? {}).filter(([, value]) => typeof value === 'string'),
      ) as Record<string, string>,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
