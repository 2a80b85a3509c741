/**
 * `codepipeline-job-worker init [dir]`: a new action project in an empty folder, from the
 * templates shipped in the package. Every value is checked, and the folder found empty,
 * before the first file is written.
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { UsageError } from '../cli-args.js';
import {
  type ActionAnswers,
  type ActionSpec,
  actionSpec,
  CATEGORY_CHOICES,
  DEFAULT_CATEGORY,
  DEFAULT_INPUTS,
  DEFAULT_OUTPUTS,
  DEFAULT_PROPERTIES,
  DEFAULT_VERSION,
  InitRefusedError,
  projectNameFrom,
  providerFromName,
} from '../init/action-spec.js';
import { packageRanges, renderScaffold, templatesDirectory } from '../init/templates.js';

export const INIT_FLAGS =
  '[dir] [--category C] [--provider P] [--version V] [--property Name[:required][:secret]]... [--no-properties] [--inputs N|MIN-MAX] [--outputs N|MIN-MAX] [--package SPEC] [--yes]';

/** What `init --help` prints. */
export const INIT_USAGE = `usage: codepipeline-job-worker init ${INIT_FLAGS}

Creates a custom action project in dir (default: the current folder), which must be empty or
not exist yet: package.json, tsconfig.json, cdk.json, bin/app.ts with the construct, a
processor and its entry, a unit test, a jobs file for the local run and a README. Then:
npm install, npm test, npm start, npx cdk synth.

  --category   ${CATEGORY_CHOICES} (default ${DEFAULT_CATEGORY})
  --provider   1-35 characters of [0-9A-Za-z_-] (default: dir's name in PascalCase)
  --version    1-9 characters of [0-9A-Za-z_-] (default ${DEFAULT_VERSION})
  --property   a configuration property, repeated for each (default ${DEFAULT_PROPERTIES.join(' ')});
               --no-properties for none
  --inputs     input artifact counts, 0 to 5 (default ${DEFAULT_INPUTS})
  --outputs    output artifact counts, 0 to 5 (default ${DEFAULT_OUTPUTS})
  --package    what package.json depends on for codepipeline-job-worker: a version range
               or a tarball's path (default: this package's version, ^X.Y.Z)
  --yes, -y    asks nothing: the flags and the defaults (also when stdin is not a terminal)

Exit status 0 when the project was written, 2 when a value or the folder was refused
(nothing is written then).`;

/** What the prompts ask, in order, for the flags not given. */
const QUESTIONS: readonly {
  readonly key: 'category' | 'provider' | 'version' | 'properties' | 'inputs' | 'outputs';
  readonly text: string;
}[] = [
  { key: 'category', text: `Category (${CATEGORY_CHOICES})` },
  { key: 'provider', text: 'Provider (1-35 of [0-9A-Za-z_-])' },
  { key: 'version', text: 'Version' },
  { key: 'properties', text: 'Configuration properties, space-separated Name[:required][:secret]' },
  { key: 'inputs', text: 'Input artifacts, N or MIN-MAX (0 to 5)' },
  { key: 'outputs', text: 'Output artifacts, N or MIN-MAX (0 to 5)' },
];

/** Reads one answer a line; an empty line keeps the default. */
export type Ask = (question: string, fallback: string) => Promise<string>;

/**
 * The answers with the missing ones asked for.
 *
 * @param given - the flags' values
 * @param fallbacks - what each question defaults to
 * @param ask - reads one answer
 */
export async function promptMissing(
  given: ActionAnswers,
  fallbacks: Readonly<Record<(typeof QUESTIONS)[number]['key'], string>>,
  ask: Ask,
): Promise<ActionAnswers> {
  const answers: Record<string, unknown> = { ...given };
  for (const { key, text } of QUESTIONS) {
    if (answers[key] !== undefined) continue;
    const answer = (await ask(text, fallbacks[key])).trim() || fallbacks[key];
    answers[key] = key === 'properties' ? answer.split(/\s+/).filter(Boolean) : answer;
  }
  return answers as ActionAnswers;
}

/** Questions on stderr, answers from stdin's lines (buffered, so typed-ahead lines are kept). */
function terminalAsk(): { ask: Ask; close: () => void } {
  const terminal = createInterface({ input: process.stdin, terminal: false });
  const lines = terminal[Symbol.asyncIterator]();
  return {
    ask: async (question, fallback) => {
      process.stderr.write(`${question} [${fallback || 'none'}]: `);
      const line = await lines.next();
      // End of input (Ctrl-D) keeps the default, as an empty line does.
      return line.done ? '' : line.value;
    },
    close: () => terminal.close(),
  };
}

/** `^X.Y.Z` of the running package, or a tarball path made absolute as `file:`. */
function packageSpecOf(given: string | undefined, root: string): string {
  if (given === undefined) {
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      version: string;
    };
    return `^${version}`;
  }
  const isPath = /\.(tgz|tar\.gz)$/.test(given) || /^\.{0,2}\//.test(given);
  return isPath && !given.startsWith('file:') ? `file:${resolve(given)}` : given;
}

/**
 * Why `directory` cannot take a new project, if it cannot: it is a file, or holds anything.
 *
 * @param directory - the target folder
 */
export function directoryProblem(directory: string): string | undefined {
  let entries: string[];
  try {
    if (!statSync(directory).isDirectory()) return `${directory} is not a folder`;
    entries = readdirSync(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (entries.length === 0) return undefined;
  const shown = entries.slice(0, 3).join(', ');
  return `${directory} is not empty (it holds ${shown}${entries.length > 3 ? ', ...' : ''}): init writes only into an empty or new folder`;
}

/**
 * Checks everything, then writes the project.
 *
 * @param directory - the target folder
 * @param spec - the checked action spec
 * @param templates - the templates' folder
 * @param ranges - the package's declared version ranges
 * @returns the files written, relative to the folder
 * @throws InitRefusedError when the folder is refused (before anything is written)
 */
export function writeScaffold(
  directory: string,
  spec: ActionSpec,
  templates: string,
  ranges: Readonly<Record<string, string>>,
): string[] {
  const problem = directoryProblem(directory);
  if (problem) throw new InitRefusedError([problem]);
  const files = renderScaffold(spec, templates, ranges);
  for (const file of files) {
    const path = join(directory, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, file.text, { flag: 'wx' });
  }
  return files.map((file) => file.path);
}

/**
 * Scaffolds an action project.
 *
 * @param argv - the positional folder and the flags
 * @param options - `ask` replaces the terminal prompts; `interactive` whether to prompt
 *   (default: stdin is a terminal and `--yes` is not given)
 * @returns the exit status
 * @throws UsageError on a bad flag; InitRefusedError on a refused value or a folder that is not
 * empty
 */
export async function initCommand(
  argv: string[],
  options: { readonly ask?: Ask; readonly interactive?: boolean } = {},
): Promise<number> {
  const { values: flags, positionals } = parseInitArgs(argv);
  if (flags.help) {
    process.stdout.write(`${INIT_USAGE}\n`);
    return 0;
  }
  if (flags['no-properties'] && flags.property !== undefined) {
    throw new UsageError('--no-properties and --property exclude each other');
  }
  const directory = resolve(positionals[0] ?? '.');
  const folderName = basename(directory);
  const templates = templatesDirectory();
  const root = dirname(dirname(templates));
  const defaults = {
    projectName: projectNameFrom(folderName),
    provider: providerFromName(folderName),
    packageSpec: packageSpecOf(flags.package, root),
  };
  // A refused folder is told before any question is asked.
  const refused = directoryProblem(directory);
  if (refused) throw new InitRefusedError([refused]);
  let answers: ActionAnswers = {
    category: flags.category,
    provider: flags.provider,
    version: flags.version,
    properties: flags['no-properties'] ? [] : flags.property,
    inputs: flags.inputs,
    outputs: flags.outputs,
  };
  const interactive = options.interactive ?? (process.stdin.isTTY === true && !flags.yes);
  if (interactive) {
    const terminal = options.ask ? undefined : terminalAsk();
    try {
      answers = await promptMissing(
        answers,
        {
          category: DEFAULT_CATEGORY,
          provider: defaults.provider,
          version: DEFAULT_VERSION,
          properties: DEFAULT_PROPERTIES.join(' '),
          inputs: DEFAULT_INPUTS,
          outputs: DEFAULT_OUTPUTS,
        },
        options.ask ?? (terminal as { ask: Ask }).ask,
      );
    } finally {
      terminal?.close();
    }
  }
  const spec = actionSpec(answers, defaults);
  const written = writeScaffold(directory, spec, templates, packageRanges(root));
  const where = isAbsolute(positionals[0] ?? '') ? directory : (positionals[0] ?? '.');
  process.stdout.write(
    `Created Custom/${spec.category}/${spec.provider}/${spec.version} in ${where}: ${written.length} files\n\n` +
      `  cd ${where}\n  npm install\n  npm test\n  npm start\n  npx cdk synth\n`,
  );
  return 0;
}

const INIT_OPTIONS = {
  category: { type: 'string' },
  provider: { type: 'string' },
  version: { type: 'string' },
  property: { type: 'string', multiple: true },
  'no-properties': { type: 'boolean' },
  inputs: { type: 'string' },
  outputs: { type: 'string' },
  package: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The flags and the folder of `init`. */
function parseInitArgs(argv: string[]) {
  try {
    const parsed = parseArgs({
      args: argv,
      options: INIT_OPTIONS,
      strict: true,
      allowPositionals: true,
    });
    if (parsed.positionals.length > 1) {
      throw new UsageError(`init takes one folder (got ${parsed.positionals.join(' ')})`);
    }
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError((error as Error).message);
  }
}
