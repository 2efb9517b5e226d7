import assert from "node:assert/strict";
import { seededRandom } from "../protocol/_test_util.ts";
import { sortIds } from "./_id_sort.ts";

const BLOCK_BITS = 4; // 16 slots a block: many blocks even for small tests

/** `count` ids in blocks of 16, made by `idOf(slot)`. */
function blocksOf(count: number, idOf: (slot: number) => Uint8Array): Uint8Array[] {
  const blocks: Uint8Array[] = [];
  for (let slot = 0; slot < count; slot++) {
    if ((slot & 15) === 0) blocks.push(new Uint8Array(16 * 32));
    blocks[slot >>> BLOCK_BITS]!.set(idOf(slot), (slot & 15) * 32);
  }
  return blocks;
}

/** The slots in the order a plain comparison sort gives: by id bytes, then by slot. */
function expected(blocks: Uint8Array[], count: number): number[] {
  const idOf = (slot: number) =>
    blocks[slot >>> BLOCK_BITS]!.subarray((slot & 15) * 32, (slot & 15) * 32 + 32).toHex();
  return Array.from({ length: count }, (_, slot) => slot).sort((a, b) =>
    idOf(a) < idOf(b) ? -1 : idOf(a) > idOf(b) ? 1 : a - b
  );
}

const cases: [string, number, (random: () => number) => (slot: number) => Uint8Array][] = [
  ["random ids", 20_000, (random) => () => Uint8Array.from({ length: 32 }, () => random() * 256)],
  [
    "ids that share their first 29 bytes",
    3000,
    (random) => () => {
      const id = new Uint8Array(32).fill(0xab);
      for (let k = 29; k < 32; k++) id[k] = random() * 256;
      return id;
    },
  ],
  [
    "a few ids that share their first 10 bytes",
    40,
    (random) => () => {
      const id = new Uint8Array(32).fill(0x5c);
      for (let k = 10; k < 32; k++) id[k] = random() * 4;
      return id;
    },
  ],
  [
    "ids loaded several times",
    3000,
    (random) => {
      const pool = Array.from(
        { length: 50 },
        () => Uint8Array.from({ length: 32 }, () => random() * 256),
      );
      return () => pool[Math.floor(random() * pool.length)]!;
    },
  ],
];

/** The slots of `order` without the later ones of equal ids, and those dropped. */
function unique(blocks: Uint8Array[], order: number[]): { kept: number[]; dropped: number[] } {
  const hex = (slot: number) =>
    blocks[slot >>> BLOCK_BITS]!.subarray((slot & 15) * 32, (slot & 15) * 32 + 32).toHex();
  const kept: number[] = [];
  const dropped: number[] = [];
  for (const slot of order) {
    if (kept.length > 0 && hex(kept.at(-1)!) === hex(slot)) dropped.push(slot);
    else kept.push(slot);
  }
  return { kept, dropped };
}

for (const [what, count, make] of cases) {
  Deno.test(`sortIds() sorts ${what} side by side, keeping the lowest slot of equal ids`, async () => {
    const blocks = blocksOf(count, make(seededRandom(count)));
    let pauses = 0;
    const sorted = await sortIds({ blocks, blockBits: BLOCK_BITS }, count, 512, () => {
      pauses++;
      return Promise.resolve();
    });
    const { kept, dropped } = unique(blocks, expected(blocks, count));
    assert.deepEqual([...sorted.slots.subarray(0, sorted.count)], kept);
    for (const [i, slot] of kept.entries()) {
      const id = blocks[slot >>> BLOCK_BITS]!.subarray((slot & 15) * 32, (slot & 15) * 32 + 32);
      assert.deepEqual(sorted.ids.subarray(i * 32, i * 32 + 32), id);
    }
    assert.deepEqual(sorted.duplicates.sort((a, b) => a - b), dropped.sort((a, b) => a - b));
    assert.equal(sorted.slots.length % 512, 0, "room in whole leaves");
    assert.equal(sorted.ids.length, sorted.slots.length * 32);
    assert.ok(pauses > 0, "it offers the event loop a turn");
  });
}
