/**
 * What both {@link Primitives} back ends share of their contract: the checks of every argument
 * and of zstd frame sizes, made once here so that the back ends refuse the same inputs with the
 * same errors, and a back end cannot leave one out.
 *
 * @module
 */

import { checkZstdFrameLimits } from "./_zstd_frame_limits.ts";
import {
  AEAD_KEY_BYTES,
  AEAD_NONCE_BYTES,
  AEAD_TAG_BYTES,
  HKDF_MAX_BYTES,
  HKDF_MAX_INFO_BYTES,
  notAuthentic,
  type Primitives,
} from "./primitives.ts";

/** @throws {RangeError} when the key is not 32 bytes or the nonce not 12 */
function checkAeadKeyAndNonce(key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AEAD_KEY_BYTES) {
    throw new RangeError(`Cannot use the AEAD key: it is ${key.length} bytes, not 32`);
  }
  if (nonce.length !== AEAD_NONCE_BYTES) {
    throw new RangeError(`Cannot use the AEAD nonce: it is ${nonce.length} bytes, not 12`);
  }
}

/** @throws {RangeError} when `output` is not exactly 16 bytes longer than `plaintext` */
function checkSealOutput(plaintext: Uint8Array, output: Uint8Array): void {
  if (output.length !== plaintext.length + AEAD_TAG_BYTES) {
    throw new RangeError(
      `Cannot seal: the output is ${output.length} bytes, not ${plaintext.length + AEAD_TAG_BYTES}`,
    );
  }
}

/** @throws {RangeError} when the length is out of 0..8160 or the info over 1024 bytes */
function checkHkdfArgs(info: Uint8Array, length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > HKDF_MAX_BYTES) {
    throw new RangeError(`Cannot derive a key: length ${length} is outside 0..${HKDF_MAX_BYTES}`);
  }
  if (info.length > HKDF_MAX_INFO_BYTES) {
    throw new RangeError(
      `Cannot derive a key: the info is ${info.length} bytes, over ${HKDF_MAX_INFO_BYTES}`,
    );
  }
}

/** @throws {RangeError} when `maxSize` is not a non-negative safe integer */
function checkMaxSize(maxSize: number): void {
  if (!Number.isSafeInteger(maxSize) || maxSize < 0) {
    throw new RangeError(`Cannot decompress chunk: maximum size ${maxSize} is not a byte count`);
  }
}

/**
 * The back end `raw` with the contract's checks in front: argument lengths and ranges, a sealed
 * input shorter than a tag, and zstd frames' declared sizes and windows, all refused before
 * `raw` sees them. `raw` may then assume valid arguments.
 */
export function withContractChecks(raw: Primitives): Primitives {
  return {
    name: raw.name,
    sha256: (message) => raw.sha256(message),
    hmacSha256: (key) => raw.hmacSha256(key),
    hkdfSha256(ikm, salt, info, length) {
      checkHkdfArgs(info, length);
      return raw.hkdfSha256(ikm, salt, info, length);
    },
    sealChaCha20Poly1305(key, nonce, aad, plaintext, output) {
      checkAeadKeyAndNonce(key, nonce);
      checkSealOutput(plaintext, output);
      raw.sealChaCha20Poly1305(key, nonce, aad, plaintext, output);
    },
    openChaCha20Poly1305(key, nonce, aad, sealed) {
      checkAeadKeyAndNonce(key, nonce);
      if (sealed.length < AEAD_TAG_BYTES) throw notAuthentic();
      return raw.openChaCha20Poly1305(key, nonce, aad, sealed);
    },
    openChaCha20Poly1305InPlace(key, nonce, aad, sealed) {
      checkAeadKeyAndNonce(key, nonce);
      if (sealed.length < AEAD_TAG_BYTES) throw notAuthentic();
      return raw.openChaCha20Poly1305InPlace(key, nonce, aad, sealed);
    },
    zstdDecompress(data, maxSize) {
      checkMaxSize(maxSize);
      checkZstdFrameLimits(data, maxSize);
      return raw.zstdDecompress(data, maxSize);
    },
    loadWebAssembly: () => raw.loadWebAssembly(),
  };
}
