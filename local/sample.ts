/**
 * The sample worker as `npm start` runs it: the action type the CDK app deploys by default
 * (read from `cdk.json`), its entry file, and a realistic mix of jobs. Only for this
 * repository: the package's runner takes any action type and any jobs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ActionCategory } from '../lambda/contract.js';
import type { LocalConfigurationProperty, LocalJob, LocalRunPlan } from './runner/options.js';

const context = (
  JSON.parse(readFileSync(new URL('../cdk.json', import.meta.url), 'utf8')) as {
    context: {
      actionCategory: ActionCategory;
      actionProvider: string;
      actionVersion: string;
      configurationProperties: LocalConfigurationProperty[];
      minInputArtifacts: number;
      maxInputArtifacts: number;
      minOutputArtifacts: number;
      maxOutputArtifacts: number;
    };
  }
).context;

/** The sample's action type identity (owner, category, provider, version). */
export const SAMPLE_ACTION_TYPE = {
  owner: 'Custom',
  category: context.actionCategory,
  provider: context.actionProvider,
  version: context.actionVersion,
} as const;

/** Its configuration properties, as `cdk.json` declares them, every flag filled in. */
export const SAMPLE_PROPERTIES = context.configurationProperties.map((property) => ({
  key: false,
  secret: false,
  queryable: false,
  ...property,
  type: property.type as 'String' | 'Number' | 'Boolean' | undefined,
}));

/** The sample's action type, as a local run registers it. */
export const SAMPLE_LOCAL_ACTION_TYPE: LocalRunPlan['actionType'] = {
  category: context.actionCategory,
  provider: context.actionProvider,
  version: context.actionVersion,
  configurationProperties: context.configurationProperties,
  minInputArtifacts: context.minInputArtifacts,
  maxInputArtifacts: context.maxInputArtifacts,
  minOutputArtifacts: context.minOutputArtifacts,
  maxOutputArtifacts: context.maxOutputArtifacts,
};

/** The sample's entry file, unchanged: what `cdk deploy` bundles. */
export const SAMPLE_ENTRY = fileURLToPath(
  new URL('../lambda/handlers/bake-time-gate.ts', import.meta.url),
);

export type SampleJobKind = 'success' | 'configuration-error' | 'long' | 'abandoned-dispatch';

/** The job mix: one of each special kind first (as many as fit), then successes. */
export function jobMix(count: number): SampleJobKind[] {
  const special: SampleJobKind[] = ['configuration-error', 'long', 'abandoned-dispatch'];
  return Array.from({ length: count }, (_, i) =>
    i === 0 ? 'success' : (special[i - 1] ?? 'success'),
  );
}

function configurationFor(kind: SampleJobKind, index: number, longBakeSeconds: number) {
  const base = { Environment: `env-${index}`, NotifyToken: `ntk-${crypto.randomUUID()}` };
  switch (kind) {
    case 'configuration-error':
      return { ...base, BakeTimeSeconds: 'ten' };
    case 'long':
      return { ...base, BakeTimeSeconds: String(longBakeSeconds) };
    default:
      return { ...base, BakeTimeSeconds: String(index % 3 === 0 ? 1 : 0) };
  }
}

/**
 * The sample's jobs: `count` of the mix, each with its own secret token. The abandoned
 * dispatch is listed first, as the runner queues it first.
 *
 * @param longBakeSeconds - how long the long job bakes (it continues until then)
 */
export function sampleJobs(count: number, longBakeSeconds = 12): LocalJob[] {
  const jobs = jobMix(count).map((kind, index) => ({
    name: kind,
    configuration: configurationFor(kind, index, longBakeSeconds),
    firstDispatchAbandoned: kind === 'abandoned-dispatch',
    pipelineContext: { pipelineName: 'demo-pipeline', actionName: `Bake-${index}` },
  }));
  return [
    ...jobs.filter((j) => j.firstDispatchAbandoned),
    ...jobs.filter((j) => !j.firstDispatchAbandoned),
  ];
}
