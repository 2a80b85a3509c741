import { Sha256 as RealSha256 } from '@smithy/core/checksum';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  credentialsFromEnv,
  credentialsTreatedAsExpired,
  defaultProvider,
  LambdaCredentialsError,
} from '../../lambda/bundle/lambda-credentials.js';
import { Sha256 } from '../../lambda/bundle/native-sha256.js';
import * as noEndpointDiscovery from '../../lambda/bundle/no-endpoint-discovery.js';
import {
  EventStreamSerde,
  EventStreamsNotBundledError,
  eventStreamSerdeProvider,
} from '../../lambda/bundle/no-event-streams.js';
import { gte, SdkV2CaptureNotBundledError } from '../../lambda/bundle/no-sdk-v2-capture.js';

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

describe('no-sdk-v2-capture (substitute for semver)', () => {
  it('fails clearly if the X-Ray SDK is asked to patch an AWS SDK v2 module', () => {
    expect(() => gte()).toThrow(SdkV2CaptureNotBundledError);
    expect(() => gte()).toThrow(/captureAWSv3Client/);
  });
});

describe('no-event-streams (substitute for @smithy/core/event-streams)', () => {
  it('fails clearly if an event-stream operation is ever called', () => {
    expect(() => new EventStreamSerde()).toThrow(EventStreamsNotBundledError);
    expect(() => eventStreamSerdeProvider()).toThrow(/not bundled/);
  });
});

describe('no-endpoint-discovery (substitute for @aws-sdk/middleware-endpoint-discovery)', () => {
  const { resolveEndpointDiscoveryConfig, EndpointDiscoveryNotBundledError } = noEndpointDiscovery;
  class DescribeEndpoints {}

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

describe('native-sha256 (substitute for @smithy/core/checksum)', () => {
  type Step =
    | { kind: 'update'; data: string | Uint8Array }
    | { kind: 'digest' }
    | { kind: 'reset' };
  const data = fc.oneof(fc.string({ maxLength: 300 }), fc.uint8Array({ maxLength: 300 }));
  const step: fc.Arbitrary<Step> = fc.oneof(
    { weight: 4, arbitrary: data.map((d) => ({ kind: 'update' as const, data: d })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'digest' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
  );
  const secret = fc.option(
    fc.oneof(fc.string({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 })),
    {
      nil: undefined,
    },
  );

  /** Every digest, and every error's message, in order. */
  interface Hash {
    update(data: string | Uint8Array): void;
    digest(): Promise<Uint8Array>;
    reset(): void;
  }

  async function trace(hash: Hash, steps: Step[]) {
    const seen: string[] = [];
    for (const s of steps) {
      try {
        if (s.kind === 'update') hash.update(s.data);
        else if (s.kind === 'reset') hash.reset();
        else seen.push(Buffer.from(await hash.digest()).toString('hex'));
      } catch (error) {
        seen.push(`error: ${(error as Error).message}`);
      }
    }
    seen.push(Buffer.from(await hash.digest()).toString('hex'));
    return seen;
  }

  it('gives the digests of the real Sha256 for any updates, digests and resets', async () => {
    await fc.assert(
      fc.asyncProperty(secret, fc.array(step, { maxLength: 12 }), async (key, steps) => {
        expect(await trace(new Sha256(key), steps)).toEqual(
          await trace(new RealSha256(key), steps),
        );
      }),
    );
  });

  it('is SHA-256 and HMAC-SHA-256', async () => {
    const plain = new Sha256();
    plain.update('abc');
    const hmac = new Sha256('key');
    hmac.update('The quick brown fox jumps over the lazy dog');

    expect(Buffer.from(await plain.digest()).toString('hex')).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(Buffer.from(await hmac.digest()).toString('hex')).toBe(
      'f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
    expect(() => hmac.update('more')).toThrow(/finished/);
  });
});
