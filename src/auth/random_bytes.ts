/**
 * The source of randomness auth code takes, so tests can inject a fixed one.
 *
 * @module
 */

import { randomBytes } from "node:crypto";

/** Returns `length` fresh random bytes. Production code uses {@link secureRandomBytes}. */
export type RandomBytes = (length: number) => Uint8Array;

/** Cryptographically secure random bytes from the operating system. */
export function secureRandomBytes(length: number): Uint8Array {
  return new Uint8Array(randomBytes(length));
}
