/**
 * Strict, canonical base64 (RFC 4648 §4, padded) for the small byte fields of control messages,
 * through the built-in `Uint8Array.toBase64` / `fromBase64`: one spelling per value, so a key
 * has exactly one wire form.
 *
 * @module
 */

/** The padded shape: the built-in decoder alone would skip whitespace. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Characters of the padded base64 form of `n` bytes. */
export function base64Length(n: number): number {
  return Math.ceil(n / 3) * 4;
}

/** Padded base64 of `bytes`. */
export function encodeBase64(bytes: Uint8Array): string {
  return bytes.toBase64();
}

/** The bytes of canonical padded base64 `text`, or null when `text` is not exactly that. */
export function decodeBase64(text: string): Uint8Array | null {
  if (!BASE64.test(text)) return null;
  try {
    // "strict" refuses non-zero unused bits, which would give one key several spellings.
    return Uint8Array.fromBase64(text, { lastChunkHandling: "strict" });
  } catch {
    return null;
  }
}
