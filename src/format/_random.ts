/**
 * The randomness the repository's cryptography takes, so tests can inject a fixed one.
 *
 * @module
 */

/** Returns `length` fresh random bytes. Production code uses {@link secureRandomBytes}. */
export type RandomBytes = (length: number) => Uint8Array;

/** Cryptographically secure random bytes from the operating system (WebCrypto's CSPRNG). */
export function secureRandomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

/**
 * Draws `length` bytes from `random` and checks the count, so a faulty injected source cannot
 * silently shorten a salt or a nonce.
 *
 * @throws {RangeError} when the source returns the wrong number of bytes
 */
export function drawRandom(random: RandomBytes, length: number): Uint8Array {
  const bytes = random(length);
  if (bytes.length !== length) {
    throw new RangeError(
      `Cannot draw random bytes: the source returned ${bytes.length} bytes, not ${length}`,
    );
  }
  return bytes;
}
