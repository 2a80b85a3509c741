/**
 * Vitest global setup: gathers the reliability scenarios' figures from every test file and
 * prints them as one table, one line per scenario, at the end of the run.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFigures, type ScenarioFigures } from './helpers/reliability-figures.js';

export default function setup(): () => void {
  const file = join(tmpdir(), `reliability-figures-${process.pid}.jsonl`);
  writeFileSync(file, '');
  process.env.RELIABILITY_FIGURES_FILE = file;
  return () => {
    if (!existsSync(file)) return;
    const rows = readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as ScenarioFigures);
    rmSync(file, { force: true });
    if (rows.length > 0) process.stdout.write(formatFigures(rows));
  };
}
