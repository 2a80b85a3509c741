/**
 * How the worker function is bundled: the one definition the construct hands to
 * NodejsFunction and the benchmark hands to esbuild, so what is measured is what is deployed.
 */
import { fileURLToPath } from 'node:url';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { checkSubstitutes, substituteFile } from './bundle-substitutes.js';

/** The repository root: NodejsFunction runs esbuild here (its `projectRoot`). */
export const BUNDLING_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The X-Ray SDK (pulled in by the tracer) calls `require`, which an ES module lacks. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire } from 'module';const require = createRequire(import.meta.url);";

/** What {@link workerBundling} needs to know of the function's project. */
export interface WorkerBundlingOptions {
  /**
   * The folder NodejsFunction bundles from (its `projectRoot`): the substitutes are checked
   * against the packages installed for it.
   */
  readonly projectRoot: string;
  /**
   * Whether packages may be replaced by the modules of `lambda/bundle/`; each still is only
   * where the check proves it safe for this project.
   * @default true
   */
  readonly substitutes?: boolean;
}

/**
 * The worker's NodejsFunction bundling options: one minified ES module for Node.js 24, with
 * a source map and the SDK bundled (the version the tests ran against, and a faster cold
 * start than the runtime's copy).
 *
 * Two packages are replaced in the bundle by modules of `lambda/bundle/`
 * (`lib/bundle-substitutes.ts`), each correct for any processor, whatever else it imports:
 *
 * - `@aws-sdk/credential-provider-node`: the SDK's default credential chain. Lambda gives the
 *   function its role's credentials in environment variables, the chain's first link; the
 *   others (profiles, SSO, web identity, processes, container and instance metadata, and
 *   the STS and SSO clients they bring) never run there, and asking for a profile fails
 *   with an error that says so.
 * - `cls-hooked` and `cls-hooked/context`: where the X-Ray SDK keeps the current segment.
 *   The real package tracks every promise of the process with async hooks from the moment
 *   the tracer loads; the substitute implements its whole API on `AsyncLocalStorage`.
 *
 * Why they hold for any processor: each exports every name that every installed copy of
 * its package exports (checked here, when this is called, against the project's
 * `node_modules`; a substitute that falls short is left out and the package bundled as
 * published), so no importer, by name or through `require`, can miss one; each means in
 * Lambda what the package means (tests run both against the same scenarios); and both
 * `cls-hooked` paths lead to one module, so the X-Ray SDK and a processor share one registry
 * of namespaces. Importing another file of these packages by its path (`cls-hooked/context.js`)
 * fails the build, as esbuild's alias then points into the substitute: use
 * `substitutes: false` for such a processor.
 *
 * Other packages the sample worker does not need as published (semver, the SDK's event
 * streams, endpoint discovery, its JavaScript SHA-256) are bundled as they are, because
 * processors use them: BENCHMARKS.md shows what that costs.
 *
 * @param options - the project to bundle from; `substitutes: false` replaces nothing
 * @example
 * new nodejs.NodejsFunction(this, 'Function', {
 *   entry,
 *   projectRoot,
 *   bundling: workerBundling({ projectRoot }),
 * });
 */
export function workerBundling(options: WorkerBundlingOptions) {
  const alias =
    options.substitutes === false
      ? []
      : checkSubstitutes(options.projectRoot)
          .filter((verdict) => verdict.used)
          .flatMap(({ substitute }) =>
            substitute.replaces.map((name) => `${name}=${substituteFile(substitute.module)}`),
          );
  return {
    forceDockerBundling: false,
    format: nodejs.OutputFormat.ESM,
    target: 'node24',
    banner: ESM_REQUIRE_BANNER,
    // ES module builds of the SDK and Powertools tree-shake; their CommonJS builds do not.
    mainFields: ['module', 'main'],
    minify: true,
    sourceMap: true,
    sourcesContent: false,
    bundleAwsSDK: true,
    // esbuild's size table would be the only output of a `cdk synth --quiet` that succeeds.
    logLevel: nodejs.LogLevel.ERROR,
    esbuildArgs: {
      ...(alias.length > 0 ? { '--alias': alias } : {}),
      // Comments that dependencies mark to keep go to index.mjs.LEGAL.txt, shipped alongside,
      // rather than into the code that every cold start parses.
      '--legal-comments': 'external',
    },
  } satisfies nodejs.BundlingOptions;
}

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
  'logLevel',
]);

/**
 * The esbuild options equivalent to what NodejsFunction runs for `bundling` (its local
 * bundling: `esbuild --bundle <entry> --platform=node ...` in the project root).
 *
 * @param bundling - NodejsFunction bundling options; any option not translated here throws,
 *   so a new option in {@link workerBundling} cannot be silently left out of a measurement
 * @param entry - the entry file, relative to `absWorkingDir`
 * @param outfile - where the bundle goes (`index.mjs` for ESM, as NodejsFunction names it)
 * @param absWorkingDir - the project root esbuild runs in, as NodejsFunction's `projectRoot`
 * @example
 * const bundling = workerBundling({ projectRoot: BUNDLING_ROOT });
 * await esbuild.build(esbuildOptions(bundling, 'samples/handlers/bake-time-gate.ts', '/tmp/out/index.mjs'));
 */
export function esbuildOptions(
  bundling: nodejs.BundlingOptions,
  entry: string,
  outfile: string,
  absWorkingDir: string = BUNDLING_ROOT,
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
        const at = item.indexOf('=');
        if (at < 1 || at === item.length - 1) throw new Error(`malformed --alias ${item}`);
        alias[item.slice(0, at)] = item.slice(at + 1);
      }
    } else if (flag === '--legal-comments' && LEGAL_COMMENTS.has(String(value))) {
      legalComments = value as BuildOptions['legalComments'];
    } else {
      throw new Error(`esbuildOptions cannot translate esbuildArgs ${flag}`);
    }
  }
  return {
    absWorkingDir,
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
