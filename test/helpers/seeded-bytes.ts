/**
 * Large test payloads that look random but are the same on every run: AES-256-CTR's key
 * stream for a key derived from a seed, fast enough to make tens of MB in a few tens of ms.
 */
import { createCipheriv, createHash } from 'node:crypto';

/** `size` bytes determined by `seed` alone. */
export function seededBytes(seed: string, size: number): Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(size)), cipher.final()]);
}

/** Hex SHA-256 of `bytes`. */
export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Hex MD5 of `bytes`: what S3 answers as a single-part object's ETag (quoted). */
export function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}
