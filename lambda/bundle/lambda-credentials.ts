/**
 * The AWS SDK's default credential provider, as it behaves in Lambda. The deployed bundle
 * uses this module instead of `@aws-sdk/credential-provider-node` (see `lib/bundling.ts`):
 * Lambda hands the function its execution role's credentials in environment variables, the
 * first link of the SDK's chain, so the chain's other links (profiles, SSO, web identity,
 * credential processes, container and instance metadata, and the STS and SSO clients they
 * need) never run there. Tests and local runs use the SDK's own chain.
 */

/** The identity the SDK signs with (`AwsCredentialIdentity` of `@smithy/types`). */
export interface LambdaCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
}

/** The environment holds no credentials: the function is not running in Lambda. */
export class LambdaCredentialsError extends Error {
  constructor() {
    super(
      'No credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: this bundle reads credentials only from the environment, as Lambda provides them',
    );
    this.name = 'LambdaCredentialsError';
  }
}

/** Credentials that expire within this time are read again (the SDK's own margin). */
const REFRESH_MARGIN_MS = 300_000;

/**
 * Reads the credentials Lambda puts in the environment, the way the SDK's `fromEnv` does.
 *
 * @param env - the environment (`process.env` by default)
 * @throws LambdaCredentialsError when the key id or the secret is missing
 */
export function credentialsFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): LambdaCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new LambdaCredentialsError();
  const expiration = env.AWS_CREDENTIAL_EXPIRATION;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
    ...(env.AWS_CREDENTIAL_SCOPE ? { credentialScope: env.AWS_CREDENTIAL_SCOPE } : {}),
    ...(env.AWS_ACCOUNT_ID ? { accountId: env.AWS_ACCOUNT_ID } : {}),
  };
}

/** Whether the SDK should fetch the credentials again before using them. */
export function credentialsTreatedAsExpired(credentials?: LambdaCredentials): boolean {
  return (
    credentials?.expiration !== undefined &&
    credentials.expiration.getTime() - Date.now() < REFRESH_MARGIN_MS
  );
}

/**
 * `defaultProvider` of `@aws-sdk/credential-provider-node`, with the environment as its only
 * source. Like the SDK's chain it memoizes: the SDK calls it before signing each request.
 *
 * @param _init - the client configuration the SDK passes (profiles and SSO settings do not apply)
 */
export function defaultProvider(
  _init: object = {},
): (options?: { forceRefresh?: boolean }) => Promise<LambdaCredentials> {
  let credentials: LambdaCredentials | undefined;
  return async (options) => {
    if (
      credentials === undefined ||
      options?.forceRefresh ||
      credentialsTreatedAsExpired(credentials)
    ) {
      credentials = credentialsFromEnv();
    }
    return credentials;
  };
}
