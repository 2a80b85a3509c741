/**
 * The artifact policy's action type, as pure data: its configuration properties (which the
 * CDK app deploys), their defaults, and its artifact counts. Imports nothing, so that the
 * infrastructure can read it without the function's code.
 */

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
