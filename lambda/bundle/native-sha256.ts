/**
 * Stands in for `@smithy/core/checksum` in the deployed bundle (see `lib/bundling.ts`). The
 * SDK clients import one thing from it, `Sha256`, the hash their request signer uses. The
 * real module's `Sha256` is built on `node:crypto` and falls back on a SHA-256 written in
 * JavaScript (3.3 KB minified) for platforms without it, which Lambda's Node.js never is.
 * This one is built on `node:crypto` alone. Tests and local runs use the real module; a test
 * checks that both give the same digests for any input.
 */
import { type BinaryLike, createHash, createHmac, type Hash, type Hmac } from 'node:crypto';

/** What the SDK hashes: strings, and bytes in any of their JavaScript forms. */
export type HashInput = string | ArrayBuffer | ArrayBufferView;

/** An HMAC key as `createHmac` takes it. */
function toKey(secret: HashInput): BinaryLike {
  if (typeof secret === 'string') return secret;
  if (ArrayBuffer.isView(secret)) {
    return Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength);
  }
  return Buffer.from(secret);
}

/**
 * SHA-256, or HMAC-SHA-256 when built with a secret, with the interface of the SDK's
 * `Checksum`: `update`, then `digest` (a promise of the 32 bytes), `reset` to start over. A
 * plain hash can be digested and updated further; an HMAC is finished by its digest.
 */
export class Sha256 {
  readonly digestLength = 32;
  readonly #secret: HashInput | undefined;
  #hash: Hash | Hmac;
  #finished = false;

  constructor(secret?: HashInput) {
    this.#secret = secret;
    this.#hash = this.#create();
  }

  update(data: HashInput): void {
    if (this.#finished) throw new Error('Attempted to update an already finished hash.');
    // Strings and typed arrays go to node:crypto as they are, without a copy or a wrapper.
    this.#hash.update(data as BinaryLike);
  }

  async digest(): Promise<Uint8Array> {
    let digest: Buffer;
    if (this.#secret) {
      this.#finished = true;
      digest = this.#hash.digest();
    } else {
      digest = (this.#hash as Hash).copy().digest();
    }
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  }

  reset(): void {
    this.#hash = this.#create();
    this.#finished = false;
  }

  #create(): Hash | Hmac {
    return this.#secret ? createHmac('sha256', toKey(this.#secret)) : createHash('sha256');
  }
}
