import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { expect } from 'vitest';
import { addNagChecks } from '../../lib/nag.js';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The sample's entry file, as a worker's `entry`. */
export const SAMPLE_ENTRY = path.join(REPO_ROOT, 'samples/handlers/bake-time-gate.ts');

/** The `context` block of cdk.json: feature flags and the worker's defaults. */
export function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  return cdkJson.context;
}

/** An App as `cdk synth` builds it, minus bundling, writing to its own temp folder. */
export interface TestApp {
  readonly app: App;
  /** Synthesizes once (cdk-nag runs here) and returns the validation report. */
  synth(): ValidationReport;
  /** Deletes the App's output folder. */
  cleanup(): void;
}

/** The part of the CDK validation report the tests read. */
export interface ValidationReport {
  readonly pluginReports: readonly unknown[];
}

/** Options of {@link createTestApp}. */
export interface TestAppOptions {
  /** Context values to override, as `-c key=value` would. */
  readonly context?: Record<string, unknown>;
  /**
   * Whether aws-cdk-lib's CloudFormation schema validation runs (about 3 s per process).
   * It runs on the deployed stack's test and in the CLI test; variants of the same
   * resources may skip it.
   */
  readonly cfnValidation?: boolean;
}

/**
 * An App with cdk.json's context (overridden by `context`), bundling skipped, cdk-nag
 * registered as in bin/app.ts, and a temporary `outdir`.
 *
 * @param options - context overrides and whether to validate against the CloudFormation schema
 */
export function createTestApp(options: TestAppOptions = {}): TestApp {
  const outdir = mkdtempSync(path.join(tmpdir(), 'job-worker-infra-'));
  const app = new App({
    outdir,
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...options.context },
    builtinCloudFormationValidation: options.cfnValidation ?? true,
  });
  addNagChecks(app);
  return {
    app,
    synth() {
      const assembly = app.synth();
      return JSON.parse(
        readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'),
      ) as ValidationReport;
    },
    cleanup() {
      rmSync(outdir, { recursive: true, force: true });
    },
  };
}

/** Asserts that synthesis left no error or warning annotation on the stack. */
export function expectNoAnnotations(stack: Stack): void {
  const annotations = Annotations.fromStack(stack);
  expect(annotations.findError('*', Match.anyValue())).toEqual([]);
  expect(annotations.findWarning('*', Match.anyValue())).toEqual([]);
}

/** The single resource of a type in a template, with its logical id. */
export function onlyResource(
  resources: Record<string, { Properties?: Record<string, unknown> }>,
): [string, Record<string, unknown>] {
  const entries = Object.entries(resources);
  expect(entries).toHaveLength(1);
  const [logicalId, resource] = entries[0] ?? ['', {}];
  return [logicalId, resource.Properties ?? {}];
}
