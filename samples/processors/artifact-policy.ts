/**
 * Sample processor: an artifact policy check. It extracts the job's one input artifact,
 * checks every file against the action's configuration (forbidden file names, private key
 * blocks, file and total sizes), writes a JSON report to the job's output artifact when it
 * has one, and fails the action with `JobFailed` naming the first findings when the policy is
 * broken. Useful on its own: its defaults catch private keys and secret files in an artifact.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type JobArtifacts,
  type JobArtifactsOptions,
  jobArtifacts,
  type UploadResult,
} from '../../lambda/artifacts/index.js';
import type { Job, JobOutcome, JobProcessor, ProcessingContext } from '../../lambda/index.js';
import { type ArtifactPolicy, readArtifactPolicy } from './artifact-policy-config.js';
import { type Finding, type ScanResult, scanArtifact } from './artifact-policy-scan.js';

/** The report's file name inside the output artifact (a zip archive). */
export const REPORT_FILE = 'artifact-policy-report.json';
/** Findings named in a failure message; the report has them all. */
export const FINDINGS_IN_MESSAGE = 5;
const REPORT_VERSION = 1;
/** Paths longer than this are shortened in messages (not in the report). */
const MESSAGE_PATH_CHARS = 200;

/** Options of {@link artifactPolicy}. */
export interface ArtifactPolicyOptions {
  /** Options of the artifact API: limits, endpoint. @default its defaults */
  readonly artifacts?: JobArtifactsOptions;
}

/** The JSON report the check writes (`version` 1). */
export interface ArtifactPolicyReport {
  readonly version: number;
  readonly input: { readonly name: string; readonly revision: string | null };
  readonly policy: {
    readonly forbiddenPatterns: readonly string[];
    readonly exemptPatterns: readonly string[];
    readonly detectPrivateKeys: boolean;
    readonly maxFileBytes: number;
    readonly maxTotalBytes: number | null;
  };
  readonly summary: {
    readonly passed: boolean;
    readonly filesScanned: number;
    readonly filesExempt: number;
    readonly totalBytes: number;
    readonly findings: number;
  };
  readonly findings: readonly Finding[];
}

function buildReport(
  job: Job,
  input: string,
  policy: ArtifactPolicy,
  scan: ScanResult,
): ArtifactPolicyReport {
  return {
    version: REPORT_VERSION,
    input: {
      name: input,
      revision: job.inputArtifacts.find((artifact) => artifact.name === input)?.revision ?? null,
    },
    policy: {
      forbiddenPatterns: policy.forbidden.map((glob) => glob.pattern),
      exemptPatterns: policy.exempt.map((glob) => glob.pattern),
      detectPrivateKeys: policy.detectPrivateKeys,
      maxFileBytes: policy.maxFileBytes,
      maxTotalBytes: policy.maxTotalBytes ?? null,
    },
    summary: {
      passed: scan.findings.length === 0,
      filesScanned: scan.filesScanned,
      filesExempt: scan.filesExempt,
      totalBytes: scan.totalBytes,
      findings: scan.findings.length,
    },
    findings: scan.findings,
  };
}

/** A path as a message shows it: quoted (control characters escaped), long ones shortened. */
function shownPath(path: string): string {
  const short =
    path.length <= MESSAGE_PATH_CHARS
      ? path
      : `${path.slice(0, MESSAGE_PATH_CHARS / 2)}…${path.slice(-MESSAGE_PATH_CHARS / 2)}`;
  return JSON.stringify(short);
}

function describeFinding(finding: Finding): string {
  switch (finding.rule) {
    case 'forbidden-pattern':
      return `${shownPath(finding.path)}: forbidden-pattern (matches ${JSON.stringify(finding.pattern)})`;
    case 'private-key':
      return `${shownPath(finding.path)}: private-key (line ${finding.line})`;
    case 'file-too-large':
      return `${shownPath(finding.path)}: file-too-large (${finding.bytes} bytes, limit ${finding.limit})`;
    case 'total-too-large':
      return `total-too-large (${finding.bytes} bytes in all, limit ${finding.limit})`;
  }
}

/** `Artifact policy: 2 findings in input artifact "Src" (3 files scanned): ...; and 1 more`. */
export function failureMessage(input: string, scan: ScanResult): string {
  const { findings } = scan;
  const shown = findings.slice(0, FINDINGS_IN_MESSAGE).map(describeFinding).join('; ');
  const more = findings.length > FINDINGS_IN_MESSAGE;
  const noun = findings.length === 1 ? 'finding' : 'findings';
  return `Artifact policy: ${findings.length} ${noun} in input artifact "${input}" (${scan.filesScanned} files scanned): ${shown}${more ? `; and ${findings.length - FINDINGS_IN_MESSAGE} more` : ''}`;
}

/** Writes the report into a directory of its own and uploads it as the output's zip. */
async function uploadReport(
  artifacts: JobArtifacts,
  output: string,
  report: ArtifactPolicyReport,
  context: ProcessingContext,
): Promise<UploadResult> {
  const directory = join(context.workDirectory, 'artifact-policy-report');
  await mkdir(directory, { recursive: true });
  await writeFile(join(directory, REPORT_FILE), `${JSON.stringify(report, null, 2)}\n`);
  return artifacts.uploadDirectory(output, directory);
}

/**
 * The output the report goes to: the job's only output, none when it has none.
 *
 * @returns the name, or a ConfigurationError outcome for several outputs
 */
function reportOutput(artifacts: JobArtifacts): string | undefined | JobOutcome {
  const names = artifacts.outputNames;
  if (names.length <= 1) return names[0];
  return {
    kind: 'failure',
    failureType: 'ConfigurationError',
    message: `The artifact policy writes one report, but the action has ${names.length} output artifacts (${names.map((name) => `"${name}"`).join(', ')}): give it one or none`,
  };
}

/**
 * Builds the artifact policy processor. Configuration (all optional): `ForbiddenPatterns`,
 * `ExemptPatterns`, `DetectPrivateKeys`, `MaxFileBytes`, `MaxTotalBytes` (see the README).
 *
 * @param options - the artifact API's options
 * @example
 * export const handler = createJobWorkerHandler(artifactPolicy());
 */
export function artifactPolicy(options: ArtifactPolicyOptions = {}): JobProcessor {
  return {
    name: 'artifact-policy',
    async process(job: Job, context: ProcessingContext): Promise<JobOutcome> {
      const read = readArtifactPolicy(job.configuration);
      if (read.policy === undefined) {
        return {
          kind: 'failure',
          failureType: 'ConfigurationError',
          message: read.problems.join('; '),
        };
      }
      const { policy } = read;
      const artifacts = jobArtifacts(job, context, options.artifacts);
      const output = reportOutput(artifacts);
      if (typeof output === 'object') return output;
      // The only input: a job with none or several fails with ConfigurationError naming them.
      const root = await artifacts.extract();
      const input = artifacts.inputNames[0] ?? '';
      const scan = await scanArtifact(root, policy, context.signal);
      const report = buildReport(job, input, policy, scan);
      context.logger.info('artifact policy checked', {
        artifact: input,
        filesScanned: scan.filesScanned,
        filesExempt: scan.filesExempt,
        totalBytes: scan.totalBytes,
        findings: scan.findings.length,
        rules: [...new Set(scan.findings.map((finding) => finding.rule))],
      });
      if (scan.findings.length > 0) return failed(input, scan, output, artifacts, report, context);
      const uploaded = output ? await uploadReport(artifacts, output, report, context) : undefined;
      return {
        kind: 'success',
        summary: `Artifact policy passed: ${scan.filesScanned} files, ${scan.totalBytes} bytes in input artifact "${input}"`,
        outputVariables: {
          FilesScanned: String(scan.filesScanned),
          TotalBytes: String(scan.totalBytes),
          Findings: '0',
          ...(uploaded ? { ReportKey: uploaded.objectKey } : {}),
        },
      };
    },
  };
}

/**
 * The failure for a broken policy. The report is still uploaded, as the record of what was
 * found (CodePipeline passes no output of a failed action on, but it stays in the artifact
 * store); if that upload fails, the policy's failure is reported all the same, saying so.
 */
async function failed(
  input: string,
  scan: ScanResult,
  output: string | undefined,
  artifacts: JobArtifacts,
  report: ArtifactPolicyReport,
  context: ProcessingContext,
): Promise<JobOutcome> {
  let where = '';
  if (output) {
    try {
      const uploaded = await uploadReport(artifacts, output, report, context);
      where = `. Report: output artifact "${output}" (s3://${uploaded.bucketName}/${uploaded.objectKey})`;
    } catch (error) {
      context.logger.warn('artifact policy report not uploaded', {
        artifact: output,
        error: error instanceof Error ? error.name : 'Error',
      });
      where = `. The report could not be uploaded to output artifact "${output}" (${error instanceof Error ? error.message : 'unknown error'})`;
    }
  }
  return {
    kind: 'failure',
    failureType: 'JobFailed',
    message: `${failureMessage(input, scan)}${where}`,
  };
}
