import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  credentialsFromEnv,
  credentialsTreatedAsExpired,
  defaultProvider,
  LambdaCredentialsError,
} from '../../lambda/bundle/lambda-credentials.js';
import * as noEndpointDiscovery from '../../lambda/bundle/no-endpoint-discovery.js';
import {
  EventStreamSerde,
  EventStreamsNotBundledError,
  eventStreamSerdeProvider,
} from '../../lambda/bundle/no-event-streams.js';
import { gte } from '../../lambda/bundle/semver-gte.js';

/** The real semver, which the substitute must agree with (it ships inside the X-Ray SDK). */
const semver = createRequire(import.meta.url)('semver') as {
  gte(a: string, b: string): boolean;
};

const LAMBDA_ENV = {
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'token',
};

describe('lambda-credentials (substitute for @aws-sdk/credential-provider-node)', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('reads the credentials Lambda puts in the environment', () => {
    expect(
      credentialsFromEnv({
        ...LAMBDA_ENV,
        AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z',
        AWS_ACCOUNT_ID: '123456789012',
      }),
    ).toEqual({
      accessKeyId: 'ASIAEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date('2030-01-01T00:00:00Z'),
      accountId: '123456789012',
    });
  });

  it.each([
    ['the key id', { AWS_SECRET_ACCESS_KEY: 'secret' }],
    ['the secret', { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE' }],
  ])('fails with a clear error without %s', (_missing, env) => {
    expect(() => credentialsFromEnv(env)).toThrow(LambdaCredentialsError);
    expect(() => credentialsFromEnv(env)).toThrow(/as Lambda provides them/);
  });

  it('reads the environment once, as the SDK expects of its default provider', async () => {
    for (const [key, value] of Object.entries(LAMBDA_ENV)) vi.stubEnv(key, value);
    const provide = defaultProvider({});

    const first = await provide();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAOTHER');

    expect(await provide()).toBe(first);
    expect((await provide({ forceRefresh: true })).accessKeyId).toBe('ASIAOTHER');
  });

  it('reads the environment again once the credentials are about to expire', async () => {
    for (const [key, value] of Object.entries(LAMBDA_ENV)) vi.stubEnv(key, value);
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', new Date(Date.now() + 60_000).toISOString());
    const provide = defaultProvider({});

    const first = await provide();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAOTHER');

    expect(credentialsTreatedAsExpired(first)).toBe(true);
    expect((await provide()).accessKeyId).toBe('ASIAOTHER');
  });
});

describe('semver-gte (substitute for semver)', () => {
  it.each([
    ['3.0.0', '2.9.9', true],
    ['2.9.9', '3.0.0', false],
    ['1.2.3', '1.2.3', true],
    ['v1.10.0', '1.9.0', true],
    ['1.0.0-beta.2', '1.0.0-beta.10', false],
    ['1.0.0', '1.0.0-rc.1', true],
    ['1.0.0-alpha', '1.0.0-alpha.1', false],
    ['2.1.0+build.5', '2.1.0', true],
  ])('gte(%s, %s) is %s', (a, b, expected) => {
    expect(gte(a, b)).toBe(expected);
  });

  it('agrees with semver.gte on any pair of versions', () => {
    const identifier = fc.oneof(
      fc.nat({ max: 20 }).map(String),
      fc.constantFrom('alpha', 'beta', 'rc', 'x-1'),
    );
    const version = fc
      .tuple(
        fc.nat({ max: 12 }),
        fc.nat({ max: 12 }),
        fc.nat({ max: 12 }),
        fc.option(fc.array(identifier, { minLength: 1, maxLength: 3 }), { nil: undefined }),
      )
      .map(
        ([major, minor, patch, pre]) =>
          `${major}.${minor}.${patch}${pre ? `-${pre.join('.')}` : ''}`,
      );

    fc.assert(fc.property(version, version, (a, b) => gte(a, b) === semver.gte(a, b)));
  });

  it('rejects what is not a version, as semver does', () => {
    expect(() => gte('latest', '1.0.0')).toThrow(TypeError);
  });
});

describe('no-event-streams (substitute for @smithy/core/event-streams)', () => {
  it('fails clearly if an event-stream operation is ever called', () => {
    expect(() => new EventStreamSerde()).toThrow(EventStreamsNotBundledError);
    expect(() => eventStreamSerdeProvider()).toThrow(/not bundled/);
  });
});

/** Names that the ES module files under `dir` import from `specifier`. */
function importedNames(dir: string, specifier: string): Set<string> {
  const names = new Set<string>();
  const pattern = new RegExp(`import\\s*\\{([^}]*)\\}\\s*from\\s*"${specifier}"`, 'g');
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.js')) continue;
    const source = readFileSync(path.join(entry.parentPath, entry.name), 'utf8');
    for (const match of source.matchAll(pattern)) {
      for (const name of (match[1] ?? '').split(',')) {
        const imported = name.trim().split(/\s+as\s+/)[0];
        if (imported) names.add(imported);
      }
    }
  }
  return names;
}

describe('no-endpoint-discovery (substitute for @aws-sdk/middleware-endpoint-discovery)', () => {
  const { resolveEndpointDiscoveryConfig, EndpointDiscoveryNotBundledError } = noEndpointDiscovery;
  class DescribeEndpoints {}

  it('stands in for everything the bundled SDK clients import from the real module', () => {
    const modules = createRequire(import.meta.url);
    const imported = new Set<string>();
    for (const client of ['@aws-sdk/client-dynamodb', '@aws-sdk/client-codepipeline']) {
      const distEs = path.join(path.dirname(modules.resolve(`${client}/package.json`)), 'dist-es');
      for (const name of importedNames(distEs, '@aws-sdk/middleware-endpoint-discovery')) {
        imported.add(name);
      }
    }

    // The DynamoDB client imports these two; no operation imports the middleware itself.
    expect([...imported].sort()).toEqual([
      'NODE_ENDPOINT_DISCOVERY_CONFIG_OPTIONS',
      'resolveEndpointDiscoveryConfig',
    ]);
    for (const name of imported) expect(noEndpointDiscovery).toHaveProperty(name);
  });

  it('resolves the settings the client reads, without an endpoint cache', async () => {
    const provider = async () => undefined;
    const config = resolveEndpointDiscoveryConfig(
      { region: 'us-east-1', endpointDiscoveryEnabledProvider: provider },
      { endpointDiscoveryCommandCtor: DescribeEndpoints },
    );

    expect(config).toMatchObject({
      region: 'us-east-1',
      endpointDiscoveryCommandCtor: DescribeEndpoints,
      endpointDiscoveryEnabled: provider,
      isClientEndpointDiscoveryEnabled: false,
    });
    expect(config).not.toHaveProperty('endpointCache');
  });

  it('keeps an explicit false, as the real module does', async () => {
    const config = resolveEndpointDiscoveryConfig(
      { endpointDiscoveryEnabled: false },
      { endpointDiscoveryCommandCtor: DescribeEndpoints },
    );

    expect(config.isClientEndpointDiscoveryEnabled).toBe(true);
    expect(await config.endpointDiscoveryEnabled?.()).toBe(false);
  });

  it('fails clearly when a client asks for endpoint discovery', () => {
    expect(() =>
      resolveEndpointDiscoveryConfig(
        { endpointDiscoveryEnabled: true },
        { endpointDiscoveryCommandCtor: DescribeEndpoints },
      ),
    ).toThrow(EndpointDiscoveryNotBundledError);
  });
});
