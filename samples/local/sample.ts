/**
 * The sample worker as `npm start` runs it: the action type the CDK app deploys by default
 * (read from `cdk.json`), its entry file, and a realistic mix of jobs. Only for this
 * repository: the package's runner takes any action type and any jobs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ActionCategory } from '../../lambda/contract.js';
import type {
  LocalActionType,
  LocalConfigurationProperty,
  LocalJob,
  LocalJobExpectation,
  LocalRunPlan,
  LocalRunResult,
} from '../../local/runner/options.js';
import { SAMPLE_PRESETS } from '../presets.js';

const context = (
  JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
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
  new URL('../handlers/bake-time-gate.ts', import.meta.url),
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

/** What a job of the mix is meant to end with: only the wrong configuration fails. */
function expectationOf(kind: SampleJobKind): LocalJobExpectation {
  return kind === 'configuration-error'
    ? { outcome: 'failure', failureType: 'ConfigurationError' }
    : { outcome: 'success' };
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
    expect: expectationOf(kind),
    firstDispatchAbandoned: kind === 'abandoned-dispatch',
    pipelineContext: { pipelineName: 'demo-pipeline', actionName: `Bake-${index}` },
  }));
  return [
    ...jobs.filter((j) => j.firstDispatchAbandoned),
    ...jobs.filter((j) => !j.firstDispatchAbandoned),
  ];
}

const ARTIFACT_POLICY = SAMPLE_PRESETS['artifact-policy'];

/** The artifact policy sample's entry file, unchanged. */
export const ARTIFACT_POLICY_ENTRY = ARTIFACT_POLICY?.entry ?? '';

/** The artifact policy sample's action type, as `-c jobProcessor=artifact-policy` deploys it. */
export const ARTIFACT_POLICY_ACTION_TYPE: LocalActionType = {
  category: ARTIFACT_POLICY?.context.actionCategory as ActionCategory,
  provider: String(ARTIFACT_POLICY?.context.actionProvider),
  version: String(ARTIFACT_POLICY?.context.actionVersion),
  configurationProperties: ARTIFACT_POLICY?.context
    .configurationProperties as LocalConfigurationProperty[],
  minInputArtifacts: Number(ARTIFACT_POLICY?.context.minInputArtifacts),
  maxInputArtifacts: Number(ARTIFACT_POLICY?.context.maxInputArtifacts),
  minOutputArtifacts: Number(ARTIFACT_POLICY?.context.minOutputArtifacts),
  maxOutputArtifacts: Number(ARTIFACT_POLICY?.context.maxOutputArtifacts),
};

/**
 * The artifact policy's jobs: a clean source artifact (it passes, and the report is uploaded),
 * one with a private key and an environment file (it fails, naming them), and one whose
 * configuration is wrong. Their input artifacts are written to the run's S3 store.
 */
export function artifactPolicyJobs(): LocalJob[] {
  const output = [{ name: 'PolicyReport' }];
  return [
    {
      name: 'artifact-clean',
      configuration: {},
      inputArtifacts: [
        {
          name: 'Source',
          files: {
            'README.md': '# service\n',
            'src/index.js': 'export const handler = async () => "ok";\n',
          },
        },
      ],
      outputArtifacts: output,
      expect: { outcome: 'success' },
    },
    {
      name: 'artifact-leaked-key',
      configuration: {},
      inputArtifacts: [
        {
          name: 'Source',
          files: {
            'src/index.js': 'export {};\n',
            '.env': 'DATABASE_PASSWORD=not-for-the-pipeline\n',
            'deploy/key.txt': `-----BEGIN OPENSSH PRIVATE KEY-----\n${'A'.repeat(64)}\n-----END OPENSSH PRIVATE KEY-----\n`,
          },
        },
      ],
      outputArtifacts: output,
      // Fails by design: the policy names what it found.
      expect: { outcome: 'failure', failureType: 'JobFailed', messageIncludes: 'deploy/key.txt' },
    },
    {
      name: 'artifact-bad-config',
      configuration: { MaxFileBytes: 'a lot' },
      inputArtifacts: [{ name: 'Source', files: { 'a.txt': 'a' } }],
      outputArtifacts: output,
      expect: {
        outcome: 'failure',
        failureType: 'ConfigurationError',
        messageIncludes: 'MaxFileBytes',
      },
    },
  ];
}

/**
 * Two runs as one: their jobs in order, their totals added up, and `ok` only when both are.
 *
 * @param runs - the results of runs made one after the other
 */
export function combinedRuns(runs: readonly LocalRunResult[]): LocalRunResult {
  const [first, ...rest] = runs;
  if (!first) throw new Error('combinedRuns needs at least one run');
  return rest.reduce(
    (all, run) => ({
      jobs: [...all.jobs, ...run.jobs],
      totals: Object.fromEntries(
        Object.entries(all.totals).map(([key, value]) => [
          key,
          value + (run.totals[key as keyof typeof run.totals] ?? 0),
        ]),
      ) as unknown as LocalRunResult['totals'],
      logFile: `${all.logFile}, ${run.logFile}`,
      invocationErrors: [...all.invocationErrors, ...run.invocationErrors],
      stopEvents: {
        delivered: all.stopEvents.delivered + run.stopEvents.delivered,
        failed: all.stopEvents.failed + run.stopEvents.failed,
      },
      standIns: {
        calls: [...all.standIns.calls, ...run.standIns.calls],
        failures: [...all.standIns.failures, ...run.standIns.failures],
      },
      problems: [...all.problems, ...run.problems],
      ok: all.ok && run.ok,
    }),
    first,
  );
}
