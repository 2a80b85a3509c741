/**
 * The modules of lambda/bundle/ that the deployed bundle may use instead of a package: each
 * must export every name of every installed copy of that package, and mean the same in Lambda.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as sdkChain from '@aws-sdk/credential-provider-node';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  credentialsFromEnv,
  credentialsTreatedAsExpired,
  credentialsWillNeedRefresh,
  defaultProvider,
  LambdaCredentialsError,
} from '../../lambda/bundle/lambda-credentials.js';
import { BUNDLE_SUBSTITUTES, packageOf, substituteFile } from '../../lib/bundle-substitutes.js';
import { BUNDLING_ROOT } from '../../lib/bundling.js';

/** Every installed copy of `name` in this project, found by `find`, not by the code under test. */
function copiesOf(name: string): string[] {
  const manifests = execFileSync(
    'find',
    [path.join(BUNDLING_ROOT, 'node_modules'), '-path', `*/node_modules/${name}/package.json`],
    { encoding: 'utf8' },
  );
  return manifests
    .split('\n')
    .filter(Boolean)
    .map((manifest) => path.dirname(manifest));
}

const replaced = BUNDLE_SUBSTITUTES.flatMap(({ module, replaces }) =>
  replaces.map((importPath) => ({ importPath, module })),
);

describe('every kept substitute', () => {
  // The whole export set, not the names some bundled code imports: a `require` caller or an
  // `import * as` can read any export, so this guards require callers as well as imports.
  it.each(replaced)(
    'exports every name each installed copy of $importPath exports, for require callers as for importers ($module)',
    async ({ importPath, module }) => {
      const offered = Object.keys((await import(substituteFile(module))) as object);
      const copies = copiesOf(packageOf(importPath));
      expect(copies.length).toBeGreaterThan(0);

      for (const copy of copies) {
        const file = path.join(copy, importPath.slice(packageOf(importPath).length));
        const loaded = createRequire(file)(file) as object;
        // ES importers of a CommonJS module get its exports object as `default`.
        const names = [...Object.keys(loaded), 'default'];
        expect(offered, `${file} exports`).toEqual(expect.arrayContaining(names));
      }
    },
  );
});

const LAMBDA_ENV = {
  AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
  AWS_SESSION_TOKEN: 'token',
};

describe('lambda-credentials (substitute for @aws-sdk/credential-provider-node)', () => {
  beforeEach(() => {
    // The SDK's chain would read a profile instead of the environment if one were set.
    vi.stubEnv('AWS_PROFILE', undefined);
    for (const [key, value] of Object.entries(LAMBDA_ENV)) vi.stubEnv(key, value);
  });
  afterEach(() => vi.unstubAllEnvs());

  it('gives the credentials the SDK chain gives in Lambda, source mark included', async () => {
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', '2030-01-01T00:00:00Z');
    vi.stubEnv('AWS_ACCOUNT_ID', '123456789012');

    const expected = await sdkChain.defaultProvider({})();

    expect(await defaultProvider({})()).toEqual(expected);
    expect(expected).toMatchObject({ accessKeyId: 'ASIAEXAMPLE', sessionToken: 'token' });
  });

  it('tells whether credentials will need, or need, a refresh as the SDK does', () => {
    const expiration = fc.option(
      fc.integer({ min: -600_000, max: 600_000 }).map((offset) => new Date(Date.now() + offset)),
      { nil: undefined },
    );
    fc.assert(
      fc.property(expiration, (when) => {
        const credentials = { accessKeyId: 'a', secretAccessKey: 's', expiration: when };
        expect(credentialsWillNeedRefresh(credentials)).toBe(
          sdkChain.credentialsWillNeedRefresh(credentials),
        );
        expect(credentialsTreatedAsExpired(credentials)).toBe(
          sdkChain.credentialsTreatedAsExpired(credentials),
        );
      }),
    );
  });

  it.each([
    ['the key id', { AWS_SECRET_ACCESS_KEY: 'secret' }],
    ['the secret', { AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE' }],
  ])('fails with a clear error without %s', (_missing, env) => {
    expect(() => credentialsFromEnv(env)).toThrow(LambdaCredentialsError);
    expect(() => credentialsFromEnv(env)).toThrow(/as Lambda provides them/);
  });

  it.each([
    ['AWS_PROFILE', {}, 'deploy'],
    ["a client's profile", { profile: 'deploy' }, undefined],
  ])(
    'refuses a profile named by %s, which the SDK chain would read instead of the environment',
    async (_by, init, variable) => {
      vi.stubEnv('AWS_PROFILE', variable);

      await expect(defaultProvider(init)()).rejects.toThrow(LambdaCredentialsError);
      await expect(defaultProvider(init)()).rejects.toThrow(/profile "deploy".*substitutes: false/);
    },
  );

  it('reads the environment once, as the SDK expects of its default provider', async () => {
    const provide = defaultProvider({});

    const first = await provide();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAOTHER');

    expect(await provide()).toBe(first);
    expect((await provide({ forceRefresh: true })).accessKeyId).toBe('ASIAOTHER');
  });

  it('reads the environment again once the credentials are about to expire', async () => {
    vi.stubEnv('AWS_CREDENTIAL_EXPIRATION', new Date(Date.now() + 60_000).toISOString());
    const provide = defaultProvider({});

    const first = await provide();
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'ASIAOTHER');

    expect(credentialsTreatedAsExpired(first)).toBe(true);
    expect((await provide()).accessKeyId).toBe('ASIAOTHER');
  });
});
