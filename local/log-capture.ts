/**
 * Diverts what the handler writes to stdout (its JSON logs and EMF metrics) into a file,
 * so the terminal shows progress and the summary, and the logs can be searched afterwards.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';

export interface LogCapture {
  readonly path: string;
  /** Runs `work` with stdout diverted to the log file. */
  around<T>(work: () => Promise<T>): Promise<T>;
  /** Everything captured so far. */
  text(): string;
  /** How many captured lines contain any of `values`. */
  countLinesWith(values: readonly string[]): number;
}

export function captureLogs(path: string): LogCapture {
  writeFileSync(path, '');
  const original = process.stdout.write.bind(process.stdout);
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
      if (depth++ === 0) process.stdout.write = divert;
      try {
        return await work();
      } finally {
        if (--depth === 0) process.stdout.write = original;
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
