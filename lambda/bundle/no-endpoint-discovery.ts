/**
 * Stands in for `@aws-sdk/middleware-endpoint-discovery` in the deployed bundle (see
 * `lib/bundling.ts`). The DynamoDB client still resolves endpoint-discovery settings when it
 * is built, and the real module then creates an endpoint cache (an LRU cache from
 * `mnemonist`: about 9 KB minified with its helpers), but no DynamoDB operation of the SDK
 * version this project ships adds the endpoint-discovery middleware, so the cache is never
 * read. Tests and local runs use the real module; a test checks that the DynamoDB client
 * imports nothing else from it, so an SDK upgrade that starts using it fails the build.
 */

/** Endpoint discovery was asked for on a client of this bundle. */
export class EndpointDiscoveryNotBundledError extends Error {
  constructor() {
    super(
      'Endpoint discovery is not bundled in this function: its DynamoDB operations use the regional endpoint',
    );
    this.name = 'EndpointDiscoveryNotBundledError';
  }
}

interface EndpointDiscoveryInput {
  endpointDiscoveryEnabled?: boolean;
  endpointDiscoveryEnabledProvider?: () => Promise<boolean | undefined>;
}

/**
 * `resolveEndpointDiscoveryConfig`: the settings the real module resolves, without the cache.
 * Asking for endpoint discovery in the client's configuration fails at once, rather than
 * being silently ignored.
 */
export function resolveEndpointDiscoveryConfig<T extends EndpointDiscoveryInput>(
  input: T,
  { endpointDiscoveryCommandCtor }: { endpointDiscoveryCommandCtor: unknown },
) {
  const { endpointDiscoveryEnabled, endpointDiscoveryEnabledProvider } = input;
  if (endpointDiscoveryEnabled === true) throw new EndpointDiscoveryNotBundledError();
  return Object.assign(input, {
    endpointDiscoveryCommandCtor,
    endpointDiscoveryEnabled:
      endpointDiscoveryEnabled !== undefined
        ? () => Promise.resolve(endpointDiscoveryEnabled)
        : endpointDiscoveryEnabledProvider,
    isClientEndpointDiscoveryEnabled: endpointDiscoveryEnabled !== undefined,
  });
}

/**
 * `NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS`: where the SDK looks for the setting. The
 * environment is not read (Lambda has no shared config file): the setting has no effect on
 * these clients, so it resolves to "not set".
 */
export const NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS = {
  environmentVariableSelector: (): boolean | undefined => undefined,
  configFileSelector: (): boolean | undefined => undefined,
  default: undefined,
};
