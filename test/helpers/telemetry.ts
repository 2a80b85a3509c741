/**
 * Telemetry for tests: a metrics sink that records, and every line written to stdout.
 */
import type { MetricsSink } from '../../lambda/worker/counters.js';

export class RecordingMetrics implements MetricsSink {
  readonly values = new Map<string, number[]>();

  addMetric(name: string, _unit: string, value: number): this {
    this.values.set(name, [...(this.values.get(name) ?? []), value]);
    return this;
  }

  total(name: string): number {
    return (this.values.get(name) ?? []).reduce((sum, value) => sum + value, 0);
  }
}

export interface CapturedOutput {
  /** Every line written so far. */
  lines(): string[];
  /** Lines that parse as JSON (Powertools log lines and EMF). */
  records(): Record<string, unknown>[];
  text(): string;
  restore(): void;
}

/** Captures everything written to stdout and stderr (Powertools writes there directly). */
export function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const originals = { out: process.stdout.write, err: process.stderr.write };
  const capture = (chunk: unknown) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString());
    return true;
  };
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
  return {
    lines,
    records: () =>
      lines().flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    text: () => chunks.join(''),
    restore() {
      process.stdout.write = originals.out;
      process.stderr.write = originals.err;
    },
  };
}
