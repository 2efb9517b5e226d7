/**
 * The {@link Primitives} of the web page, in plain JavaScript that runs in any browser (and in
 * Deno, where the conformance suite runs it beside the node back end): ChaCha20-Poly1305 from
 * `@noble/ciphers` (WebCrypto has no ChaCha20), SHA-256, HMAC and HKDF from `@noble/hashes`,
 * zstd from `fzstd`. The page's bundle maps `#primitives` to this module.
 *
 * HMAC and HKDF are noble's synchronous ones rather than WebCrypto's: WebCrypto only answers
 * with promises, and sync calls keep the repository format one shared, synchronous piece of
 * code. The page decrypts in Web Workers, so these calls do not block its UI.
 *
 * fzstd trusts the sizes a frame declares, so every frame's header is checked first
 * (`_zstd_frame_limits.ts`) and the output is counted as it streams out, refused past the
 * caller's bound before it is gathered.
 *
 * @module
 */

import { concatBytes } from "../concat_bytes.ts";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { Decompress } from "fzstd";
import { IntegrityError } from "../errors.ts";
import { ownedBytes } from "./_bytes.ts";
import { withContractChecks } from "./_checked_primitives.ts";
import * as contract from "./primitives.ts";

/** HMAC-SHA-256 with the keyed state prepared once and cloned for each message. */
class WebHmacSha256 implements contract.KeyedHmac {
  readonly #keyed: ReturnType<typeof hmac.create>;

  constructor(key: Uint8Array) {
    this.#keyed = hmac.create(sha256, key);
  }

  digest(message: Uint8Array): Uint8Array {
    return this.#keyed.clone().update(message).digest();
  }
}

/** Decodes with fzstd, counting the output as it streams out (the frames are checked already). */
function zstdDecompress(data: Uint8Array, maxSize: number): Uint8Array {
  const pieces: Uint8Array[] = [];
  let total = 0;
  const decoder = new Decompress((piece) => {
    total += piece.length;
    if (total > maxSize) throw contract.outputTooLarge(maxSize);
    pieces.push(piece);
  });
  try {
    decoder.push(data, true);
  } catch (error) {
    if (error instanceof IntegrityError) throw error;
    throw contract.damagedZstd(error);
  }
  return pieces.length === 1 ? ownedBytes(pieces[0]!) : concatBytes(pieces);
}

/** The primitives in plain JavaScript for browsers (see the module comment). */
export const primitives: contract.Primitives = withContractChecks({
  name: "web",
  sha256: (message) => sha256(message),
  hmacSha256: (key) => new WebHmacSha256(key),
  hkdfSha256: (ikm, salt, info, length) => hkdf(sha256, ikm, salt, info, length),
  sealChaCha20Poly1305(key, nonce, aad, plaintext, output) {
    chacha20poly1305(key, nonce, aad).encrypt(plaintext, output);
  },
  openChaCha20Poly1305(key, nonce, aad, sealed) {
    try {
      // noble checks the tag before it decrypts anything.
      return chacha20poly1305(key, nonce, aad).decrypt(sealed);
    } catch (error) {
      throw contract.notAuthentic(error);
    }
  },
  zstdDecompress,
  loadZstdDecoder: () => Promise.resolve(),
});
