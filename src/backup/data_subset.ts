/**
 * Which chunks `check --read-data-subset` reads: a share chosen at random (`N%`), or part K of M
 * of a stable split by chunk id (`K/M`), as restic chooses packs. Ids are keyed hashes, evenly
 * spread, so the split by their first four bytes gives parts of about equal size, and the M parts
 * of one repository, read in turn, read every chunk exactly once.
 *
 * @module
 */
import type { ChunkWant } from "../client/chunk_source.ts";
import { UsageError } from "../errors.ts";

/** What part of the referenced chunks a check reads. */
export type DataSubset =
  | { kind: "all" }
  | { kind: "percent"; percent: number }
  | { kind: "part"; part: number; parts: number };

/** Most parts a split may have. */
const MAX_PARTS = 1_000_000;

/**
 * Parses the value of `--read-data-subset`: `N%` (0 < N ≤ 100, decimals allowed) or `K/M`
 * (1 ≤ K ≤ M ≤ 1,000,000).
 * @throws {UsageError} for anything else
 */
export function parseDataSubset(text: string): DataSubset {
  const invalid = (why: string) => new UsageError(`Invalid --read-data-subset "${text}": ${why}`);
  const percent = /^(\d{1,3}(?:\.\d{1,6})?)%$/.exec(text);
  if (percent !== null) {
    const value = Number(percent[1]);
    if (!(value > 0 && value <= 100)) {
      throw invalid("the percentage must be above 0 and at most 100");
    }
    return value === 100 ? { kind: "all" } : { kind: "percent", percent: value };
  }
  const part = /^(\d{1,7})\/(\d{1,7})$/.exec(text);
  if (part !== null) {
    const [k, m] = [Number(part[1]), Number(part[2])];
    if (!(k >= 1 && k <= m && m <= MAX_PARTS)) {
      throw invalid(`expected K/M with 1 ≤ K ≤ M ≤ ${MAX_PARTS}`);
    }
    return m === 1 ? { kind: "all" } : { kind: "part", part: k, parts: m };
  }
  throw invalid("expected N% (e.g. 10%) or K/M (e.g. 1/5)");
}

/** The part (1…`parts`) chunk `id` belongs to in a split into `parts`. */
export function partOf(id: Uint8Array, parts: number): number {
  const head = ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0;
  return (head % parts) + 1;
}

/**
 * The chunks of `wants` that `subset` chooses, in their order. `N%` takes round(N% of them), at
 * least one when there are any, chosen with `random` (in [0, 1)).
 */
export function chooseSubset(
  wants: readonly ChunkWant[],
  subset: DataSubset,
  random: () => number = Math.random,
): ChunkWant[] {
  if (subset.kind === "all") return [...wants];
  if (subset.kind === "part") {
    return wants.filter((want) => partOf(want.id, subset.parts) === subset.part);
  }
  const count = wants.length === 0
    ? 0
    : Math.max(1, Math.round(wants.length * subset.percent / 100));
  // A partial Fisher–Yates shuffle of the positions picks `count` of them, each set equally likely.
  const positions = Uint32Array.from({ length: wants.length }, (_, i) => i);
  const chosen = new Uint8Array(wants.length);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (wants.length - i));
    [positions[i], positions[j]] = [positions[j]!, positions[i]!];
    chosen[positions[i]!] = 1;
  }
  return wants.filter((_, i) => chosen[i] === 1);
}
