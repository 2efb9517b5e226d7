import assert from "node:assert/strict";
import { constants, zstdCompressSync } from "node:zlib";
import fc from "fast-check";
import { IntegrityError } from "../errors.ts";
import {
  compressChunk,
  MIN_COMPRESS_BYTES,
  PROBE_BYTES,
  releaseCompressed,
  ZERO_TAIL_BYTES,
} from "./compression.ts";
import { decompressChunk } from "./decompression.ts";
import { loadWebAssembly } from "./load_web_assembly.ts";

const MiB = 1024 * 1024;

/** Random bytes of any length (getRandomValues fills at most 64 KiB per call). */
function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let at = 0; at < length; at += 65536) {
    crypto.getRandomValues(bytes.subarray(at, Math.min(length, at + 65536)));
  }
  return bytes;
}

/** Text-like bytes: numbered lines of words. */
function textBytes(length: number): Uint8Array {
  const words = ["burrow", "chunk", "seal", "repository", "snapshot", "the", "of", "and"];
  let text = "";
  for (let i = 0; text.length < length; i++) {
    text += `${i}: ${words[i % 8]} ${words[(i * 7) % 8]} ${words[(i * 3) % 8]}\n`;
  }
  return new TextEncoder().encode(text.slice(0, length));
}

Deno.test("compressChunk() leaves random data as it is", () => {
  for (const length of [1000, PROBE_BYTES, MiB]) {
    const plaintext = randomBytes(length);
    const result = compressChunk(plaintext);
    assert.equal(result.compressed, false);
    assert.equal(result.data, plaintext);
  }
});

Deno.test("compressChunk() compresses text and round-trips", () => {
  for (const length of [MIN_COMPRESS_BYTES, 5000, PROBE_BYTES + 1, MiB]) {
    const plaintext = textBytes(length);
    const result = compressChunk(plaintext);
    assert.equal(result.compressed, true, `length ${length}`);
    assert.ok(result.data.length < plaintext.length * 0.97);
    assert.equal(Object.getPrototypeOf(result.data), Uint8Array.prototype);
    assert.equal(result.data.byteOffset, 0, "at the start of its own buffer");
    assert.deepEqual(decompressChunk(result.data, length), plaintext);
    const buffer = result.data.buffer;
    releaseCompressed(result);
    assert.equal(buffer.byteLength, 0, "releaseCompressed frees the whole buffer");
  }
});

Deno.test("releaseCompressed() leaves a chunk stored raw alone", () => {
  const plaintext = randomBytes(MiB);
  const result = compressChunk(plaintext);
  assert.equal(result.compressed, false);
  releaseCompressed(result);
  assert.equal(plaintext.length, MiB);
});

Deno.test("compressChunk() leaves chunks under 512 bytes as they are", () => {
  const plaintext = new Uint8Array(MIN_COMPRESS_BYTES - 1);
  assert.deepEqual(compressChunk(plaintext), { data: plaintext, compressed: false });
  assert.deepEqual(compressChunk(new Uint8Array(0)).compressed, false);
});

Deno.test("compressChunk() trusts the probe of the first 64 KiB", () => {
  const plaintext = new Uint8Array(4 * PROBE_BYTES);
  plaintext.set(randomBytes(4 * PROBE_BYTES - 1));
  assert.equal(compressChunk(plaintext).compressed, false);
  plaintext.fill(0, 0, PROBE_BYTES);
  plaintext.set(randomBytes(3 * PROBE_BYTES), PROBE_BYTES);
  assert.equal(compressChunk(plaintext).compressed, true);
});

Deno.test("compressChunk() compresses a chunk whose head is random and whose tail is zeros", () => {
  // A sparse file's data region followed by its hole, or a preallocated image: the head probe
  // alone would store megabytes of zeros raw.
  const plaintext = new Uint8Array(4 * MiB);
  plaintext.set(randomBytes(256 * 1024));
  const result = compressChunk(plaintext);
  assert.equal(result.compressed, true);
  assert.ok(result.data.length < 300 * 1024, `${result.data.length} bytes`);
  plaintext.set(randomBytes(ZERO_TAIL_BYTES), plaintext.length - ZERO_TAIL_BYTES);
  assert.equal(compressChunk(plaintext).compressed, false, "no zero tail, no second look");
});

Deno.test("compressChunk() round-trips any input", () => {
  const input = fc.oneof(
    fc.uint8Array({ maxLength: 3000 }),
    fc.nat(100_000).map(textBytes),
    fc.tuple(fc.nat(255), fc.nat(200_000)).map(([byte, n]) => new Uint8Array(n).fill(byte)),
  );
  fc.assert(
    fc.property(input, (plaintext) => {
      const { data, compressed } = compressChunk(plaintext);
      const back = compressed ? decompressChunk(data, plaintext.length) : data;
      assert.deepEqual(back, plaintext);
    }),
    { numRuns: 100 },
  );
});

/**
 * The decompression tests, for one decoder: node:zlib's (the default), then the WebAssembly one
 * (`loadWebAssembly`), registered last so that every earlier test runs with node:zlib.
 */
function decompressChunkTests(decoder: string, load?: () => Promise<void>): void {
  Deno.test(`decompressChunk() (${decoder}) refuses a decompression bomb`, async () => {
    await load?.();
    const options = { params: { [constants.ZSTD_c_compressionLevel]: 1 } };
    const bomb = zstdCompressSync(new Uint8Array(64 * MiB), options);
    assert.ok(bomb.length < 10_000);
    assert.throws(() => decompressChunk(bomb, MiB), {
      name: "IntegrityError",
      message: `Cannot decompress chunk: it would exceed ${MiB} bytes`,
    });
  });

  Deno.test(`decompressChunk() (${decoder}) accepts exactly maxSize bytes and no more`, async () => {
    await load?.();
    const plaintext = textBytes(10_000);
    const { data } = compressChunk(plaintext);
    assert.deepEqual(decompressChunk(data, 10_000), plaintext);
    assert.throws(() => decompressChunk(data, 9_999), IntegrityError);
    assert.throws(() => decompressChunk(data, 0), IntegrityError);
    assert.throws(() => decompressChunk(data, -1), RangeError);
    assert.throws(() => decompressChunk(data, 1.5), RangeError);
  });

  Deno.test(`decompressChunk() (${decoder}) refuses data that is not zstd or is damaged`, async () => {
    await load?.();
    const damaged = "Cannot decompress chunk: the zstd data is damaged";
    assert.throws(() => decompressChunk(textBytes(100), MiB), {
      name: "IntegrityError",
      message: damaged,
    });
    const frame = compressChunk(textBytes(100_000)).data.slice();
    frame.fill(0xff, 20, 60);
    assert.throws(() => decompressChunk(frame, MiB), IntegrityError);
    // A cut frame may decode to a prefix (see the module comment): the chunk id check catches it.
  });

  Deno.test(`decompressChunk() (${decoder}) round-trips what compressChunk() made`, async () => {
    await load?.();
    for (const plaintext of [textBytes(600), textBytes(3 * MiB)]) {
      const { data, compressed } = compressChunk(plaintext);
      assert.equal(
        compressed,
        true,
        `the precondition: ${plaintext.length} bytes of text compress`,
      );
      assert.deepEqual(decompressChunk(data, 4 * MiB), plaintext);
    }
  });
}

decompressChunkTests("node:zlib");

decompressChunkTests("WebAssembly", loadWebAssembly);
