/**
 * The action's configuration properties, by name: shared by the processor (which runs in
 * Lambda) and the action type's declaration (which the CDK app deploys). Kept apart from
 * `action.ts` so that the function's bundle does not pull in aws-cdk-lib.
 */
export const MAX_SIZE_PROPERTY = 'MaxSizeMB';
export const REQUIRE_KMS_PROPERTY = 'RequireKms';
