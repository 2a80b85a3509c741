/**
 * The action's configuration properties and report file, by name: shared by the processor
 * (which runs in Lambda) and the action type's declaration (which the CDK app deploys). Kept
 * apart from `action.ts` so that the function's bundle does not pull in aws-cdk-lib.
 */
export const MAX_SIZE_PROPERTY = 'MaxSizeMB';

/** The file the findings are written to, the only one of the output artifact's zip. */
export const FINDINGS_FILE = 'security-scan-findings.json';
