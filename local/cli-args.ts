/**
 * A small, strict command-line parser for the local scripts: known flags only, numbers
 * checked, a usage line on error.
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Spec = Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }>;

/** `--help` and `-h`, which every command takes. */
const HELP = { help: { type: 'boolean', short: 'h' } } as const;

/** The parsed flags of `spec`. */
export type CliValues<T extends Spec> = ReturnType<
  typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: false }>
>['values'];

/**
 * The flags of `argv`, which may hold only those of `spec` and `--help` (`-h`).
 *
 * @throws UsageError naming an unknown flag or a missing value
 */
export function parseCli<T extends Spec>(argv: string[], spec: T): CliValues<T & typeof HELP> {
  const options = { ...spec, ...HELP };
  const config = { args: argv, options, strict: true, allowPositionals: false } as const;
  try {
    return parseArgs<typeof config & ParseArgsConfig>(config).values as CliValues<T & typeof HELP>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** Reads an integer flag within bounds, or its default. */
export function integerFlag(
  value: string | boolean | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (typeof value !== 'string' || !/^\d+$/.test(value) || parsed < min || parsed > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max}`);
  }
  return parsed;
}
