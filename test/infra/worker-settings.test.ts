import { Duration, Size } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { inFunctionUnit } from '../../lambda/config.js';
import { type SettingUnit, UNIT_WORDS } from '../../lambda/contract.js';
import { inUnit, propValue } from '../../lib/worker-settings.js';

const UNITS = Object.keys(UNIT_WORDS) as SettingUnit[];

describe('the one unit conversion of each side', () => {
  it.each(UNITS)('gives back the amount of a %s prop built from it', (unit) => {
    expect(inUnit(propValue(unit, 7), unit)).toBe(7);
  });

  it.each<[SettingUnit, number | Duration | Size, number]>([
    ['count', 7, 7],
    ['ms', Duration.seconds(2), 2_000],
    ['s', Duration.minutes(2), 120],
    ['min', Duration.hours(2), 120],
    ['days', Duration.hours(36), 1.5],
    ['MiB', Size.gibibytes(2), 2_048],
  ])('reads a prop in its setting unit (%s), unrounded', (unit, value, amount) => {
    expect(inUnit(value, unit)).toBe(amount);
  });

  it.each<[SettingUnit, number]>([
    ['count', 7],
    ['ms', 7],
    ['s', 7_000],
    ['min', 420_000],
    ['days', 604_800],
    ['MiB', 7 * 1_048_576],
  ])('holds 7 of %s in the function as %d (counts, ms, seconds for days, bytes)', (unit, held) => {
    expect(inFunctionUnit(unit, 7)).toBe(held);
  });
});
