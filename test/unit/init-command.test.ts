import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { UsageError } from '../../local/cli-args.js';
import { failureOf } from '../../local/commands/exit-status.js';
import { directoryProblem, initCommand, promptMissing } from '../../local/commands/init-command.js';
import { InitRefusedError } from '../../local/init/action-spec.js';

describe('initCommand', () => {
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'init-command-'));
    // What the command prints is not under test here; keep it out of the test output.
    vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs init with no terminal: the flags and the defaults. */
  const init = (...argv: string[]) => initCommand(argv, { interactive: false });

  it('writes the project into a new folder, named after it', async () => {
    const status = await init(join(work, 'my-scan'));

    expect(status).toBe(0);
    expect(readdirSync(join(work, 'my-scan')).sort()).toEqual([
      '.gitignore',
      'README.md',
      'bin',
      'cdk.json',
      'jobs.json',
      'package.json',
      'src',
      'test',
      'tsconfig.json',
    ]);
    expect(JSON.parse(readFileSync(join(work, 'my-scan/package.json'), 'utf8')).name).toBe(
      'my-scan',
    );
    expect(readFileSync(join(work, 'my-scan/src/action.ts'), 'utf8')).toContain(
      "provider: 'MyScan',",
    );
  });

  it('writes into an empty folder that exists', async () => {
    mkdirSync(join(work, 'empty'));

    await expect(init(join(work, 'empty'))).resolves.toBe(0);
    expect(existsSync(join(work, 'empty/package.json'))).toBe(true);
  });

  it('refuses a folder that is not empty with one line, and writes nothing', async () => {
    mkdirSync(join(work, 'app'));
    writeFileSync(join(work, 'app/notes.txt'), 'mine');

    const refused = init(join(work, 'app'));

    await expect(refused).rejects.toThrow(InitRefusedError);
    await expect(refused).rejects.toThrow(/app is not empty \(it holds notes\.txt\)/);
    expect(readdirSync(join(work, 'app'))).toEqual(['notes.txt']);
  });

  it('refuses a path that is a file', async () => {
    writeFileSync(join(work, 'file'), '');

    await expect(init(join(work, 'file'))).rejects.toThrow(/file is not a folder/);
  });

  it.each([
    ['--provider', 'My Scan'],
    ['--version', '1.0'],
    ['--category', 'Testing'],
    ['--property', 'A,B:required'],
    ['--inputs', '6'],
  ])('refuses %s %s before creating the folder', async (flag, value) => {
    const target = join(work, 'new');

    await expect(init(target, flag, value)).rejects.toThrow(InitRefusedError);
    expect(existsSync(target)).toBe(false);
  });

  it('writes a project with no configuration property with --no-properties', async () => {
    await init(join(work, 'bare'), '--no-properties');

    expect(readFileSync(join(work, 'bare/src/action.ts'), 'utf8')).toContain(
      'configurationProperties: [],',
    );
  });

  it.each([
    [['--no-properties', '--property', 'A'], /exclude each other/],
    [['a', 'b'], /init takes one folder \(got \S+\/a \S+\/b\)/],
    [['--provder', 'X'], /Unknown option '--provder'/],
  ])('refuses %j as a usage error', async (argv, message) => {
    const refused = initCommand(
      argv.map((arg) => (arg.length === 1 ? join(work, arg) : arg)),
      {
        interactive: false,
      },
    );

    await expect(refused).rejects.toThrow(UsageError);
    await expect(refused).rejects.toThrow(message);
  });

  it('asks for what the flags leave out when interactive, an empty answer keeping the default', async () => {
    const asked: string[] = [];
    const answers: Record<string, string> = {
      Category: 'Deploy',
      Configuration: 'Region:required Token:secret',
    };

    await initCommand([join(work, 'asked'), '--version', '7'], {
      interactive: true,
      ask: async (question) => {
        asked.push(question);
        return answers[question.split(/[ ,(]/)[0] ?? ''] ?? '';
      },
    });

    const action = readFileSync(join(work, 'asked/src/action.ts'), 'utf8');
    expect(asked.map((q) => q.split(' ')[0])).toEqual([
      'Category',
      'Provider',
      'Configuration',
      'Input',
      'Output',
    ]);
    expect(action).toContain('category: codepipeline.ActionCategory.DEPLOY,');
    expect(action).toContain("version: '7',");
    expect(action).toContain("provider: 'Asked',");
    expect(action).toContain("{ name: 'Token', required: false, key: false, secret: true }");
  });

  it('refuses a prompted answer CodePipeline would refuse, writing nothing', async () => {
    const target = join(work, 'prompted');

    await expect(
      initCommand([target], {
        interactive: true,
        ask: async (q) => (q.startsWith('Provider') ? 'a b' : ''),
      }),
    ).rejects.toThrow(/--provider must be 1-35 characters/);
    expect(existsSync(target)).toBe(false);
  });
});

describe('promptMissing', () => {
  it('asks nothing when every value is given', async () => {
    const ask = vi.fn(async () => '');
    const given = {
      category: 'Test',
      provider: 'P',
      version: '1',
      properties: [],
      inputs: '0',
      outputs: '0',
    };

    await expect(
      promptMissing(
        given,
        { category: '', provider: '', version: '', properties: '', inputs: '', outputs: '' },
        ask,
      ),
    ).resolves.toEqual(given);
    expect(ask).not.toHaveBeenCalled();
  });
});

describe('directoryProblem', () => {
  it('accepts a folder that does not exist yet', () => {
    expect(directoryProblem(join(tmpdir(), 'no-such-folder-for-init', 'x'))).toBeUndefined();
  });
});

describe('the exit status of a refusal', () => {
  it('is 2, with the one line and no usage text', () => {
    expect(failureOf(new InitRefusedError(['--version must be 1-9 characters']))).toEqual({
      status: 2,
      message: '--version must be 1-9 characters',
      showUsage: false,
    });
  });
});
