/**
 * From `codepipeline-job-worker init` to a green `cdk synth` of the new project, as a user
 * goes: the package packed once, `init` run from the tarball through npx into a fresh folder,
 * then the project's `npm install`, `npm test`, `npm start`, `npx tsc --noEmit` and
 * `npx cdk synth`, each timed (wall clock, one run each), with no file edited. Prints the
 * BENCHMARKS.md section; `--write` puts it there, replacing the one before.
 *
 *   npx tsx bench/init-to-synth.ts                  packs the repository (builds dist)
 *   npx tsx bench/init-to-synth.ts --tarball FILE   uses that tarball
 *   npx tsx bench/init-to-synth.ts --write          also updates BENCHMARKS.md
 *
 * `npm install` runs with `--prefer-offline`: from the npm cache when it holds the packages,
 * else the registry.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './paths.js';

const SECTION = '## From init to cdk synth';

interface Step {
  readonly name: string;
  readonly command: string;
  readonly seconds: number;
}

const ENV = {
  ...process.env,
  CI: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

/** Runs one shell command in `cwd`, timed; throws with its output if it fails. */
function timed(name: string, command: string, cwd: string): Step {
  const start = process.hrtime.bigint();
  const result = spawnSync(command, {
    cwd,
    shell: true,
    env: ENV,
    encoding: 'utf8',
    stdio: 'pipe',
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) {
    throw new Error(`${name} failed (${command}):\n${result.stdout}\n${result.stderr}`);
  }
  process.stderr.write(`${name}: ${seconds.toFixed(1)} s\n`);
  return { name, command, seconds };
}

const sum = (steps: readonly Step[], names: readonly string[]) =>
  steps
    .filter((step) => names.includes(step.name))
    .reduce((total, step) => total + step.seconds, 0);

/** The BENCHMARKS.md section for the steps. */
export function section(
  steps: readonly Step[],
  tarball: string,
  before: number[],
  after: number[],
): string {
  const row = (step: Step) =>
    `| ${step.name} | \`${step.command.replaceAll(tarball, 'TARBALL')}\` | ${step.seconds.toFixed(1)} |`;
  const load = (avg: number[]) => avg.map((n) => n.toFixed(2)).join(' / ');
  const total = (names: string[]) => sum(steps, names).toFixed(1);
  return [
    SECTION,
    '',
    `Measured by \`bench/init-to-synth.ts\` (\`npx tsx bench/init-to-synth.ts\`; not part of \`npm run bench\`) on ${new Date().toISOString().slice(0, 10)}: the package packed once (\`TARBALL\`), then each command run once, in order, in a fresh folder outside the repository, timed by the wall clock, with no file edited between them. \`init\` runs from the tarball through npx, which installs the package and its dependencies into npx's cache first (from the npm cache here); \`npm install\` runs with \`--prefer-offline\` against a warm npm cache. ${cpus().length} cores shared with other work: load average ${load(before)} before, ${load(after)} after (1 / 5 / 15 minutes), ${Math.round(totalmem() / 2 ** 30)} GB.`,
    '',
    '| step | command | seconds |',
    '| --- | --- | --- |',
    ...steps.map(row),
    '',
    `From \`init\` to a green \`cdk synth\`: **${total(['init', 'cdk synth'])} s** with the install excluded (init, cdk synth), **${total(['init', 'npm install', 'cdk synth'])} s** with it; with the project's tests, local run and type check on the way, ${total(['init', 'npm test', 'npm start', 'tsc', 'cdk synth'])} s and ${total(['init', 'npm install', 'npm test', 'npm start', 'tsc', 'cdk synth'])} s. \`cdk synth\` type-checks the project before it runs the app (\`cdk.json\`: \`npx tsc --noEmit && npx tsx bin/app.ts\`), so it holds a second type check, then the bundling of \`src/handler.ts\` with esbuild.`,
    '',
  ].join('\n');
}

function main(): void {
  const { values } = parseArgs({
    options: { tarball: { type: 'string' }, write: { type: 'boolean' } },
  });
  const work = mkdtempSync(path.join(tmpdir(), 'init-to-synth-'));
  try {
    let tarball = values.tarball ? path.resolve(values.tarball) : undefined;
    if (!tarball) {
      const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', work], {
        cwd: REPO_ROOT,
        env: ENV,
        encoding: 'utf8',
      });
      if (pack.status !== 0) throw new Error(`npm pack failed:\n${pack.stderr}`);
      tarball = path.join(work, pack.stdout.trim().split('\n').pop() ?? '');
    }
    const before = loadavg();
    const app = path.join(work, 'my-action');
    const steps = [
      timed(
        'init',
        `npx --yes --package ${tarball} codepipeline-job-worker init my-action --package ${tarball} --yes`,
        work,
      ),
      timed('npm install', 'npm install --prefer-offline --no-audit --no-fund', app),
      timed('npm test', 'npm test', app),
      timed('npm start', 'npm start', app),
      timed('tsc', 'npx --no-install tsc --noEmit', app),
      timed('cdk synth', 'npx --no-install cdk synth --quiet', app),
    ];
    const text = section(steps, tarball, before, loadavg());
    process.stdout.write(text);
    if (values.write) {
      const file = path.join(REPO_ROOT, 'BENCHMARKS.md');
      const current = readFileSync(file, 'utf8');
      const start = current.indexOf(`${SECTION}\n`);
      const next = start < 0 ? -1 : current.indexOf('\n## ', start + SECTION.length);
      const updated =
        start < 0
          ? `${current.trimEnd()}\n\n${text}`
          : `${current.slice(0, start)}${text}${next < 0 ? '' : current.slice(next + 1)}`;
      writeFileSync(file, updated);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
