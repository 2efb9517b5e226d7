/**
 * Sizes given on the command line (`--quota 50GiB`): one parser, so every flag that takes a size
 * accepts and refuses the same text.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/** Bytes per unit, by lower-case unit name: SI units are powers of 1000, IEC ones of 1024. */
const UNITS: Readonly<Record<string, number>> = {
  "": 1,
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  pb: 1e15,
  kib: 2 ** 10,
  mib: 2 ** 20,
  gib: 2 ** 30,
  tib: 2 ** 40,
  pib: 2 ** 50,
};

const SIZE = /^(\d{1,16}(?:\.\d{1,16})?) ?([A-Za-z]{0,3})$/;

/**
 * The number of bytes `text` names: a number (a fraction allowed) and a unit, case-insensitive:
 * B, KB, MB, GB, TB, PB (powers of 1000) or KiB, MiB, GiB, TiB, PiB (powers of 1024); no unit
 * means bytes. A fraction of a byte is dropped: "1.5KB" is 1500, "0.5B" is 0.
 * @throws {RangeError} for anything else, or a size past 2^53 - 1 bytes
 */
export function parseSize(text: string): number {
  const match = SIZE.exec(text.trim());
  const unit = UNITS[(match?.[2] ?? "?").toLowerCase()];
  if (match === null || unit === undefined) {
    throw new RangeError(`Invalid size "${text}": expected a size like 50GiB, 500MB or 1.5TiB`);
  }
  const bytes = Math.floor(Number(match[1]) * unit);
  if (!Number.isSafeInteger(bytes)) throw new RangeError(`Invalid size "${text}": too large`);
  return bytes;
}

/**
 * The value of a `--quota` flag: bytes, null for "none" (no limit), undefined when not given.
 * @throws {UsageError} naming the flag and the forms it takes
 */
export function quotaFlagValue(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value.trim().toLowerCase() === "none") return null;
  try {
    return parseSize(value);
  } catch {
    throw new UsageError(
      `Cannot use --quota "${value}": expected a size like 50GiB, 500MB or 1.5TiB, or none`,
    );
  }
}
