/**
 * Searches captured output for secret values (the ones the emulator handed out), and a
 * capture that holds everything a test writes, DEBUG logs and EMF included.
 */
import { format } from 'node:util';
import { type CapturedOutput, captureOutput } from './telemetry.js';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug', 'trace'] as const;

/**
 * How many lines of `text` contain at least one of `values`.
 *
 * @param text - captured output (several lines)
 * @param values - secret values; empty strings are ignored
 */
export function secretHits(text: string, values: Iterable<string>): number {
  // One pass per value over the whole text is fast (long needles); lines are split only on a hit.
  const found = [...new Set(values)].filter((value) => value !== '' && text.includes(value));
  if (found.length === 0) return 0;
  return text.split('\n').filter((line) => found.some((value) => line.includes(value))).length;
}

/** Every line a test writes (stdout and stderr), to search once the test is done. */
export interface OutputTap {
  /** Captured text so far, with any extra text (e.g. a child process's output) appended. */
  text(): string;
  /** Captured lines that parse as JSON: Powertools log lines and EMF records. */
  records(): Record<string, unknown>[];
  /** Adds text captured elsewhere (a child process) to what is searched. */
  add(text: string): void;
  restore(): void;
}

/**
 * Starts capturing stdout, stderr and the global console (which the test runner would
 * otherwise take over): in Lambda, all three end up in the function's log stream.
 */
export function tapOutput(): OutputTap {
  const captured: CapturedOutput = captureOutput();
  const extra: string[] = [];
  const consoleLines: string[] = [];
  const originals = CONSOLE_METHODS.map((method) => [method, console[method]] as const);
  for (const method of CONSOLE_METHODS) {
    console[method] = (...args: unknown[]) => {
      consoleLines.push(format(...args));
    };
  }
  let restored = false;
  return {
    text: () => [captured.text(), ...consoleLines, ...extra].join('\n'),
    records: () => captured.records(),
    add: (text) => {
      extra.push(text);
    },
    restore() {
      if (restored) return;
      restored = true;
      captured.restore();
      for (const [method, original] of originals) console[method] = original;
    },
  };
}

/**
 * The characters of `text` that must not reach a report or a log line raw: C0 controls but
 * tab, DEL, C1 controls, the line and paragraph separators, and the bidirectional embeddings,
 * overrides and isolates.
 */
export function unsafeCharacters(text: string): string[] {
  const unsafe = (code: number) =>
    (code < 0x20 && code !== 0x09) ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069);
  return [...text].filter((char) => unsafe(char.charCodeAt(0)));
}
