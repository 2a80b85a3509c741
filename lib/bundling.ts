/**
 * How the worker function is bundled: the one definition the construct hands to
 * NodejsFunction and the benchmark hands to esbuild, so what is measured is what is deployed.
 */
import { fileURLToPath } from 'node:url';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';

/** The repository root: NodejsFunction runs esbuild here (its `projectRoot`). */
export const BUNDLING_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The X-Ray SDK (pulled in by the tracer) calls `require`, which an ES module lacks. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/**
 * Packages replaced in the deployed bundle by smaller modules of `lambda/bundle/` (paths
 * relative to {@link BUNDLING_ROOT}). Each stands in for code that can never run in this
 * function; tests and local runs use the real packages.
 *
 * - `@aws-sdk/credential-provider-node`: the SDK's default credential chain (profiles, SSO,
 *   web identity, process, container and instance metadata, and the STS/SSO clients they
 *   need: about 120 KB minified). Lambda gives the function its role's credentials in
 *   environment variables, the chain's first link, so the other links never run there.
 * - `semver`: used only by the X-Ray SDK's patcher for the AWS SDK v2 (`captureAWS`); the
 *   worker uses the v3 SDK, and the v2 SDK is not in the bundle (29 KB, and about 40 regular
 *   expressions compiled at every cold start).
 * - `@smithy/core/event-streams`: loaded by the SDK only for operations that stream events;
 *   DynamoDB and CodePipeline have none (15 KB).
 * - `@aws-sdk/middleware-endpoint-discovery`: the DynamoDB client builds an endpoint cache for
 *   it that none of its operations reads (9 KB with the LRU cache it brings).
 * - `@smithy/core/checksum`: the clients take only `Sha256` from it, whose fallback for
 *   platforms without `node:crypto` is a SHA-256 written in JavaScript (3.3 KB).
 * - `cls-hooked/context`: where the X-Ray SDK keeps the current segment. It tracks every
 *   promise of the process with async hooks from the moment the tracer loads; the substitute
 *   keeps the same contexts in an `AsyncLocalStorage`, which tracks nothing in this function.
 */
export const BUNDLE_SUBSTITUTES: Readonly<Record<string, string>> = {
  '@aws-sdk/credential-provider-node': './lambda/bundle/lambda-credentials.ts',
  semver: './lambda/bundle/no-sdk-v2-capture.ts',
  '@smithy/core/event-streams': './lambda/bundle/no-event-streams.ts',
  '@aws-sdk/middleware-endpoint-discovery': './lambda/bundle/no-endpoint-discovery.ts',
  '@smithy/core/checksum': './lambda/bundle/native-sha256.ts',
  'cls-hooked/context': './lambda/bundle/async-local-namespace.ts',
};

/**
 * The worker's NodejsFunction bundling options.
 *
 * @example
 * new nodejs.NodejsFunction(this, 'Function', { entry, bundling: WORKER_BUNDLING });
 */
export const WORKER_BUNDLING = {
  forceDockerBundling: false,
  format: nodejs.OutputFormat.ESM,
  target: 'node24',
  banner: ESM_REQUIRE_BANNER,
  // ES module builds of the SDK and Powertools tree-shake; their CommonJS builds do not.
  mainFields: ['module', 'main'],
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  // The SDK version the tests ran against, and a faster cold start than the runtime's.
  bundleAwsSDK: true,
  esbuildArgs: {
    '--alias': Object.entries(BUNDLE_SUBSTITUTES).map(([name, path]) => `${name}=${path}`),
    // Comments that dependencies mark to keep go to index.mjs.LEGAL.txt, shipped alongside,
    // rather than into the code that every cold start parses.
    '--legal-comments': 'external',
  },
} as const satisfies nodejs.BundlingOptions;

/** NodejsFunction's externals: with bundleAwsSDK, nothing unless `externalModules` says. */
function externals(bundling: nodejs.BundlingOptions): string[] {
  if (bundling.externalModules) return [...bundling.externalModules];
  if (bundling.bundleAwsSDK) return [];
  // Its default then depends on the runtime and a feature flag: say it explicitly instead.
  throw new Error('esbuildOptions needs bundleAwsSDK: true or explicit externalModules');
}

const LEGAL_COMMENTS = new Set(['none', 'inline', 'eof', 'linked', 'external']);

/** The bundling options {@link esbuildOptions} knows how to translate. */
const TRANSLATED = new Set([
  'forceDockerBundling',
  'format',
  'target',
  'banner',
  'mainFields',
  'minify',
  'sourceMap',
  'sourcesContent',
  'bundleAwsSDK',
  'externalModules',
  'esbuildArgs',
]);

/**
 * The esbuild options equivalent to what NodejsFunction runs for `bundling` (its local
 * bundling: `esbuild --bundle <entry> --platform=node ...` in the project root).
 *
 * @param bundling - NodejsFunction bundling options; any option not translated here throws,
 *   so a new option in {@link WORKER_BUNDLING} cannot be silently left out of a measurement
 * @param entry - the entry file
 * @param outfile - where the bundle goes (`index.mjs` for ESM, as NodejsFunction names it)
 * @example
 * await esbuild.build(esbuildOptions(WORKER_BUNDLING, 'lambda/handlers/bake-time-gate.ts', '/tmp/out/index.mjs'));
 */
export function esbuildOptions(
  bundling: nodejs.BundlingOptions,
  entry: string,
  outfile: string,
): BuildOptions & { absWorkingDir: string; outfile: string } {
  const unknown = Object.keys(bundling).filter((key) => !TRANSLATED.has(key));
  if (unknown.length > 0) {
    throw new Error(`esbuildOptions cannot translate bundling option(s): ${unknown.join(', ')}`);
  }
  const alias: Record<string, string> = {};
  let legalComments: BuildOptions['legalComments'];
  for (const [flag, value] of Object.entries(bundling.esbuildArgs ?? {})) {
    if (flag === '--alias' && Array.isArray(value)) {
      for (const item of value) {
        const [name, path] = item.split('=');
        if (!name || !path) throw new Error(`malformed --alias ${item}`);
        alias[name] = path;
      }
    } else if (flag === '--legal-comments' && LEGAL_COMMENTS.has(String(value))) {
      legalComments = value as BuildOptions['legalComments'];
    } else {
      throw new Error(`esbuildOptions cannot translate esbuildArgs ${flag}`);
    }
  }
  return {
    absWorkingDir: BUNDLING_ROOT,
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: bundling.target,
    format: bundling.format === nodejs.OutputFormat.ESM ? 'esm' : 'cjs',
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    banner: bundling.banner ? { js: bundling.banner } : undefined,
    mainFields: bundling.mainFields ? [...bundling.mainFields] : undefined,
    external: externals(bundling),
    alias,
    legalComments,
    logLevel: 'warning',
  };
}
