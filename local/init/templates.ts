/**
 * The scaffold's files: the templates shipped in the package (`templates/action/**`, each
 * named `<file>.tmpl`), filled with `{{name}}` placeholders from an {@link ActionSpec}.
 * Values go in already formatted for where they stand (a JSON string, a TypeScript literal),
 * so a property name is never pasted raw into code.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ActionSpec, PropertySpec } from './action-spec.js';

const TEMPLATE_SUFFIX = '.tmpl';
/** Files npm would leave out of the tarball under their real name. */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };
const PLACEHOLDER = /\{\{([^{}\s]+)\}\}/g;

/** A template names a placeholder the spec gives no value for, or is missing. */
export class TemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TemplateError';
  }
}

/** One file of the new project: its path relative to the project, and its text. */
export interface ScaffoldFile {
  readonly path: string;
  readonly text: string;
}

/**
 * The package's root: the nearest folder above this module that holds `templates/action`
 * (the repository when run from source, the installed package when run from `dist/`).
 */
export function templatesDirectory(from = dirname(fileURLToPath(import.meta.url))): string {
  for (let folder = from; ; folder = dirname(folder)) {
    const candidate = join(folder, 'templates', 'action');
    if (existsSync(candidate)) return candidate;
    if (dirname(folder) === folder) {
      throw new TemplateError(`no templates/action folder above ${from}`);
    }
  }
}

/** The version ranges the package declares for its peers and tools, by package name. */
export function packageRanges(root: string): Record<string, string> {
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    devDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  return { ...manifest.devDependencies, ...manifest.peerDependencies };
}

function listTemplates(directory: string): string[] {
  return readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(TEMPLATE_SUFFIX))
    .map((entry) => relative(directory, join(entry.parentPath, entry.name)))
    .sort();
}

/** `src/processor.ts.tmpl` → `src/processor.ts`; `gitignore.tmpl` → `.gitignore`. */
function targetPath(template: string): string {
  const path = template.slice(0, -TEMPLATE_SUFFIX.length).split(sep).join('/');
  const base = path.split('/').pop() ?? path;
  const renamed = RENAMED[base];
  return renamed === undefined ? path : `${path.slice(0, -base.length)}${renamed}`;
}

/**
 * Replaces every `{{name}}` of `text` with its value.
 *
 * @param text - a template's text
 * @param values - the placeholders' values; `range:<package>` ones too
 * @param where - the template's name, for the error
 * @throws TemplateError naming a placeholder without a value
 */
export function fill(text: string, values: Readonly<Record<string, string>>, where: string) {
  return text.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new TemplateError(`${where}: no value for {{${name}}}`);
    return value;
  });
}

/** A string as a TypeScript literal, in single quotes when it can be. */
function tsString(text: string): string {
  return /^[^'\\\n\r\u2028\u2029]*$/.test(text) ? `'${text}'` : JSON.stringify(text);
}

/** A property key as TypeScript writes it: bare when it is an identifier. */
function tsKey(name: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(name) ? name : tsString(name);
}

/** A record of strings as a TypeScript object literal on one line. */
function tsRecord(values: Readonly<Record<string, string>>): string {
  const entries = Object.entries(values).map(([key, value]) => `${tsKey(key)}: ${tsString(value)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

/** A sample value for a property: long enough for the worker to treat as a secret. */
function sampleValue(property: PropertySpec, index: number): string {
  return property.secret ? `example-secret-value-${index + 1}` : `example-${index + 1}`;
}

/** The kit helper that checks a property's value. */
function schemaHelper(property: PropertySpec): string {
  const inner = property.secret ? 'secret()' : 'text()';
  return property.required ? inner : `optional(${inner})`;
}

function artifactNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, i) => (i === 0 ? prefix : `${prefix}${i + 1}`));
}

/** How many artifacts a sample job carries: the least it may, but one if it may. */
function sampleCount(range: { readonly min: number; readonly max: number }): number {
  return Math.max(range.min, Math.min(range.max, 1));
}

/** The stack's name: CloudFormation's `[A-Za-z][A-Za-z0-9-]*`. */
function stackName(provider: string): string {
  const name = `${provider.replace(/[^A-Za-z0-9-]/g, '')}Worker`;
  return /^[A-Za-z]/.test(name) ? name : `Action${name}`;
}

/**
 * Every placeholder's value for `spec`.
 *
 * @param spec - the checked action spec
 * @param ranges - the package's declared version ranges, by package name
 */
export function placeholderValues(
  spec: ActionSpec,
  ranges: Readonly<Record<string, string>>,
): Record<string, string> {
  const { properties } = spec;
  const sample = (secret: boolean) =>
    Object.fromEntries(
      properties
        .map((property, i) => [property, sampleValue(property, i)] as const)
        .filter(([property]) => property.secret === secret)
        .map(([property, value]) => [property.name, value]),
    );
  const declared = properties.map(
    ({ name, required, secret }) =>
      `{ name: ${tsString(name)}, required: ${required}, key: ${required && !secret}, secret: ${secret} }`,
  );
  const helpers = new Set(['properties']);
  for (const property of properties) {
    helpers.add(property.secret ? 'secret' : 'text');
    if (!property.required) helpers.add('optional');
  }
  const inputs = artifactNames('Input', sampleCount(spec.inputs));
  const outputs = artifactNames('Output', sampleCount(spec.outputs));
  const actionType = {
    category: spec.category,
    provider: spec.provider,
    version: spec.version,
    configurationProperties: properties.map(({ name, required, secret }) => ({
      name,
      required,
      key: required && !secret,
      secret,
    })),
    minInputArtifacts: spec.inputs.min,
    maxInputArtifacts: spec.inputs.max,
    minOutputArtifacts: spec.outputs.min,
    maxOutputArtifacts: spec.outputs.max,
  };
  const configured = {
    name: 'configured',
    configuration: { ...sample(false), ...sample(true) },
    inputArtifacts: inputs.map((name) => ({
      name,
      files: { 'README.md': `The ${name} artifact of a local run.\n` },
    })),
    outputArtifacts: outputs.map((name) => ({ name })),
    expect: { outcome: 'success' },
    repeat: 2,
  };
  const required = properties.filter((property) => property.required).map((p) => p.name);
  const jobs = [configured];
  const indented = (value: unknown) => JSON.stringify(value, null, 2).replace(/\n/g, '\n  ');
  const values: Record<string, string> = {
    projectName: spec.projectName,
    category: spec.category,
    categoryMember: spec.category.toUpperCase(),
    provider: spec.provider,
    version: spec.version,
    stackName: stackName(spec.provider),
    packageSpec: JSON.stringify(spec.packageSpec),
    configurationProperties:
      declared.length === 0 ? '[]' : `[\n    ${declared.join(',\n    ')},\n  ]`,
    minInputs: String(spec.inputs.min),
    maxInputs: String(spec.inputs.max),
    minOutputs: String(spec.outputs.min),
    maxOutputs: String(spec.outputs.max),
    kitImports: [...helpers].sort().join(', '),
    schemaEntries: properties
      .map((property) => `  ${tsKey(property.name)}: ${schemaHelper(property)},`)
      .join('\n'),
    sampleConfiguration: tsRecord(sample(false)),
    sampleSecrets: tsRecord(sample(true)),
    requiredNames: `[${required.map(tsString).join(', ')}]`,
    outputNames: `[${outputs.map(tsString).join(', ')}]`,
    actionTypeJson: indented(actionType),
    jobsJson: indented(jobs),
  };
  for (const [name, range] of Object.entries(ranges))
    values[`range:${name}`] = JSON.stringify(range);
  return values;
}

/**
 * The new project's files, filled from `spec`.
 *
 * @param spec - the checked action spec
 * @param directory - the templates' folder (see {@link templatesDirectory})
 * @param ranges - the package's declared version ranges (see {@link packageRanges})
 * @throws TemplateError when a template names a placeholder without a value
 */
export function renderScaffold(
  spec: ActionSpec,
  directory: string,
  ranges: Readonly<Record<string, string>>,
): ScaffoldFile[] {
  const values = placeholderValues(spec, ranges);
  const templates = listTemplates(directory);
  if (templates.length === 0) throw new TemplateError(`no template in ${directory}`);
  return templates.map((template) => ({
    path: targetPath(template),
    text: fill(readFileSync(join(directory, template), 'utf8'), values, template),
  }));
}
