/**
 * The packages the worker's bundle may replace with a module of `lambda/bundle/`, and the
 * check that decides, for one project, whether each replacement is safe.
 *
 * A function's bundle is built from its project's `node_modules`, with whatever a processor
 * imports. A substitute takes the place of a package for every importer in that graph, so it
 * is used only if it exports every name that every installed copy of the package exports
 * (nested copies included: SDK clients can pin their own versions). The whole export set is
 * compared, not the names some code imports: a `require` caller or a namespace import can
 * reach any export, and would otherwise find `undefined` at run time instead of failing the
 * build. Where the check cannot prove it, the package is bundled as published.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildResult } from 'esbuild';
import { esbuild } from './esbuild.js';

/** A module of `lambda/bundle/` and the import paths it replaces, all or none of them. */
export interface BundleSubstitute {
  /** Its file name in `lambda/bundle/`, without extension. */
  readonly module: string;
  /** Package import paths it replaces together. */
  readonly replaces: readonly string[];
}

/**
 * The substitutes, each correct for any processor (see `lib/bundling.ts` for why).
 *
 * - `@aws-sdk/credential-provider-node`: the SDK's default credential chain, whose first link
 *   (environment variables) is the one Lambda provides.
 * - `cls-hooked` and `cls-hooked/context`: continuation-local storage on `AsyncLocalStorage`
 *   instead of async hooks; both paths to one module, so every importer shares one registry.
 */
export const BUNDLE_SUBSTITUTES: readonly BundleSubstitute[] = [
  { module: 'lambda-credentials', replaces: ['@aws-sdk/credential-provider-node'] },
  { module: 'async-local-namespace', replaces: ['cls-hooked', 'cls-hooked/context'] },
];

/**
 * The absolute path of a substitute module: the compiled `.js` next to this file's own
 * compiled location when the library runs from its build (`dist/lambda/bundle/`), else the
 * TypeScript source (this repository).
 *
 * @param module - a {@link BundleSubstitute.module}
 */
export function substituteFile(module: string): string {
  for (const extension of ['.js', '.ts']) {
    const file = fileURLToPath(new URL(`../lambda/bundle/${module}${extension}`, import.meta.url));
    if (existsSync(file)) return file;
  }
  throw new Error(`The bundle substitute ${module} is missing from lambda/bundle/`);
}

/** Whether a substitute is used for a project, and if not, why. */
export type SubstituteVerdict =
  | { readonly substitute: BundleSubstitute; readonly used: true }
  | { readonly substitute: BundleSubstitute; readonly used: false; readonly reason: string };

/**
 * Checks every substitute against the packages installed for `projectRoot`: in its
 * `node_modules` and those of its parent folders, which the bundler also resolves from.
 *
 * @param projectRoot - the folder NodejsFunction bundles from (its `projectRoot`)
 * @example
 * const used = checkSubstitutes('/path/to/project').filter((verdict) => verdict.used);
 */
export function checkSubstitutes(projectRoot: string): SubstituteVerdict[] {
  const packages = new Set(BUNDLE_SUBSTITUTES.flatMap((s) => s.replaces.map(packageOf)));
  const copies = installedCopies(projectRoot, packages);
  return BUNDLE_SUBSTITUTES.map((substitute) => {
    const reason = whyNot(substitute, copies);
    return reason === undefined ? { substitute, used: true } : { substitute, used: false, reason };
  });
}

function whyNot(
  substitute: BundleSubstitute,
  copies: ReadonlyMap<string, readonly string[]>,
): string | undefined {
  const offered = exportNames(substituteFile(substitute.module));
  if (!offered) return `the exports of ${substitute.module} cannot be read`;
  for (const importPath of substitute.replaces) {
    const dirs = copies.get(packageOf(importPath)) ?? [];
    if (dirs.length === 0) return `no installed copy of ${packageOf(importPath)} was found`;
    for (const dir of dirs) {
      const entries = entryFiles(dir, subpathOf(importPath));
      if (!entries) return `the entry points of ${importPath} in ${dir} cannot be read`;
      for (const entry of entries) {
        const names = exportNames(entry);
        if (!names) return `the exports of ${entry} cannot be read`;
        const missing = [...names].filter((name) => !offered.has(name));
        if (missing.length > 0) return `${entry} exports ${missing.join(', ')}`;
      }
    }
  }
  return undefined;
}

/** `@scope/name` or `name`: the package of an import path. */
export function packageOf(importPath: string): string {
  const parts = importPath.split('/');
  return parts.slice(0, importPath.startsWith('@') ? 2 : 1).join('/');
}

function subpathOf(importPath: string): string {
  return importPath.slice(packageOf(importPath).length + 1);
}

/**
 * The folders of every installed copy of each package in `packages`, found in the
 * `node_modules` of `projectRoot` and of its parents, nested copies and pnpm's store included.
 *
 * @returns real paths, by package name
 */
export function installedCopies(
  projectRoot: string,
  packages: ReadonlySet<string>,
): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const seen = new Set<string>();
  const visitPackage = (name: string, dir: string) => {
    let real: string;
    try {
      real = realpathSync(dir);
    } catch {
      return;
    }
    if (seen.has(real)) return;
    seen.add(real);
    if (packages.has(name)) found.set(name, [...(found.get(name) ?? []), real]);
    visitNodeModules(path.join(real, 'node_modules'));
  };
  const visitNodeModules = (nodeModules: string) => {
    for (const entry of listDir(nodeModules)) {
      const dir = path.join(nodeModules, entry);
      if (entry === '.pnpm') {
        for (const stored of listDir(dir)) visitNodeModules(path.join(dir, stored, 'node_modules'));
      } else if (entry.startsWith('@')) {
        for (const scoped of listDir(dir))
          visitPackage(`${entry}/${scoped}`, path.join(dir, scoped));
      } else if (!entry.startsWith('.')) {
        visitPackage(entry, dir);
      }
    }
  };
  for (let dir = path.resolve(projectRoot); ; dir = path.dirname(dir)) {
    visitNodeModules(path.join(dir, 'node_modules'));
    if (path.dirname(dir) === dir) break;
  }
  return found;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

interface PackageJson {
  readonly main?: unknown;
  readonly module?: unknown;
  readonly exports?: unknown;
}

/**
 * Every file an import of `subpath` of the package in `dir` can load: the one Node's
 * `require` loads, the `module` build bundlers prefer, and every target of its `exports` map.
 *
 * @returns `undefined` when they cannot be told (an `exports` pattern, an unreadable manifest)
 */
export function entryFiles(dir: string, subpath: string): string[] | undefined {
  let manifest: PackageJson;
  try {
    manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
  } catch {
    return undefined;
  }
  const files = new Set<string>();
  try {
    files.add(createRequire(import.meta.url).resolve(path.join(dir, subpath)));
  } catch {
    // Not loadable by path with require: the other entries still count.
  }
  if (subpath === '' && typeof manifest.module === 'string') {
    const file = path.join(dir, manifest.module);
    if (existsSync(file)) files.add(file);
  }
  if (manifest.exports !== undefined) {
    const targets = exportTargets(manifest.exports, subpath === '' ? '.' : `./${subpath}`);
    if (!targets) return undefined;
    for (const target of targets) files.add(path.join(dir, target));
  }
  return files.size > 0 ? [...files] : undefined;
}

/** The string targets an `exports` map gives `key` under any condition. */
function exportTargets(exports: unknown, key: string): string[] | undefined {
  const isSubpathMap =
    typeof exports === 'object' &&
    exports !== null &&
    !Array.isArray(exports) &&
    Object.keys(exports).some((name) => name.startsWith('.'));
  let target: unknown;
  if (isSubpathMap) {
    const map = exports as Record<string, unknown>;
    if (Object.keys(map).some((name) => name.includes('*'))) return undefined;
    target = map[key];
  } else {
    target = key === '.' ? exports : undefined;
  }
  const leaves: string[] = [];
  const collect = (value: unknown) => {
    if (typeof value === 'string') leaves.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (typeof value === 'object' && value !== null) Object.values(value).forEach(collect);
  };
  collect(target);
  return leaves.some((leaf) => leaf.includes('*')) ? undefined : leaves;
}

const exportNamesCache = new Map<string, ReadonlySet<string> | undefined>();

/**
 * The names a module exports at run time. An ES module's are read by esbuild, as the bundler
 * sees them; a CommonJS module is loaded with `require`, once per process, and its names
 * are the keys of its `module.exports` plus `default` (which ES importers get it as).
 *
 * @returns `undefined` when they cannot be known (an `export *` from another package, a
 *   module that fails to load)
 */
export function exportNames(file: string): ReadonlySet<string> | undefined {
  if (!exportNamesCache.has(file)) exportNamesCache.set(file, readExportNames(file));
  return exportNamesCache.get(file);
}

function readExportNames(file: string): ReadonlySet<string> | undefined {
  const { buildSync } = esbuild();
  let result: BuildResult<{ metafile: true; write: false }>;
  try {
    result = buildSync({
      entryPoints: [file],
      absWorkingDir: path.dirname(file),
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      outdir: path.dirname(file),
      logLevel: 'silent',
    });
  } catch {
    return undefined;
  }
  const [output] = Object.values(result.metafile.outputs);
  const entry = output?.entryPoint && result.metafile.inputs[output.entryPoint];
  if (!output || !entry) return undefined;
  if (entry.format === 'esm') {
    const formats = Object.values(result.metafile.inputs).map((input) => input.format);
    const text = result.outputFiles[0]?.text ?? '';
    // Names re-exported from another package, or from CommonJS, are not listed by esbuild.
    if (formats.includes('cjs') || /\bexport\s*\*\s*from\b/.test(text)) return undefined;
    return new Set(output.exports);
  }
  try {
    const loaded = createRequire(import.meta.url)(file) as object;
    return new Set([...Object.keys(loaded).filter((name) => name !== '__esModule'), 'default']);
  } catch {
    return undefined;
  }
}
