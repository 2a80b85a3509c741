/**
 * The AWS SDK's default credential provider, as it behaves in Lambda. The deployed bundle
 * uses this module instead of `@aws-sdk/credential-provider-node` (see `lib/bundling.ts`):
 * Lambda hands the function its execution role's credentials in environment variables, the
 * first link of the SDK's chain, so the chain's other links (profiles, SSO, web identity,
 * credential processes, container and instance metadata, and the STS and SSO clients they
 * need) never run there. The one way to reach them in Lambda, naming a profile, fails here
 * with an error that says so, rather than signing with other credentials than the SDK would.
 * It exports every name the SDK's module exports (a test checks every installed copy).
 * Tests and local runs use the SDK's own chain.
 */

/** The identity the SDK signs with (`AwsCredentialIdentity` of `@smithy/types`). */
export interface LambdaCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
  /** Where the credentials came from, which the SDK reports in its user agent. */
  readonly $source?: Readonly<Record<string, string>>;
}

/** What the SDK passes to the default provider: its client's configuration. */
export interface DefaultProviderInit {
  readonly profile?: string;
}

/** The credentials this bundle can read are not there, or others were asked for. */
export class LambdaCredentialsError extends Error {
  constructor(
    message = 'No credentials in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: this bundle reads credentials only from the environment, as Lambda provides them',
  ) {
    super(message);
    this.name = 'LambdaCredentialsError';
  }
}

/** Credentials that expire within this time are read again (the SDK's own margin). */
const REFRESH_MARGIN_MS = 300_000;

/**
 * Reads the credentials Lambda puts in the environment, the way the SDK's `fromEnv` does,
 * with the same source mark.
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
    $source: { CREDENTIALS_ENV_VARS: 'g' },
  };
}

/** Whether credentials expire at all, so that the SDK will have to fetch them again. */
export function credentialsWillNeedRefresh(credentials?: LambdaCredentials): boolean {
  return credentials?.expiration !== undefined;
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
 * @param init - the client configuration the SDK passes; a `profile` is refused, as is
 *   `AWS_PROFILE`, because the SDK would then read that profile instead of the environment
 */
export function defaultProvider(
  init: DefaultProviderInit = {},
): (options?: { forceRefresh?: boolean }) => Promise<LambdaCredentials> {
  let credentials: LambdaCredentials | undefined;
  return async (options) => {
    const profile = init.profile ?? process.env.AWS_PROFILE;
    if (profile) {
      throw new LambdaCredentialsError(
        `The credentials of profile "${profile}" were asked for: this bundle reads credentials only from the environment, as Lambda provides them. Bundle with workerBundling({ substitutes: false }) to use the SDK's full credential chain.`,
      );
    }
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

/** The module as `require('@aws-sdk/credential-provider-node')` gives it, for default imports. */
export default { defaultProvider, credentialsWillNeedRefresh, credentialsTreatedAsExpired };
