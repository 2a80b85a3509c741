import { createRequire } from 'node:module';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  credentialsFromEnv,
  credentialsTreatedAsExpired,
  defaultProvider,
  LambdaCredentialsError,
} from '../../lambda/bundle/lambda-credentials.js';
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
