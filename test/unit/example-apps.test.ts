/**
 * The apps under examples/ are written as a user writes one: they import this package only by
 * its name and its exported subpaths, every other package they import is declared in their
 * own package.json, and no import reaches outside the app's folder. (`.ci/consumer-app.sh`
 * then installs the packed package into a copy of each and runs them.)
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseTrigger } from '../../lambda/events.js';
import { checkPlan } from '../../local/runner/plan.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const EXAMPLES = path.join(ROOT, 'examples');
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;

const rootPackage = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  bin: Record<string, string>;
};
/** `codepipeline-job-worker`, `codepipeline-job-worker/cdk`, ...: what `exports` allows. */
const PUBLIC_SPECIFIERS = Object.keys(rootPackage.exports).map((key) =>
  key === '.' ? rootPackage.name : `${rootPackage.name}${key.slice(1)}`,
);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    if (name === 'node_modules' || name === 'cdk.out') return [];
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return SOURCE.test(name) ? [file] : [];
  });
}

/** The package a bare specifier names: `@scope/name` or `name`. */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/** Every specifier the app's source files import. */
function importedSpecifiers(app: string): Set<string> {
  return new Set(
    sourceFiles(app).flatMap((file) =>
      ts
        .preProcessFile(readFileSync(file, 'utf8'), true, true)
        .importedFiles.map(({ fileName }) => fileName),
    ),
  );
}

/** Every problem of one app's imports, as `file: problem`. */
function importProblems(app: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.devDependencies ?? {}),
  ]);
  return sourceFiles(app).flatMap((file) => {
    const where = path.relative(app, file);
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    return importedFiles.flatMap(({ fileName: specifier }): string[] => {
      if (
        specifier.startsWith('.') ||
        path.isAbsolute(specifier) ||
        specifier.startsWith('file:')
      ) {
        const target = path.resolve(path.dirname(file), specifier);
        const outside = path.relative(app, target).startsWith('..') || path.isAbsolute(specifier);
        return outside ? [`${where}: imports ${specifier}, outside the app`] : [];
      }
      if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return [];
      if (packageOf(specifier) === rootPackage.name) {
        return PUBLIC_SPECIFIERS.includes(specifier)
          ? []
          : [`${where}: imports ${specifier}, not one of ${PUBLIC_SPECIFIERS.join(', ')}`];
      }
      return declared.has(packageOf(specifier))
        ? []
        : [`${where}: imports ${specifier}, which its package.json does not declare`];
    });
  });
}

const apps = readdirSync(EXAMPLES)
  .map((name) => path.join(EXAMPLES, name))
  .filter(
    (dir) => statSync(dir).isDirectory() && statSync(path.join(dir, 'package.json')).isFile(),
  );

describe('example apps', () => {
  it('exist', () => {
    expect(apps.map((app) => path.basename(app))).toEqual(
      expect.arrayContaining(['security-scan', 'codebuild-runner']),
    );
  });

  it('together use every entry point of the package and its bin (CI installs each from the packed package)', () => {
    // One app need not use every entry point; between them, every one is used, so that a
    // broken export or bin fails CI's consumer path instead of going unnoticed.
    const imported = new Set(apps.flatMap((app) => [...importedSpecifiers(app)]));
    const scripts = apps.flatMap((app) => {
      const manifest = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
      };
      return Object.values(manifest.scripts ?? {});
    });

    const unused = [
      ...PUBLIC_SPECIFIERS.filter((s) => !s.endsWith('/package.json') && !imported.has(s)),
      ...Object.keys(rootPackage.bin)
        .filter((bin) => !scripts.some((script) => script.split(/\s+/).includes(bin)))
        .map((bin) => `bin ${bin}`),
    ];
    expect(unused).toEqual([]);
  });

  it('are each installed and run by CI from the packed package', () => {
    const script = readFileSync(path.join(ROOT, '.ci/consumer-app.sh'), 'utf8');
    const listed = /^EXAMPLES=\(([^)]*)\)/m.exec(script)?.[1]?.trim().split(/\s+/) ?? [];

    expect(listed.sort()).toEqual(apps.map((app) => path.relative(ROOT, app)).sort());
  });

  describe.each(apps.map((app) => [path.basename(app), app]))('%s', (_name, app) => {
    it('imports this package by its public names only, and nothing outside its folder', () => {
      expect(sourceFiles(app).length).toBeGreaterThan(0);
      expect(importProblems(app)).toEqual([]);
    });

    it('has a jobs file the runner accepts, and STARTED events the worker accepts for its type', () => {
      const jobsFile = path.join(app, 'jobs.json');
      const plan = checkPlan(JSON.parse(readFileSync(jobsFile, 'utf8')), jobsFile, true);
      const events = path.join(app, 'events');
      const type = {
        owner: 'Custom' as const,
        category: plan.actionType.category,
        provider: plan.actionType.provider,
        version: plan.actionType.version ?? '1',
      };

      for (const file of existsSync(events) ? readdirSync(events) : []) {
        const event: unknown = JSON.parse(readFileSync(path.join(events, file), 'utf8'));
        expect(parseTrigger(event, type)).toMatchObject({ kind: 'action-started' });
      }
    });

    it("depends on this package's current version", () => {
      const manifest = JSON.parse(readFileSync(path.join(app, 'package.json'), 'utf8'));

      expect(manifest.dependencies?.[rootPackage.name]).toBe(`^${rootPackage.version}`);
    });
  });
});
