/**
 * Strict parsing helpers shared by the PHC and client-KDF codecs. Every value they read comes
 * from a store or the network, so they check shape and bounds before anything is allocated.
 *
 * @module
 */

/** The unpadded alphabet: the built-in decoder alone would skip whitespace. */
const B64_PATTERN = /^[A-Za-z0-9+/]*$/;
const DECIMAL_PATTERN = /^(?:0|[1-9][0-9]{0,9})$/;

/**
 * Standard base64 without padding, as the PHC string format writes salts and hashes (the
 * built-in `toBase64`).
 */
export function encodeB64(bytes: Uint8Array): string {
  return bytes.toBase64({ omitPadding: true });
}

/**
 * Decodes unpadded standard base64 strictly (the built-in `fromBase64`, "strict"): no padding,
 * no whitespace, no non-zero trailing bits, and a decoded length within [minBytes, maxBytes].
 *
 * @throws {SyntaxError} when the text is not canonical unpadded base64
 * @throws {RangeError} when the decoded length is out of bounds
 */
export function decodeB64(
  text: string,
  what: string,
  minBytes: number,
  maxBytes: number,
): Uint8Array {
  if (text.length > Math.ceil((maxBytes * 4) / 3)) {
    throw new RangeError(`Cannot decode ${what}: longer than ${maxBytes} bytes`);
  }
  if (!B64_PATTERN.test(text) || text.length % 4 === 1) {
    throw new SyntaxError(`Cannot decode ${what}: not unpadded base64`);
  }
  const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
  let bytes: Uint8Array;
  try {
    bytes = Uint8Array.fromBase64(padded, { lastChunkHandling: "strict" });
  } catch (error) {
    throw new SyntaxError(`Cannot decode ${what}: not canonical base64`, { cause: error });
  }
  if (bytes.length < minBytes || bytes.length > maxBytes) {
    throw new RangeError(
      `Cannot decode ${what}: ${bytes.length} bytes is outside ${minBytes}..${maxBytes}`,
    );
  }
  return bytes;
}

/**
 * Parses a canonical decimal integer (no sign, no leading zeros, at most 10 digits) and checks
 * it against [min, max].
 *
 * @throws {SyntaxError} when the text is not a canonical decimal
 * @throws {RangeError} when the value is out of bounds
 */
export function parseBoundedInt(text: string, what: string, min: number, max: number): number {
  if (!DECIMAL_PATTERN.test(text)) {
    throw new SyntaxError(`Cannot parse ${what}: not a decimal integer`);
  }
  const value = Number(text);
  checkBoundedInt(value, what, min, max);
  return value;
}

/**
 * Checks that a number is a safe integer within [min, max].
 *
 * @throws {RangeError} when it is not
 */
export function checkBoundedInt(value: number, what: string, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`Cannot use ${what} ${value}: outside ${min}..${max}`);
  }
}

/**
 * Splits "k1=v1,k2=v2,…" into values, requiring exactly the given keys in that order.
 *
 * @throws {SyntaxError} when keys are missing, extra or out of order
 */
export function splitParams(text: string, keys: readonly string[], what: string): string[] {
  const pairs = text.split(",");
  if (pairs.length !== keys.length) {
    throw new SyntaxError(`Cannot parse ${what}: expected parameters ${keys.join(",")}`);
  }
  return pairs.map((pair, index) => {
    const prefix = `${keys[index]}=`;
    if (!pair.startsWith(prefix)) {
      throw new SyntaxError(`Cannot parse ${what}: expected parameters ${keys.join(",")}`);
    }
    return pair.slice(prefix.length);
  });
}
