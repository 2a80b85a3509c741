import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { ArtifactCredentials } from './types.js';

/** A seedable uniform generator in [0, 1): fault decisions stay repeatable per seed. */
export type Random = () => number;

/**
 * Creates a small, fast, seedable PRNG (mulberry32).
 * @param seed - any integer; equal seeds give equal sequences
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function randomFrom(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet.charAt(randomInt(alphabet.length));
  return out;
}

/** A lower-case UUID, the shape of a CodePipeline job id. */
export function newJobId(): string {
  return randomUUID();
}

/** A nonce: CodePipeline documents it as "a system-generated random number". */
export function newNonce(): string {
  return String(randomInt(1, 2 ** 47));
}

/**
 * Fresh fake STS credentials shaped like real ones (ASIA + 16 upper-case alphanumerics,
 * a 40-character secret, a long session token), distinct on every call so that a test can
 * search logs for them.
 */
export function newArtifactCredentials(): ArtifactCredentials {
  return {
    accessKeyId: `ASIA${randomFrom(UPPER_ALNUM, 16)}`,
    secretAccessKey: randomFrom(SECRET_ALPHABET, 40),
    sessionToken: `IQoJb3JpZ2luX2VjE${randomBytes(420).toString('base64')}`,
  };
}

/** A short random lower-case suffix, used in artifact object keys. */
export function shortId(length = 7): string {
  return randomFrom('abcdefghijklmnopqrstuvwxyz0123456789', length);
}
