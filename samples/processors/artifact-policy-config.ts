/**
 * How a job's configuration values of the artifact policy are read (the properties' declarations
 * and defaults are in `artifact-policy-properties.ts`, which the CDK app reads too).
 */
import {
  DEFAULT_FORBIDDEN_PATTERNS,
  DEFAULT_MAX_FILE_BYTES,
  NO_PATTERNS,
  POLICY_PROPERTY,
} from './artifact-policy-properties.js';
import { compileGlob, type PathGlob, UNSUPPORTED_GLOB_CHARACTERS } from './path-glob.js';

export {
  ARTIFACT_POLICY_ARTIFACTS,
  ARTIFACT_POLICY_PROPERTIES,
  DEFAULT_FORBIDDEN_PATTERNS,
  DEFAULT_MAX_FILE_BYTES,
  NO_PATTERNS,
  POLICY_PROPERTY,
  type PolicyPropertyDeclaration,
} from './artifact-policy-properties.js';

/** The policy a job's configuration asks for. */
export interface ArtifactPolicy {
  readonly forbidden: readonly PathGlob[];
  readonly exempt: readonly PathGlob[];
  readonly detectPrivateKeys: boolean;
  readonly maxFileBytes: number;
  /** Undefined: no limit of the policy's own. */
  readonly maxTotalBytes: number | undefined;
}

function readPatterns(
  configuration: Readonly<Record<string, string>>,
  name: string,
  fallback: readonly string[],
  problems: string[],
): PathGlob[] {
  const raw = configuration[name];
  if (raw === undefined || raw.trim() === '') return fallback.map(compileGlob);
  if (raw.trim().toLowerCase() === NO_PATTERNS) return [];
  const patterns = raw
    .split(/[,\n]/)
    .map((pattern) => pattern.trim())
    .filter((pattern) => pattern !== '');
  const unsupported = patterns.findIndex((pattern) => UNSUPPORTED_GLOB_CHARACTERS.test(pattern));
  if (unsupported >= 0) {
    problems.push(
      `${name}: pattern ${unsupported + 1} uses [, ], {, } or \\, which these globs do not support (list alternatives as separate patterns, with / between folders)`,
    );
    return [];
  }
  return patterns.map(compileGlob);
}

function readBytes(
  configuration: Readonly<Record<string, string>>,
  name: string,
  problems: string[],
): number | undefined {
  const raw = configuration[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 1 || !Number.isSafeInteger(value)) {
    problems.push(`${name} must be a whole number of bytes, at least 1`);
    return undefined;
  }
  return value;
}

function readBoolean(
  configuration: Readonly<Record<string, string>>,
  name: string,
  fallback: boolean,
  problems: string[],
): boolean {
  const raw = configuration[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (raw !== 'true' && raw !== 'false') {
    problems.push(`${name} must be true or false`);
    return fallback;
  }
  return raw === 'true';
}

/**
 * The policy of a job's configuration, or every problem with it, one sentence each, naming
 * the property (never repeating its value).
 *
 * @param configuration - the job's (non-secret) configuration properties
 */
export function readArtifactPolicy(
  configuration: Readonly<Record<string, string>>,
): { policy: ArtifactPolicy; problems: [] } | { policy?: undefined; problems: string[] } {
  const problems: string[] = [];
  const p = POLICY_PROPERTY;
  const policy: ArtifactPolicy = {
    forbidden: readPatterns(
      configuration,
      p.forbiddenPatterns,
      DEFAULT_FORBIDDEN_PATTERNS,
      problems,
    ),
    exempt: readPatterns(configuration, p.exemptPatterns, [], problems),
    detectPrivateKeys: readBoolean(configuration, p.detectPrivateKeys, true, problems),
    maxFileBytes: readBytes(configuration, p.maxFileBytes, problems) ?? DEFAULT_MAX_FILE_BYTES,
    maxTotalBytes: readBytes(configuration, p.maxTotalBytes, problems),
  };
  return problems.length > 0 ? { problems } : { policy, problems: [] };
}
