/**
 * The one function of `semver` the bundle can reach, for the deployed bundle (see
 * `lib/bundling.ts`): the X-Ray SDK calls `semver.gte` only in its AWS SDK v2 patcher
 * (`captureAWS`), which the worker never uses, yet loading `semver` compiles about 40 regular
 * expressions at every cold start.
 */

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

type Parsed = readonly [major: number, minor: number, patch: number, prerelease?: string];

function parse(version: string): Parsed {
  const match = VERSION.exec(String(version).trim());
  if (!match) throw new TypeError(`Invalid Version: ${version}`);
  return [Number(match[1]), Number(match[2]), Number(match[3]), match[4]];
}

function comparePrerelease(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  // A release ranks above any of its pre-releases.
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const x = left[i];
    const y = right[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    const numeric = /^\d+$/;
    if (numeric.test(x) && numeric.test(y)) return Number(x) > Number(y) ? 1 : -1;
    if (numeric.test(x)) return -1;
    if (numeric.test(y)) return 1;
    return x > y ? 1 : -1;
  }
  return 0;
}

/**
 * `semver.gte(a, b)`: whether version `a` is at least `b` (build metadata ignored).
 *
 * @throws TypeError when either is not a valid version, as semver does
 */
export function gte(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) {
    if (x[i] !== y[i]) return (x[i] as number) > (y[i] as number);
  }
  return comparePrerelease(x[3], y[3]) >= 0;
}

export default { gte };
