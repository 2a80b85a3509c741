/**
 * Diverts what the handler writes to stdout and stderr (its JSON logs, errors included, and
 * EMF metrics) into a file, so the terminal shows progress and the summary, and every log
 * line can be searched afterwards (for secret values, among others).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

export interface LogCapture {
  readonly path: string;
  /** Runs `work` with stdout and stderr diverted to the log file. */
  around<T>(work: () => Promise<T>): Promise<T>;
  /** Everything captured so far. */
  text(): string;
  /** How many captured lines contain any of `values`. */
  countLinesWith(values: readonly string[]): number;
}

export function captureLogs(path: string): LogCapture {
  writeFileSync(path, '');
  const original = {
    stdout: process.stdout.write,
    stderr: process.stderr.write,
  };
  let depth = 0;
  const divert = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    appendFileSync(path, chunk);
    const callback = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return {
    path,
    async around(work) {
      if (depth++ === 0) {
        process.stdout.write = divert;
        process.stderr.write = divert;
      }
      try {
        return await work();
      } finally {
        if (--depth === 0) {
          process.stdout.write = original.stdout;
          process.stderr.write = original.stderr;
        }
      }
    },
    text: () => readFileSync(path, 'utf8'),
    countLinesWith(values) {
      const wanted = values.filter((value) => value.length > 0);
      return this.text()
        .split('\n')
        .filter((line) => wanted.some((value) => line.includes(value))).length;
    },
  };
}
