import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import fc from "fast-check";
import {
  chunkBoundaries,
  chunkerMasks,
  type ChunkerParams,
  DEFAULT_CHUNKER_PARAMS,
  findCut,
  validateChunkerParams,
} from "./chunker.ts";
import { GEAR } from "./_gear_table.ts";

const KiB = 1024;
const MiB = 1024 * KiB;
const { minSize, avgSize, maxSize } = DEFAULT_CHUNKER_PARAMS;

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
      const length = findCut(window, pos, filled, final, params);
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

Deno.test('GEAR is the pinned table derived from SHA-256("burrow gear v1" || counter)', () => {
  assert.equal(GEAR.length, 256);
  const bytes = new Uint8Array(1024);
  const view = new DataView(bytes.buffer);
  GEAR.forEach((value, i) => view.setInt32(i * 4, value));
  assert.equal(
    sha256Hex(bytes),
    "df483b5eaa843451e8cb86bd069b43cdbf2a048b7ba31222e23d87ead76161b4",
  );
  const first = createHash("sha256").update("burrow gear v1").update(new Uint8Array(4)).digest();
  assert.equal(GEAR[0], first.readInt32BE(0));
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
    assert.throws(() => findCut(new Uint8Array(10), 0, 10, true, params), RangeError);
  }
});

Deno.test("findCut() rejects a range outside the data", () => {
  const data = new Uint8Array(10);
  for (const [start, end] of [[-1, 5], [6, 5], [0, 11], [0.5, 5]] as const) {
    assert.throws(() => findCut(data, start, end, true), RangeError);
  }
});

Deno.test("findCut() returns 0 only when more data is needed", () => {
  const data = random64().subarray(0, 8 * MiB);
  const first = findCut(data, 0, data.length, true);
  assert.ok(first > minSize && first < maxSize);
  // Not final: fewer bytes than the cut point, and fewer than maxSize, cannot decide.
  assert.equal(findCut(data, 0, first - 1, false), 0);
  assert.equal(findCut(data, 0, minSize, false), 0);
  assert.equal(findCut(data, 0, 0, false), 0);
  // Enough bytes to see the cut point: the same answer, final or not.
  assert.equal(findCut(data, 0, first, false), first);
  assert.equal(findCut(data, 0, first + 1, false), first);
  // Final: the tail is a chunk; an empty range has none.
  assert.equal(findCut(data, 0, first - 1, true), first - 1);
  assert.equal(findCut(data, 0, 1, true), 1);
  assert.equal(findCut(data, 5, 5, true), 0);
  // maxSize bytes without a cut point: cut at maxSize, final or not.
  const zeros = new Uint8Array(maxSize + 1);
  assert.equal(findCut(zeros, 0, maxSize, false), maxSize);
  assert.equal(findCut(zeros, 1, maxSize + 1, false), maxSize);
  assert.equal(findCut(zeros, 0, maxSize - 1, false), 0);
});

Deno.test("chunkBoundaries() of empty and short input", () => {
  assert.deepEqual(chunkBoundaries(new Uint8Array(0)), []);
  assert.deepEqual(chunkBoundaries(new Uint8Array(1)), [1]);
  assert.deepEqual(chunkBoundaries(random64().subarray(0, minSize - 1)), [minSize - 1]);
  assert.deepEqual(chunkBoundaries(random64().subarray(0, minSize)), [minSize]);
});

Deno.test("chunkBoundaries() cuts all-zero input at maxSize", () => {
  const lengths = chunkBoundaries(new Uint8Array(20 * MiB + 12345));
  assert.deepEqual(lengths, [maxSize, maxSize, maxSize, maxSize, maxSize, 12345]);
});

Deno.test("chunkBoundaries() matches the golden vector for 32 MiB of random data", () => {
  const lengths = chunkBoundaries(random64().subarray(0, 32 * MiB));
  assert.deepEqual(lengths, RANDOM_GOLDEN);
  assert.equal(
    sha256Hex(lengths.join(",")),
    "6aa4aa83212b460929264be839799b4d8358ef8793dcdca555410ae3673559aa",
  );
  assertSizesInBounds(lengths, DEFAULT_CHUNKER_PARAMS);
});

Deno.test("chunkBoundaries() matches the golden vector for 32 MiB of low-entropy text", () => {
  const text = lowEntropyText(32 * MiB);
  assert.equal(sha256Hex(text), "abbcc01bb114ff10a384f2ae9d2ea9a9e73660ddc5d4cfb042ba755fd29b29d6");
  const lengths = chunkBoundaries(text);
  assert.deepEqual(lengths, TEXT_GOLDEN);
  assert.equal(
    sha256Hex(lengths.join(",")),
    "1da5edbeb7e877eaf38b86aff4cc3387cff1705073086e4a773db6be1b8be0bb",
  );
  assertSizesInBounds(lengths, DEFAULT_CHUNKER_PARAMS);
});

Deno.test("chunkBoundaries() averages avgSize ±25% over 64 MiB of random data", () => {
  const lengths = chunkBoundaries(random64());
  assertSizesInBounds(lengths, DEFAULT_CHUNKER_PARAMS);
  const average = (64 * MiB) / lengths.length;
  assert.ok(Math.abs(average - avgSize) <= avgSize / 4, `average ${average}`);
});

Deno.test("findCut() gives the same cuts whatever the streaming window", () => {
  const data = random64().subarray(0, 32 * MiB);
  const whole = chunkBoundaries(data);
  for (const windowSize of [4 * MiB + 1, 5 * MiB, 8 * MiB, 13 * MiB]) {
    assert.deepEqual(streamLengths(data, windowSize), whole, `window ${windowSize}`);
  }
  // Short reads, as from a pipe: the window is rarely full when findCut is asked.
  assert.deepEqual(streamLengths(data, 8 * MiB, DEFAULT_CHUNKER_PARAMS, () => 700 * KiB), whole);
});

Deno.test("findCut() is independent of windowing for any parameters (property)", () => {
  const paramsArb = fc.integer({ min: 7, max: 10 }).chain((bits) =>
    fc.record({
      minSize: fc.integer({ min: 64, max: (1 << bits) - 1 }),
      avgSize: fc.constant(1 << bits),
      maxSize: fc.integer({ min: (1 << bits) + 1, max: 8 << bits }),
    })
  );
  fc.assert(
    fc.property(
      paramsArb,
      fc.uint8Array({ maxLength: 30000, size: "max" }),
      fc.integer({ min: 0, max: 5000 }),
      fc.array(fc.integer({ min: 256, max: 9000 }), { minLength: 1, maxLength: 8 }),
      (params, data, extra, reads) => {
        const whole = chunkBoundaries(data, params);
        assert.equal(whole.reduce((a, b) => a + b, 0), data.length);
        assertSizesInBounds(whole, params);
        const windowSize = params.maxSize + extra;
        const streamed = streamLengths(data, windowSize, params, (i) => reads[i % reads.length]!);
        assert.deepEqual(streamed, whole);
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

  const chunkIds = (data: Uint8Array): string[] => {
    let start = 0;
    return chunkBoundaries(data).map((length) => sha256Hex(data.subarray(start, start += length)));
  };
  const before = new Set(chunkIds(original));
  const after = chunkIds(edited);
  const kept = after.filter((id) => before.has(id)).length;
  assert.ok(kept / after.length >= 0.9, `${kept} of ${after.length} chunks kept`);
  // The chunks that changed all lie near the edit.
  let start = 0;
  chunkBoundaries(edited).forEach((length, i) => {
    if (!before.has(after[i]!)) {
      assert.ok(start + length > at && start < at + 100 + 2 * maxSize, `chunk at ${start}`);
    }
    start += length;
  });
});
