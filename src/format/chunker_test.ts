import assert from "node:assert/strict";
import { createCipheriv, createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import {
  chunkBoundaries,
  chunkerMasks,
  type ChunkerParams,
  DEFAULT_CHUNKER_PARAMS,
  findCut,
  validateChunkerParams,
} from "./chunker.ts";
import { fixedGearTable, type GearTable, keyedGearTable } from "./gear_table.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const { minSize, avgSize, maxSize } = DEFAULT_CHUNKER_PARAMS;
const FIXED = fixedGearTable();
/** The keyed table of the golden vectors: chunker key = bytes 0, 1, …, 31. */
const KEYED = keyedGearTable(Uint8Array.from({ length: 32 }, (_, i) => i));

function sha256Hex(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** `size` bytes of AES-256-CTR keystream, key SHA-256(label), IV 0: seeded random data. */
function keystream(label: string, size: number): Uint8Array {
  const key = createHash("sha256").update(label).digest();
  const cipher = createCipheriv("aes-256-ctr", key, new Uint8Array(16));
  const out = new Uint8Array(size);
  const zeros = new Uint8Array(MiB);
  for (let off = 0; off < size; off += MiB) {
    out.set(cipher.update(zeros.subarray(0, Math.min(MiB, size - off))), off);
  }
  return out;
}

/** sfc32, seeded from SHA-256(label): a small deterministic PRNG of 32-bit values. */
function sfc32(label: string): () => number {
  const seed = createHash("sha256").update(label).digest();
  let a = seed.readUInt32BE(0), b = seed.readUInt32BE(4), c = seed.readUInt32BE(8);
  let d = seed.readUInt32BE(12);
  return () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
}

const WORDS = (
  "the a backup chunk file folder repository snapshot server client error info debug " +
  "request response user key index pack data size time ok failed retry open close read write " +
  "sync hash seal upload download 0 1 2 3 4 5 6 7 8 9 alpha beta gamma delta = : , . - / [ ] " +
  "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor"
).split(" ");

/** `size` bytes of low-entropy text: lines of 4–15 words drawn by a seeded PRNG from ~80. */
function lowEntropyText(size: number): Uint8Array {
  const next = sfc32("burrow chunker test text v1");
  const encoder = new TextEncoder();
  const out = new Uint8Array(size);
  let off = 0;
  while (off < size) {
    const words: string[] = [];
    for (let n = 4 + (next() % 12); n > 0; n--) words.push(WORDS[next() % WORDS.length] ?? "");
    const line = encoder.encode(words.join(" ") + "\n");
    out.set(line.subarray(0, size - off), off);
    off += line.length;
  }
  return out;
}

/** Chunk lengths of the first 32 MiB of `random64()`: 29 chunks. Part of the format. */
const RANDOM_GOLDEN = [
  1053496,
  706495,
  1332034,
  1078661,
  291538,
  1339575,
  2218508,
  1450973,
  1115565,
  1190686,
  1166077,
  870670,
  1180167,
  1388310,
  1394041,
  1564409,
  1050343,
  1092868,
  536453,
  432532,
  1090824,
  537309,
  1150949,
  1722666,
  1101526,
  1212126,
  1210958,
  2510992,
  563681,
];

/** Chunk lengths of `lowEntropyText(32 MiB)`: 27 chunks. Part of the format. */
const TEXT_GOLDEN = [
  1217528,
  814424,
  1068017,
  1128879,
  1566450,
  1121341,
  1113868,
  1484634,
  1812409,
  1673391,
  1130812,
  1859103,
  1276906,
  710709,
  1183654,
  330467,
  1809658,
  813118,
  1452083,
  1118976,
  1104967,
  1104193,
  1346411,
  1145346,
  1434579,
  1348986,
  1383523,
];

/** Chunk lengths of the first 32 MiB of `random64()` under `KEYED`: 29 chunks. Part of the format. */
const KEYED_RANDOM_GOLDEN = [
  1245732,
  1586113,
  1255105,
  1119655,
  1340039,
  1413839,
  1369403,
  534806,
  1097433,
  904691,
  1103001,
  1167247,
  424768,
  1553914,
  1170300,
  1301904,
  1193040,
  1981661,
  1224798,
  301592,
  1273925,
  1067167,
  1616142,
  1085223,
  1253023,
  1211937,
  1128412,
  1160690,
  468872,
];

/** Chunk lengths of `lowEntropyText(32 MiB)` under `KEYED`: 29 chunks. Part of the format. */
const KEYED_TEXT_GOLDEN = [
  589969,
  1086241,
  1317978,
  1660004,
  1219093,
  1097778,
  1799271,
  1174264,
  1337511,
  1329201,
  1124195,
  1198682,
  1079198,
  1383230,
  1052555,
  1339885,
  1223495,
  1085437,
  1478479,
  1248516,
  475505,
  1140630,
  1080108,
  1183338,
  1054354,
  509467,
  1174479,
  1285635,
  825934,
];

let textCache: Uint8Array | undefined;
/** `lowEntropyText(32 MiB)`, made once. */
function text32(): Uint8Array {
  textCache ??= lowEntropyText(32 * MiB);
  return textCache;
}

let randomCache: Uint8Array | undefined;
/** 64 MiB of seeded random data, made once; the golden vectors use the first 32 MiB. */
function random64(): Uint8Array {
  randomCache ??= keystream("burrow chunker test random v1", 64 * MiB);
  return randomCache;
}

/**
 * Chunk `source` the way a streaming worker does: read into a reused window of `windowSize`
 * bytes (`readSize(i)` bytes at a time), ask findCut, shift the remainder to the front, refill.
 */
function streamLengths(
  source: Uint8Array,
  windowSize: number,
  gear: GearTable,
  params: ChunkerParams = DEFAULT_CHUNKER_PARAMS,
  readSize: (i: number) => number = () => windowSize,
): number[] {
  const window = new Uint8Array(windowSize);
  const lengths: number[] = [];
  let filled = 0, pos = 0, read = 0;
  for (let reads = 0;; reads++) {
    window.copyWithin(0, pos, filled);
    filled -= pos;
    pos = 0;
    const n = Math.min(windowSize - filled, source.length - read, Math.max(1, readSize(reads)));
    window.set(source.subarray(read, read + n), filled);
    filled += n;
    read += n;
    const final = read === source.length;
    while (pos < filled) {
      const length = findCut(window, pos, filled, final, gear, params);
      if (length === 0) break;
      lengths.push(length);
      pos += length;
    }
    if (final && pos === filled) return lengths;
  }
}

function assertSizesInBounds(lengths: number[], params: ChunkerParams): void {
  lengths.forEach((length, i) => {
    assert.ok(length <= params.maxSize, `chunk ${i} is ${length} bytes`);
    if (i < lengths.length - 1) assert.ok(length > params.minSize, `chunk ${i} is ${length}`);
    else assert.ok(length > 0);
  });
}

/** SHA-256 of a gear table's entries as big-endian 32-bit integers. */
function tableHash(table: Int32Array): string {
  const bytes = new Uint8Array(table.length * 4);
  const view = new DataView(bytes.buffer);
  table.forEach((value, i) => view.setInt32(i * 4, value));
  return sha256Hex(bytes);
}

Deno.test('fixedGearTable() is the pinned table derived from SHA-256("burrow gear v1" || counter)', () => {
  assert.equal(FIXED.length, 256);
  assert.equal(
    tableHash(FIXED),
    "df483b5eaa843451e8cb86bd069b43cdbf2a048b7ba31222e23d87ead76161b4",
  );
  const first = createHash("sha256").update("burrow gear v1").update(new Uint8Array(4)).digest();
  assert.equal(FIXED[0], first.readInt32BE(0));
});

Deno.test('keyedGearTable() is the pinned table derived from HMAC(key, "burrow gear v2" || counter)', () => {
  assert.equal(KEYED.length, 256);
  assert.equal(
    tableHash(KEYED),
    "06bbbc2f86291e822e33cd79364093e5de7c2cb10b2d47ad1b63019a12d74e18",
  );
  const key = Uint8Array.from({ length: 32 }, (_, i) => i);
  const first = createHmac("sha256", key).update("burrow gear v2").update(new Uint8Array(4))
    .digest();
  assert.equal(KEYED[0], first.readInt32BE(0));
  assert.throws(() => keyedGearTable(new Uint8Array(31)), RangeError);
});

Deno.test("chunkerMasks() spreads 22 and 18 bits, maskL inside maskS", () => {
  const { maskS, maskL } = chunkerMasks();
  assert.equal((maskS >>> 0).toString(16), "eeeaeeea");
  assert.equal((maskL >>> 0).toString(16), "eaaaeaaa");
  const popcount = (x: number) => (x >>> 0).toString(2).replaceAll("0", "").length;
  assert.equal(popcount(maskS), 22);
  assert.equal(popcount(maskL), 18);
  assert.equal(maskS & maskL, maskL);
});

Deno.test("validateChunkerParams() rejects bad parameters", () => {
  validateChunkerParams(DEFAULT_CHUNKER_PARAMS);
  validateChunkerParams({ minSize: 64, avgSize: 128, maxSize: 8 * MiB });
  const bad: ChunkerParams[] = [
    { minSize, avgSize: 1000 * KiB, maxSize },
    { minSize: avgSize, avgSize, maxSize },
    { minSize, avgSize, maxSize: avgSize },
    { minSize, avgSize, maxSize: 8 * MiB + 1 },
    { minSize: 32, avgSize: 128, maxSize: 1024 },
    { minSize: 1000.5, avgSize: 4 * KiB, maxSize: 8 * KiB },
    { minSize, avgSize: Number.NaN, maxSize },
  ];
  for (const params of bad) {
    assert.throws(() => validateChunkerParams(params), RangeError, JSON.stringify(params));
    assert.throws(() => findCut(new Uint8Array(10), 0, 10, true, FIXED, params), RangeError);
  }
});

Deno.test("findCut() rejects a range outside the data", () => {
  const data = new Uint8Array(10);
  for (const [start, end] of [[-1, 5], [6, 5], [0, 11], [0.5, 5]] as const) {
    assert.throws(() => findCut(data, start, end, true, FIXED), RangeError);
  }
});

Deno.test("findCut() returns 0 only when more data is needed", () => {
  const data = random64().subarray(0, 8 * MiB);
  const first = findCut(data, 0, data.length, true, FIXED);
  assert.ok(first > minSize && first < maxSize);
  // Not final: fewer bytes than the cut point, and fewer than maxSize, cannot decide.
  assert.equal(findCut(data, 0, first - 1, false, FIXED), 0);
  assert.equal(findCut(data, 0, minSize, false, FIXED), 0);
  assert.equal(findCut(data, 0, 0, false, FIXED), 0);
  // Enough bytes to see the cut point: the same answer, final or not.
  assert.equal(findCut(data, 0, first, false, FIXED), first);
  assert.equal(findCut(data, 0, first + 1, false, FIXED), first);
  // Final: the tail is a chunk; an empty range has none.
  assert.equal(findCut(data, 0, first - 1, true, FIXED), first - 1);
  assert.equal(findCut(data, 0, 1, true, FIXED), 1);
  assert.equal(findCut(data, 5, 5, true, FIXED), 0);
  // maxSize bytes without a cut point: cut at maxSize, final or not.
  const zeros = new Uint8Array(maxSize + 1);
  assert.equal(findCut(zeros, 0, maxSize, false, FIXED), maxSize);
  assert.equal(findCut(zeros, 1, maxSize + 1, false, FIXED), maxSize);
  assert.equal(findCut(zeros, 0, maxSize - 1, false, FIXED), 0);
});

Deno.test("chunkBoundaries() of empty and short input", () => {
  assert.deepEqual(chunkBoundaries(new Uint8Array(0), FIXED), []);
  assert.deepEqual(chunkBoundaries(new Uint8Array(1), FIXED), [1]);
  assert.deepEqual(chunkBoundaries(random64().subarray(0, minSize - 1), FIXED), [minSize - 1]);
  assert.deepEqual(chunkBoundaries(random64().subarray(0, minSize), FIXED), [minSize]);
});

Deno.test("chunkBoundaries() cuts all-zero input at maxSize", () => {
  for (const gear of [FIXED, KEYED]) {
    const lengths = chunkBoundaries(new Uint8Array(20 * MiB + 12345), gear);
    assert.deepEqual(lengths, [maxSize, maxSize, maxSize, maxSize, maxSize, 12345]);
  }
});

Deno.test("findCut() refuses a gear table that is not 256 32-bit entries", () => {
  const data = new Uint8Array(10);
  for (const gear of [new Int32Array(255), new Int32Array(257), new Uint32Array(256)]) {
    assert.throws(() => findCut(data, 0, 10, true, gear as Int32Array), /gear table/);
  }
});

/** Golden vectors: chunk lengths of seeded data under one table, and the SHA-256 of their list. */
const GOLDEN: {
  name: string;
  gear: GearTable;
  data: () => Uint8Array;
  lengths: number[];
  hash: string;
}[] = [
  {
    name: "fixed table, 32 MiB of random data",
    gear: FIXED,
    data: () => random64().subarray(0, 32 * MiB),
    lengths: RANDOM_GOLDEN,
    hash: "6aa4aa83212b460929264be839799b4d8358ef8793dcdca555410ae3673559aa",
  },
  {
    name: "fixed table, 32 MiB of low-entropy text",
    gear: FIXED,
    data: text32,
    lengths: TEXT_GOLDEN,
    hash: "1da5edbeb7e877eaf38b86aff4cc3387cff1705073086e4a773db6be1b8be0bb",
  },
  {
    name: "keyed table, 32 MiB of random data",
    gear: KEYED,
    data: () => random64().subarray(0, 32 * MiB),
    lengths: KEYED_RANDOM_GOLDEN,
    hash: "ec1d8508be65eaa8a984272530e476b13e6c05911bdfad01f99f16281612fccc",
  },
  {
    name: "keyed table, 32 MiB of low-entropy text",
    gear: KEYED,
    data: text32,
    lengths: KEYED_TEXT_GOLDEN,
    hash: "8bb624f3b8d6a6e18c3f6c9d755168a823df647b8f82a7dc04db53eed396726a",
  },
];

for (const golden of GOLDEN) {
  Deno.test(`chunkBoundaries() matches the golden vector: ${golden.name}`, () => {
    const lengths = chunkBoundaries(golden.data(), golden.gear);
    assert.deepEqual(lengths, golden.lengths);
    assert.equal(sha256Hex(lengths.join(",")), golden.hash);
    assertSizesInBounds(lengths, DEFAULT_CHUNKER_PARAMS);
  });
}

Deno.test("lowEntropyText() is the pinned test text", () => {
  const text = text32();
  assert.equal(sha256Hex(text), "abbcc01bb114ff10a384f2ae9d2ea9a9e73660ddc5d4cfb042ba755fd29b29d6");
});

Deno.test("chunkBoundaries() with two different keys cuts the same data at different points", () => {
  // What stops a server from spotting a known file by its blob sizes: under another
  // repository's key, or the public fixed table, the sizes do not match.
  const data = random64().subarray(0, 32 * MiB);
  const cuts = (gear: GearTable) => {
    let at = 0;
    return new Set(chunkBoundaries(data, gear).slice(0, -1).map((length) => at += length));
  };
  const other = keyedGearTable(new Uint8Array(32).fill(0xee));
  const [a, b, fixed] = [cuts(KEYED), cuts(other), cuts(FIXED)];
  for (const [x, y] of [[a, b], [a, fixed], [b, fixed]] as const) {
    const shared = [...x].filter((cut) => y.has(cut)).length;
    assert.ok(shared <= 1, `${shared} of ${x.size} cut points shared`);
  }
});

Deno.test("chunkBoundaries() averages avgSize ±25% over 64 MiB of random data", () => {
  for (const gear of [FIXED, KEYED]) {
    const lengths = chunkBoundaries(random64(), gear);
    assertSizesInBounds(lengths, DEFAULT_CHUNKER_PARAMS);
    const average = (64 * MiB) / lengths.length;
    assert.ok(Math.abs(average - avgSize) <= avgSize / 4, `average ${average}`);
  }
});

Deno.test("findCut() gives the same cuts whatever the streaming window", () => {
  const data = random64().subarray(0, 32 * MiB);
  for (const gear of [FIXED, KEYED]) {
    const whole = chunkBoundaries(data, gear);
    for (const windowSize of [4 * MiB + 1, 5 * MiB, 8 * MiB, 13 * MiB]) {
      assert.deepEqual(streamLengths(data, windowSize, gear), whole, `window ${windowSize}`);
    }
    // Short reads, as from a pipe: the window is rarely full when findCut is asked.
    const short = streamLengths(data, 8 * MiB, gear, DEFAULT_CHUNKER_PARAMS, () => 700 * KiB);
    assert.deepEqual(short, whole);
  }
});

Deno.test("findCut() is independent of windowing for any parameters and table (property)", () => {
  const paramsArb = fc.integer({ min: 7, max: 10 }).chain((bits) =>
    fc.record({
      minSize: fc.integer({ min: 64, max: (1 << bits) - 1 }),
      avgSize: fc.constant(1 << bits),
      maxSize: fc.integer({ min: (1 << bits) + 1, max: 8 << bits }),
    })
  );
  const gearArb = fc.oneof(
    fc.constant(FIXED),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((key) => keyedGearTable(key)),
  );
  fc.assert(
    fc.property(
      paramsArb,
      gearArb,
      fc.uint8Array({ maxLength: 30000, size: "max" }),
      fc.integer({ min: 0, max: 5000 }),
      fc.array(fc.integer({ min: 256, max: 9000 }), { minLength: 1, maxLength: 8 }),
      (params, gear, data, extra, reads) => {
        const whole = chunkBoundaries(data, gear, params);
        assert.equal(whole.reduce((a, b) => a + b, 0), data.length);
        assertSizesInBounds(whole, params);
        const windowSize = params.maxSize + extra;
        const read = (i: number) => reads[i % reads.length]!;
        assert.deepEqual(streamLengths(data, windowSize, gear, params, read), whole);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("chunkBoundaries() after a 100-byte insertion keeps the other chunks", () => {
  const original = random64().subarray(0, 32 * MiB);
  const at = 10 * MiB;
  const inserted = keystream("burrow chunker test insertion v1", 100);
  const edited = new Uint8Array(original.length + inserted.length);
  edited.set(original.subarray(0, at));
  edited.set(inserted, at);
  edited.set(original.subarray(at), at + inserted.length);

  for (const gear of [FIXED, KEYED]) {
    const chunkIds = (data: Uint8Array): string[] => {
      let start = 0;
      return chunkBoundaries(data, gear).map((length) =>
        sha256Hex(data.subarray(start, start += length))
      );
    };
    const before = new Set(chunkIds(original));
    const after = chunkIds(edited);
    const kept = after.filter((id) => before.has(id)).length;
    assert.ok(kept / after.length >= 0.9, `${kept} of ${after.length} chunks kept`);
    // The chunks that changed all lie near the edit.
    let start = 0;
    chunkBoundaries(edited, gear).forEach((length, i) => {
      if (!before.has(after[i]!)) {
        assert.ok(start + length > at && start < at + 100 + 2 * maxSize, `chunk at ${start}`);
      }
      start += length;
    });
  }
});
