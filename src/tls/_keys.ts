/**
 * ECDSA P-256 keys through WebCrypto: generation, PKCS#8 PEM export and import, and the check
 * that a private key belongs to a certificate's public key.
 *
 * @module
 */
import { encodePem, pemBlocks } from "./_pem.ts";

/** The key algorithm of every certificate burrow makes. */
export const KEY_ALGORITHM: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
/** The signature algorithm of every certificate burrow makes. */
export const SIGNING_ALGORITHM: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };

/** A new extractable P-256 key pair. */
export function newKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"]);
}

/** A private key as PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`). */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return encodePem("PRIVATE KEY", await crypto.subtle.exportKey("pkcs8", key));
}

/** The P-256 signing key in a PKCS#8 PEM text, or undefined when there is none. */
export async function importPrivateKeyPem(pem: string): Promise<CryptoKey | undefined> {
  const block = pemBlocks(pem).find((candidate) => candidate.label === "PRIVATE KEY");
  if (block === undefined) return undefined;
  try {
    return await crypto.subtle.importKey("pkcs8", block.der, KEY_ALGORITHM, true, ["sign"]);
  } catch {
    return undefined;
  }
}

/** Whether a P-256 private key is the partner of a public key given as SPKI DER. */
export async function keyMatchesPublicKey(
  privateKey: CryptoKey,
  spki: ArrayBuffer,
): Promise<boolean> {
  try {
    const publicKey = await crypto.subtle.importKey("spki", spki, KEY_ALGORITHM, true, ["verify"]);
    const mine = await crypto.subtle.exportKey("jwk", privateKey);
    const theirs = await crypto.subtle.exportKey("jwk", publicKey);
    return mine.x === theirs.x && mine.y === theirs.y;
  } catch {
    return false;
  }
}
