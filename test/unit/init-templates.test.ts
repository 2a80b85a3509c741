import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ts from 'typescript';
import { afterEach, describe, expect, it } from 'vitest';
import { type ActionSpec, actionSpec } from '../../local/init/action-spec.js';
import {
  fill,
  packageRanges,
  renderScaffold,
  TemplateError,
  templatesDirectory,
} from '../../local/init/templates.js';
import { readJobsFile } from '../../local/runner/plan.js';
import { ROOT } from '../helpers/source-files.js';

const TEMPLATES = templatesDirectory();
const RANGES = packageRanges(ROOT);
const DEFAULTS = { projectName: 'my-scan', provider: 'MyScan', packageSpec: '^0.2.0' };

function spec(answers: Parameters<typeof actionSpec>[0] = {}): ActionSpec {
  return actionSpec(answers, DEFAULTS);
}

/** The scaffold's files by path. */
function render(answers: Parameters<typeof actionSpec>[0] = {}): Map<string, string> {
  return new Map(renderScaffold(spec(answers), TEMPLATES, RANGES).map((f) => [f.path, f.text]));
}

/** The syntax errors of a TypeScript file. */
function syntaxErrors(path: string, text: string): string[] {
  const { diagnostics = [] } = ts.transpileModule(text, {
    fileName: path,
    reportDiagnostics: true,
    compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2023 },
  });
  return diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const MANY = {
  category: 'Build',
  provider: 'My_Scan-2',
  version: 'v2',
  properties: ['Target:required', 'ApiToken:secret:required', 'Notes', "It's-odd\\", 'Opt:secret'],
  inputs: '1-2',
  outputs: '2-3',
};

describe('fill', () => {
  it('replaces every placeholder, as often as it appears', () => {
    expect(fill('{{a}}-{{b}}-{{a}}', { a: '1', b: '2' }, 'x.tmpl')).toBe('1-2-1');
  });

  it('leaves a placeholder value as given: no second pass over it', () => {
    expect(fill('{{a}}', { a: '{{b}}', b: 'no' }, 'x.tmpl')).toBe('{{b}}');
  });

  it('throws a TemplateError naming a placeholder without a value, and its template', () => {
    expect(() => fill('{{a}} {{missing}}', { a: '1' }, 'src/x.ts.tmpl')).toThrow(
      new TemplateError('src/x.ts.tmpl: no value for {{missing}}'),
    );
  });
});

describe('renderScaffold', () => {
  const temporary: string[] = [];
  afterEach(() => {
    for (const dir of temporary.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('writes the project of an example app, smaller, with .gitignore under its own name', () => {
    expect([...render().keys()].sort()).toEqual([
      '.gitignore',
      'README.md',
      'bin/app.ts',
      'cdk.json',
      'jobs.json',
      'package.json',
      'src/action.ts',
      'src/configuration.ts',
      'src/handler.ts',
      'src/processor.ts',
      'test/processor.test.ts',
      'tsconfig.json',
    ]);
  });

  it.each([
    ['the defaults', {}],
    ['many properties, odd names and several artifacts', MANY],
    ['no property and no artifact', { properties: [], inputs: '0', outputs: '0' }],
  ])('fills every placeholder, and every file parses, with %s', (_, answers) => {
    for (const [path, text] of render(answers)) {
      expect(text, path).not.toMatch(/\{\{|\}\}/);
      if (path.endsWith('.json')) expect(() => JSON.parse(text), path).not.toThrow();
      if (path.endsWith('.ts')) expect(syntaxErrors(path, text), path).toEqual([]);
    }
  });

  it("depends on the package spec given and on the package's own ranges for its peers", () => {
    const manifest = JSON.parse(
      renderScaffold({ ...spec(), packageSpec: 'file:/tmp/x.tgz' }, TEMPLATES, RANGES).find(
        (f) => f.path === 'package.json',
      )?.text ?? '',
    );
    const own = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

    expect(manifest.dependencies).toEqual({
      'aws-cdk-lib': own.peerDependencies['aws-cdk-lib'],
      'codepipeline-job-worker': 'file:/tmp/x.tgz',
      constructs: own.peerDependencies.constructs,
    });
    for (const tool of ['tsx', 'esbuild', 'dynalite', '@20minutes/s3rver']) {
      expect(manifest.devDependencies[tool], tool).toBe(own.peerDependencies[tool]);
    }
    for (const tool of ['aws-cdk', 'typescript', 'vitest', '@types/node']) {
      expect(manifest.devDependencies[tool], tool).toBe(own.devDependencies[tool]);
    }
    expect(manifest.allowScripts).toEqual(own.allowScripts);
    expect(manifest.scripts).toMatchObject({
      test: 'vitest run',
      start: 'codepipeline-job-worker run --entry src/handler.ts --jobs jobs.json',
    });
  });

  it('runs the app through a type check, so a type error fails cdk synth', () => {
    const cdk = JSON.parse(render().get('cdk.json') ?? '');

    expect(cdk.app).toBe('npx tsc --noEmit && npx tsx bin/app.ts');
    expect(cdk.context['cli-telemetry']).toBe(false);
  });

  it('declares the action type of the spec in the app, with a TypeScript literal per name', () => {
    const files = render(MANY);

    expect(files.get('src/action.ts')).toContain('category: codepipeline.ActionCategory.BUILD,');
    expect(files.get('src/action.ts')).toContain("provider: 'My_Scan-2',");
    expect(files.get('src/action.ts')).toContain(
      `{ name: ${JSON.stringify("It's-odd\\")}, required: false, key: false, secret: false },`,
    );
    expect(files.get('src/configuration.ts')).toContain(
      [
        '  Target: text(),',
        '  ApiToken: secret(),',
        '  Notes: optional(text()),',
        `  ${JSON.stringify("It's-odd\\")}: optional(text()),`,
        '  Opt: optional(secret()),',
      ].join('\n'),
    );
    expect(files.get('src/configuration.ts')).toContain(
      "import { optional, properties, secret, text } from 'codepipeline-job-worker/kit';",
    );
    expect(files.get('bin/app.ts')).toContain("new Stack(app, 'MyScan-2Worker'");
    expect(files.get('test/processor.test.ts')).toContain(
      "const REQUIRED: string[] = ['Target', 'ApiToken'];",
    );
  });

  it('imports only the kit helpers its properties use', () => {
    expect(render({ properties: [] }).get('src/configuration.ts')).toContain(
      "import { properties } from 'codepipeline-job-worker/kit';",
    );
  });

  it.each([
    ['the defaults', {}, 1, 1],
    ['required artifacts', { inputs: '2-3', outputs: '2-5' }, 2, 2],
    ['no artifact', { inputs: '0', outputs: '0' }, 0, 0],
  ])('writes a jobs file the local run accepts, with %s', async (_, answers, inputs, outputs) => {
    const dir = mkdtempSync(join(tmpdir(), 'init-jobs-'));
    temporary.push(dir);
    writeFileSync(join(dir, 'jobs.json'), render(answers).get('jobs.json') ?? '');

    const plan = await readJobsFile(join(dir, 'jobs.json'));

    expect(plan.actionType).toMatchObject({ provider: 'MyScan', category: 'Test' });
    expect(plan.jobs[0]?.inputArtifacts).toHaveLength(inputs);
    expect(plan.jobs[0]?.outputArtifacts).toHaveLength(outputs);
    expect(plan.jobs[0]?.expect).toEqual({ outcome: 'success' });
  });

  it('gives secret properties sample values long enough to be kept out of logs', () => {
    const jobs = JSON.parse(render(MANY).get('jobs.json') ?? '');

    expect(jobs.jobs[0].configuration.ApiToken.length).toBeGreaterThanOrEqual(8);
  });

  it('throws a TemplateError for a folder with no template', () => {
    const dir = mkdtempSync(join(tmpdir(), 'init-empty-'));
    temporary.push(dir);

    expect(() => renderScaffold(spec(), dir, RANGES)).toThrow(TemplateError);
    expect(readdirSync(dir)).toEqual([]);
  });
});
