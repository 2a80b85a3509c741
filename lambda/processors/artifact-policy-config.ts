/**
 * The artifact policy's configuration properties: their declarations (which the CDK app
 * deploys as the action type's properties), their defaults, and how a job's values are read.
 * Facts the infrastructure and the function share, kept once.
 */
import { compileGlob, type PathGlob, UNSUPPORTED_GLOB_CHARACTERS } from './path-glob.js';

/** A configuration property as a custom action type declares it. */
export interface PolicyPropertyDeclaration {
  readonly name: string;
  readonly required: boolean;
  readonly key: boolean;
  readonly secret: boolean;
  readonly queryable: boolean;
  readonly type: 'String' | 'Number' | 'Boolean';
  /** At most 160 characters (CodePipeline's limit). */
  readonly description: string;
}

/** The property names, as the pipeline's action configuration spells them. */
export const POLICY_PROPERTY = {
  forbiddenPatterns: 'ForbiddenPatterns',
  exemptPatterns: 'ExemptPatterns',
  detectPrivateKeys: 'DetectPrivateKeys',
  maxFileBytes: 'MaxFileBytes',
  maxTotalBytes: 'MaxTotalBytes',
} as const;

/**
 * File names that hold secrets and have no business in a pipeline artifact: private keys and
 * key stores, environment files, stored Git credentials and Terraform state.
 */
export const DEFAULT_FORBIDDEN_PATTERNS: readonly string[] = [
  '.env',
  '*.key',
  '*.p12',
  '*.pfx',
  '*.jks',
  '*.keystore',
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  '.git-credentials',
  '*.tfstate',
];

/** GitHub refuses files over 100 MiB: a larger one in an artifact is almost always a mistake. */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024;

/** The value of a pattern property that turns it off (a property value cannot be empty). */
export const NO_PATTERNS = 'none';

/** The action type's configuration properties, all optional. */
export const ARTIFACT_POLICY_PROPERTIES: readonly PolicyPropertyDeclaration[] = [
  {
    name: POLICY_PROPERTY.forbiddenPatterns,
    required: false,
    key: true,
    secret: false,
    queryable: false,
    type: 'String',
    description:
      'Comma-separated file-name globs no file may match (default: key, key store, .env and tfstate names); "none" for no check',
  },
  {
    name: POLICY_PROPERTY.exemptPatterns,
    required: false,
    key: true,
    secret: false,
    queryable: false,
    type: 'String',
    description:
      'Comma-separated globs of files no per-file rule applies to (for example test fixtures)',
  },
  {
    name: POLICY_PROPERTY.detectPrivateKeys,
    required: false,
    key: true,
    secret: false,
    queryable: false,
    type: 'Boolean',
    description:
      'Whether a file holding a PEM or OpenSSH private key block fails the check (default true)',
  },
  {
    name: POLICY_PROPERTY.maxFileBytes,
    required: false,
    key: true,
    secret: false,
    queryable: false,
    type: 'Number',
    description: 'Largest size of one file, in bytes (default 104857600, 100 MiB)',
  },
  {
    name: POLICY_PROPERTY.maxTotalBytes,
    required: false,
    key: true,
    secret: false,
    queryable: false,
    type: 'Number',
    description: 'Largest size of all files together, in bytes (default: no limit of its own)',
  },
];

/** Input and output artifact counts of the action type: one input, an optional report. */
export const ARTIFACT_POLICY_ARTIFACTS = {
  minInputArtifacts: 1,
  maxInputArtifacts: 1,
  minOutputArtifacts: 0,
  maxOutputArtifacts: 1,
} as const;

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
