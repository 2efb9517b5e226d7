import assert from "node:assert/strict";
import { createDecipheriv } from "node:crypto";
import { hkdf } from "@noble/hashes/hkdf.js";
import fc from "fast-check";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { IntegrityError } from "../errors.ts";
import {
  BLOB_OVERHEAD_BYTES,
  BlobOpener,
  BlobSealer,
  chunkId,
  ChunkIdHasher,
  openBlob,
  verifyChunk,
} from "./blob_crypto.ts";
import { counterRandom, seq } from "./testdata/byte_sequences.ts";

const DATA_KEY = seq(32, 0x80);
const ID = seq(32, 0x20);
const HELLO = new TextEncoder().encode("hello burrow");

Deno.test('chunkId() of "abc" matches the pinned vector', () => {
  // Pinned: a change here breaks deduplication against every existing repository.
  const abc = new TextEncoder().encode("abc");
  const id = chunkId(seq(32), abc);
  assert.equal(id.toHex(), "f0133729c4163dede81e21cd47839256da58171238c8a0d874397c73b14e1e47");
  assert.deepEqual(id, hmac(sha256, seq(32), abc));
  assert.equal(id.buffer.byteLength, 32, "owns its buffer");
  assert.throws(() => chunkId(seq(16), abc), RangeError);
});

Deno.test("ChunkIdHasher.id() agrees with chunkId() for any chunk", () => {
  const hasher = new ChunkIdHasher(seq(32, 9));
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 70_000 }), (plaintext) => {
      const id = hasher.id(plaintext);
      assert.deepEqual(id, chunkId(seq(32, 9), plaintext));
      assert.deepEqual(id, hmac(sha256, seq(32, 9), plaintext));
      hasher.verify(id, plaintext);
    }),
    { numRuns: 50 },
  );
  assert.throws(() => new ChunkIdHasher(seq(33)), RangeError);
});

Deno.test("verifyChunk() accepts the right plaintext and refuses any other", () => {
  const id = chunkId(seq(32), HELLO);
  verifyChunk(seq(32), id, HELLO);
  assert.throws(() => verifyChunk(seq(32), id, HELLO.subarray(1)), IntegrityError);
  assert.throws(() => verifyChunk(seq(32, 1), id, HELLO), IntegrityError);
  assert.throws(() => verifyChunk(seq(32), id.subarray(1), HELLO), RangeError);
});

Deno.test("BlobSealer.seal() matches the pinned vector", () => {
  // Checked against pyca/cryptography's HKDF and ChaCha20Poly1305 with the same salt and nonce.
  const sealer = new BlobSealer(DATA_KEY, counterRandom());
  assert.equal(
    sealer.seal(ID, HELLO, false).toHex(),
    "0100000102030405060708090a0b0c0d0e0f101112131415161718191a1b" +
      "8bcb804fbddbc28d8fbf68cc" + "dfe7e41b916805be7852556f468bf71d",
  );
  assert.equal(
    sealer.seal(ID, HELLO, true).toHex(),
    "0101000102030405060708090a0b0c0d0e0f1c1d1e1f2021222324252627" +
      "09c105164d87054391fec241" + "3881d84c254291a3fd5081e2ef89828e",
  );
});

Deno.test("BlobSealer.seal() writes the documented layout", () => {
  const sealer = new BlobSealer(DATA_KEY);
  const blob = sealer.seal(ID, HELLO, true);
  assert.equal(blob.length, HELLO.length + BLOB_OVERHEAD_BYTES);
  assert.deepEqual([blob[0], blob[1]], [1, 1]);
  assert.deepEqual(blob.subarray(2, 18), sealer.salt);
  const info = new TextEncoder().encode("burrow v1 blob key");
  const subkey = hkdf(sha256, DATA_KEY, sealer.salt, info, 32);
  const decipher = createDecipheriv(
    "chacha20-poly1305",
    subkey,
    blob.subarray(18, 30),
    {
      authTagLength: 16,
    },
  );
  const aad = new Uint8Array([...blob.subarray(0, 30), ...ID]);
  decipher.setAAD(aad, { plaintextLength: HELLO.length });
  decipher.setAuthTag(blob.subarray(-16));
  const plain = decipher.update(blob.subarray(30, -16));
  decipher.final();
  assert.deepEqual(new Uint8Array(plain), HELLO);
});

Deno.test("openBlob() round-trips random payloads, compressed or not", () => {
  const sealer = new BlobSealer(DATA_KEY);
  const opener = new BlobOpener(DATA_KEY);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4096 }), fc.boolean(), (payload, compressed) => {
      const id = chunkId(seq(32), payload);
      const blob = sealer.seal(id, payload, compressed);
      assert.deepEqual(opener.open(id, blob), { payload, compressed });
      assert.deepEqual(openBlob(DATA_KEY, id, blob), { payload, compressed });
    }),
  );
});

Deno.test("BlobOpener.open() refuses any single changed byte", () => {
  const blob = new BlobSealer(DATA_KEY).seal(ID, HELLO, false);
  const opener = new BlobOpener(DATA_KEY);
  for (let i = 0; i < blob.length; i++) {
    for (const mask of [0x01, 0x02, 0x80, 0xff]) {
      const bad = blob.slice();
      bad[i]! ^= mask;
      assert.throws(() => opener.open(ID, bad), IntegrityError, `byte ${i} mask ${mask}`);
    }
  }
  assert.deepEqual(opener.open(ID, blob).payload, HELLO);
});

Deno.test("BlobOpener.open() refuses a changed byte anywhere in a large blob", () => {
  const payload = seq(100_000, 7);
  const blob = new BlobSealer(DATA_KEY).seal(ID, payload, true);
  const opener = new BlobOpener(DATA_KEY);
  fc.assert(
    fc.property(fc.nat(blob.length - 1), fc.integer({ min: 1, max: 255 }), (at, mask) => {
      const bad = blob.slice();
      bad[at]! ^= mask;
      assert.throws(() => opener.open(ID, bad), IntegrityError);
    }),
    { numRuns: 200 },
  );
});

Deno.test("BlobOpener.open() refuses a wrong id, a wrong key and a truncated blob", () => {
  const blob = new BlobSealer(DATA_KEY).seal(ID, HELLO, false);
  assert.throws(
    () => openBlob(DATA_KEY, seq(32, 0x21), blob),
    {
      name: "IntegrityError",
      message: "Cannot open blob: it does not authenticate (wrong id, wrong key or damaged data)",
    },
  );
  assert.throws(() => openBlob(seq(32, 0x81), ID, blob), IntegrityError);
  for (let length = 0; length < blob.length; length++) {
    assert.throws(() => openBlob(DATA_KEY, ID, blob.subarray(0, length)), IntegrityError);
  }
  assert.throws(() => openBlob(DATA_KEY, ID.subarray(1), blob), RangeError);
});

Deno.test("BlobOpener.open() names an unknown version or flag", () => {
  const blob = new BlobSealer(DATA_KEY).seal(ID, HELLO, false);
  const version = blob.slice();
  version[0] = 2;
  assert.throws(() => openBlob(DATA_KEY, ID, version), {
    name: "IntegrityError",
    message: "Cannot open blob: unsupported blob version 2",
  });
  const flags = blob.slice();
  flags[1] = 0x02;
  assert.throws(() => openBlob(DATA_KEY, ID, flags), {
    name: "IntegrityError",
    message: "Cannot open blob: unknown flags 0x02",
  });
});

Deno.test("BlobOpener.open() opens blobs from many sealers through a small cache", () => {
  const sealers = Array.from({ length: 5 }, () => new BlobSealer(DATA_KEY));
  const blobs = sealers.map((sealer, i) => sealer.seal(ID, seq(100, i), i % 2 === 0));
  const opener = new BlobOpener(DATA_KEY, 2);
  for (let round = 0; round < 3; round++) {
    blobs.forEach((blob, i) => assert.deepEqual(opener.open(ID, blob).payload, seq(100, i)));
  }
  assert.throws(() => new BlobOpener(DATA_KEY, 0), RangeError);
});

Deno.test("BlobSealer draws a different salt for each session", () => {
  const a = new BlobSealer(DATA_KEY);
  const b = new BlobSealer(DATA_KEY);
  assert.notDeepEqual(a.salt, b.salt);
  assert.notDeepEqual(
    a.seal(ID, HELLO, false).subarray(2, 18),
    b.seal(ID, HELLO, false).subarray(2, 18),
  );
  assert.throws(() => new BlobSealer(seq(31)), RangeError);
  assert.throws(() => new BlobSealer(DATA_KEY, () => new Uint8Array(8)), RangeError);
});

Deno.test("BlobSealer.seal() repeats no nonce in 100,000 seals", () => {
  const sealer = new BlobSealer(DATA_KEY);
  const nonces = new Set<string>();
  const empty = new Uint8Array(0);
  for (let i = 0; i < 100_000; i++) {
    nonces.add(sealer.seal(ID, empty, false).subarray(18, 30).toHex());
  }
  assert.equal(nonces.size, 100_000);
});
