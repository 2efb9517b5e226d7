/**
 * The source of randomness auth code takes, so tests can inject a fixed one.
 *
 * @module
 */

/** The most bytes `crypto.getRandomValues` fills in one call. */
const MAX_DRAW = 65536;

/** Returns `length` fresh random bytes. Production code uses {@link secureRandomBytes}. */
export type RandomBytes = (length: number) => Uint8Array;

/**
 * Cryptographically secure random bytes from the operating system (WebCrypto's CSPRNG, also in
 * a browser).
 */
export function secureRandomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += MAX_DRAW) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(length, at + MAX_DRAW)));
  }
  return bytes;
}
