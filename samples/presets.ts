import { fileURLToPath } from 'node:url';
import {
  ARTIFACT_POLICY_ARTIFACTS,
  ARTIFACT_POLICY_PROPERTIES,
} from './processors/artifact-policy-properties.js';

/** A sample processor this app deploys: its entry, and the context it is deployed with. */
export interface SamplePreset {
  /** The entry file (`export const handler = createJobWorkerHandler(...)`). */
  readonly entry: string;
  /**
   * Its action type, stack and service names, as context values: what `-c jobProcessor=name`
   * deploys unless given otherwise.
   */
  readonly context: Readonly<Record<(typeof PRESET_KEYS)[number], unknown>>;
}

/** The context keys a preset sets. */
export const PRESET_KEYS = [
  'stackName',
  'serviceName',
  'actionCategory',
  'actionProvider',
  'actionVersion',
  'configurationProperties',
  'minInputArtifacts',
  'maxInputArtifacts',
  'minOutputArtifacts',
  'maxOutputArtifacts',
] as const;

const entry = (file: string) => fileURLToPath(new URL(`./handlers/${file}`, import.meta.url));

/** The samples by the name `jobProcessor` selects. */
export const SAMPLE_PRESETS: Readonly<Record<string, SamplePreset>> = {
  'bake-time-gate': {
    entry: entry('bake-time-gate.ts'),
    // The same as cdk.json's (a test keeps them equal): cdk.json configures this sample.
    context: {
      stackName: 'CodePipelineJobWorker',
      serviceName: 'codepipeline-job-worker',
      actionCategory: 'Test',
      actionProvider: 'BakeTimeGate',
      actionVersion: '1',
      configurationProperties: [
        {
          name: 'BakeTimeSeconds',
          required: true,
          key: true,
          secret: false,
          queryable: false,
          type: 'Number',
          description: 'Seconds to wait before the action succeeds',
        },
        {
          name: 'Environment',
          required: false,
          key: true,
          secret: false,
          queryable: false,
          type: 'String',
          description: "Name of the environment being baked, shown in the job's logs",
        },
        {
          name: 'NotifyToken',
          required: false,
          key: false,
          secret: true,
          queryable: false,
          type: 'String',
          description:
            'Secret token for notifications; never logged or stored (demonstrates secret handling)',
        },
      ],
      minInputArtifacts: 0,
      maxInputArtifacts: 1,
      minOutputArtifacts: 0,
      maxOutputArtifacts: 0,
    },
  },
  'artifact-policy': {
    entry: entry('artifact-policy.ts'),
    context: {
      // A stack and service of its own: deploying it never replaces the bake-time gate.
      stackName: 'ArtifactPolicyWorker',
      serviceName: 'artifact-policy-worker',
      actionCategory: 'Test',
      actionProvider: 'ArtifactPolicy',
      actionVersion: '1',
      configurationProperties: ARTIFACT_POLICY_PROPERTIES.map((property) => ({ ...property })),
      ...ARTIFACT_POLICY_ARTIFACTS,
    },
  },
};

/**
 * The context values of the preset of `processor` that replace what the app was given. A key
 * given no value takes the preset's. So does a key whose value is cdk.json's own when cdk.json
 * configures another processor: cdk.json's action type describes its processor, not this one.
 * A value given with `-c` (one that differs from cdk.json's) is kept.
 *
 * @param processor - the selected sample
 * @param given - reads a context key as the app sees it (cdk.json, then `-c`)
 * @param cdkJson - cdk.json's `context` block; `{}` when unknown
 */
export function presetOverrides(
  processor: string,
  given: (key: string) => unknown,
  cdkJson: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const preset = SAMPLE_PRESETS[processor];
  if (!preset) return {};
  const otherProcessor = cdkJson.jobProcessor !== undefined && cdkJson.jobProcessor !== processor;
  const overrides: Record<string, unknown> = {};
  for (const key of PRESET_KEYS) {
    const value = given(key);
    const fromCdkJson = key in cdkJson && JSON.stringify(value) === JSON.stringify(cdkJson[key]);
    if (value === undefined || value === '' || (otherProcessor && fromCdkJson)) {
      overrides[key] = preset.context[key];
    }
  }
  return overrides;
}
