/**
 * The conformance suite every `Primitives` implementation runs: `primitivesSuite(primitives)`
 * registers one Deno test per promise of the contract in `src/format/primitives.ts`, against
 * the published test vectors (RFC 8439, RFC 4231, RFC 5869) and against node:crypto and
 * node:zlib as independent references.
 *
 * @module
 */
import assert from "node:assert/strict";
import { createCipheriv, createHash, createHmac } from "node:crypto";
import { constants, zstdCompressSync } from "node:zlib";
import fc from "fast-check";
import { IntegrityError } from "../../src/errors.ts";
import type { Primitives } from "../../src/format/primitives.ts";

const MiB = 1024 * 1024;
const text = (s: string) => new TextEncoder().encode(s);
/** Bytes start, start+1, … (mod 256). */
const seq = (length: number, start = 0) =>
  Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);

/** RFC 8439 §2.8.2: the AEAD_CHACHA20_POLY1305 test vector. */
const RFC8439 = {
  key: seq(32, 0x80),
  nonce: Uint8Array.fromHex("070000004041424344454647"),
  aad: Uint8Array.fromHex("50515253c0c1c2c3c4c5c6c7"),
  plaintext: text(
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the " +
      "future, sunscreen would be it.",
  ),
  ciphertext: "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6" +
    "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36" +
    "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc" +
    "3ff4def08e4b7a9de576d26586cec64b6116",
  tag: "1ae10b594f09e26a7e902ecbd0600691",
};

/** RFC 4231 test cases 1, 2, 6 (key longer than a block) and 7 (key and data longer). */
const RFC4231: [Uint8Array, Uint8Array, string][] = [
  [
    new Uint8Array(20).fill(0x0b),
    text("Hi There"),
    "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7",
  ],
  [
    text("Jefe"),
    text("what do ya want for nothing?"),
    "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  ],
  [
    new Uint8Array(131).fill(0xaa),
    text("Test Using Larger Than Block-Size Key - Hash Key First"),
    "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
  ],
  [
    new Uint8Array(131).fill(0xaa),
    text(
      "This is a test using a larger than block-size key and a larger than block-size data. " +
        "The key needs to be hashed before being used by the HMAC algorithm.",
    ),
    "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2",
  ],
];

/** RFC 5869 test cases 1, 2 and 3 (SHA-256): ikm, salt, info, okm. */
const RFC5869: [Uint8Array, Uint8Array, Uint8Array, string][] = [
  [
    new Uint8Array(22).fill(0x0b),
    seq(13),
    seq(10, 0xf0),
    "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865",
  ],
  [
    seq(80),
    seq(80, 0x60),
    seq(80, 0xb0),
    "b11e398dc80327a1c8e7f78c596a49344f012eda2d4efad8a050cc4c19afa97c" +
    "59045a99cac7827271cb41c65e590e09da3275600c2f09b8367793a9aca3db71" +
    "cc30c58179ec3e87c14c01d5c1f3434f1d87",
  ],
  [
    new Uint8Array(22).fill(0x0b),
    new Uint8Array(0),
    new Uint8Array(0),
    "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8",
  ],
];

/** Text-like bytes: numbered lines of words. */
function textBytes(length: number): Uint8Array {
  const words = ["burrow", "chunk", "seal", "repository", "snapshot", "the", "of", "and"];
  let out = "";
  for (let i = 0; out.length < length; i++) {
    out += `${i}: ${words[i % 8]} ${words[(i * 7) % 8]} ${words[(i * 3) % 8]}\n`;
  }
  return text(out.slice(0, length));
}

/** zstd data as node:zlib writes it (no content size in the frame), at `level`. */
function zlibZstd(data: Uint8Array, level = 1, checksum = false): Uint8Array {
  const params = {
    [constants.ZSTD_c_compressionLevel]: level,
    [constants.ZSTD_c_checksumFlag]: checksum ? 1 : 0,
  };
  return new Uint8Array(zstdCompressSync(data, { params }));
}

/** zstd data whose frame declares its content size (node:zlib told the size beforehand). */
function sizedZstd(data: Uint8Array): Uint8Array {
  // pledgedSrcSize is in node:zlib (and Deno's) but not yet in its type definitions.
  const options = {
    params: { [constants.ZSTD_c_compressionLevel]: 3 },
    pledgedSrcSize: data.length,
  };
  return new Uint8Array(zstdCompressSync(data, options as Parameters<typeof zstdCompressSync>[1]));
}

/** Inputs of the zstd tests, each with node:zlib's frames of it. */
let zlibCases: { input: Uint8Array; frames: Uint8Array[] }[] | undefined;

/**
 * The zstd tests' inputs and node:zlib's frames of each (at levels 1, 3 with a checksum, 19, and
 * with the content size), made once for every test that decodes them: level 19 takes seconds.
 */
function zlibFrames(): { input: Uint8Array; frames: Uint8Array[] }[] {
  zlibCases ??= [textBytes(600), textBytes(3 * MiB), seq(200_000), new Uint8Array(MiB)].map(
    (input) => ({
      input,
      frames: [zlibZstd(input), zlibZstd(input, 3, true), zlibZstd(input, 19), sizedZstd(input)],
    }),
  );
  return zlibCases;
}

/** A zstd frame header: magic, descriptor byte, then `rest` (window, sizes), then `blocks`. */
function frame(descriptor: number, rest: number[], blocks: number[] = []): Uint8Array {
  return Uint8Array.from([0x28, 0xb5, 0x2f, 0xfd, descriptor, ...rest, ...blocks]);
}

/** node:crypto's ChaCha20-Poly1305, the reference: ciphertext then tag. */
function referenceSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plain: Uint8Array) {
  const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plain.length });
  const head = cipher.update(plain);
  cipher.final();
  return Uint8Array.from([...head, ...cipher.getAuthTag()]);
}

/**
 * Registers the conformance tests for one implementation, each named "primitives (NAME): …".
 * The hash and zstd tests run twice, the second time after `loadWebAssembly()` (registered last,
 * so that every earlier test runs without it).
 */
export function primitivesSuite(p: Primitives): void {
  const test = (title: string, body: () => void | Promise<void>) =>
    Deno.test(`primitives (${p.name}): ${title}`, body);
  hashTests(p, test, "before loadWebAssembly()");
  aeadTests(p, test);
  zstdTests(p, test, "before loadWebAssembly()");
  hashTests(p, test, "after loadWebAssembly()", () => p.loadWebAssembly());
  zstdTests(p, test, "after loadWebAssembly()", () => p.loadWebAssembly());
}

type Register = (title: string, body: () => void | Promise<void>) => void;

function hashTests(p: Primitives, register: Register, when: string, load?: () => Promise<void>) {
  const test = (title: string, body: () => void | Promise<void>) =>
    register(`${title} (${when})`, async () => {
      await load?.();
      await body();
    });
  test("sha256() matches FIPS 180-2's vectors and node:crypto", () => {
    assert.equal(
      p.sha256(text("abc")).toHex(),
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
    for (const length of [0, 55, 56, 63, 64, 65, 1000, MiB + 3]) {
      const data = seq(length, length);
      assert.equal(p.sha256(data).toHex(), createHash("sha256").update(data).digest("hex"));
    }
  });

  test("hmacSha256() matches RFC 4231 test cases 1, 2, 6 and 7", () => {
    for (const [key, message, expected] of RFC4231) {
      assert.equal(p.hmacSha256(key).digest(message).toHex(), expected);
    }
  });

  test("hmacSha256() agrees with createHmac, message after message under one key", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.uint8Array({ maxLength: 5000 }), { minLength: 1, maxLength: 5 }),
        (key, messages) => {
          const hmac = p.hmacSha256(key);
          for (const message of messages) {
            const expected = createHmac("sha256", key).update(message).digest("hex");
            const digest = hmac.digest(message);
            assert.equal(digest.toHex(), expected);
            assert.equal(digest.buffer.byteLength, 32, "in a buffer of its own");
          }
        },
      ),
      { numRuns: 50 },
    );
  });

  test("hmacSha256() keeps no reference to the caller's key", () => {
    const key = seq(32);
    const hmac = p.hmacSha256(key);
    key.fill(0);
    assert.equal(
      hmac.digest(text("m")).toHex(),
      createHmac("sha256", seq(32)).update("m").digest("hex"),
    );
  });

  test("hkdfSha256() matches RFC 5869 test cases 1, 2 and 3", () => {
    for (const [ikm, salt, info, okm] of RFC5869) {
      assert.equal(p.hkdfSha256(ikm, salt, info, okm.length / 2).toHex(), okm);
    }
  });

  test("hkdfSha256() refuses a length or info out of range", () => {
    const ikm = seq(32);
    const none = new Uint8Array(0);
    assert.equal(p.hkdfSha256(ikm, none, none, 255 * 32).length, 255 * 32);
    assert.throws(() => p.hkdfSha256(ikm, none, none, 255 * 32 + 1), RangeError);
    assert.throws(() => p.hkdfSha256(ikm, none, none, 1.5), RangeError);
    assert.throws(() => p.hkdfSha256(ikm, none, none, -1), RangeError);
    assert.equal(p.hkdfSha256(ikm, none, new Uint8Array(1024), 32).length, 32);
    assert.throws(() => p.hkdfSha256(ikm, none, new Uint8Array(1025), 32), RangeError);
  });
}

function aeadTests(p: Primitives, test: Register): void {
  const { key, nonce, aad, plaintext } = RFC8439;
  const sealedVector = () => Uint8Array.fromHex(RFC8439.ciphertext + RFC8439.tag);

  test("sealChaCha20Poly1305() matches RFC 8439 §2.8.2", () => {
    const output = new Uint8Array(plaintext.length + 16);
    p.sealChaCha20Poly1305(key, nonce, aad, plaintext, output);
    assert.equal(output.toHex(), RFC8439.ciphertext + RFC8439.tag);
  });

  test("openChaCha20Poly1305() opens RFC 8439 §2.8.2 into a buffer of its own", () => {
    const opened = p.openChaCha20Poly1305(key, nonce, aad, sealedVector());
    assert.deepEqual(opened, plaintext);
    assert.equal(opened.buffer.byteLength, plaintext.length);
  });

  test("openChaCha20Poly1305() refuses each flipped byte of ciphertext, tag, AAD, nonce and key", () => {
    const refuses = (k: Uint8Array, n: Uint8Array, a: Uint8Array, sealed: Uint8Array) =>
      assert.throws(() => p.openChaCha20Poly1305(k, n, a, sealed), {
        name: "IntegrityError",
        message: "Cannot open sealed data: it does not authenticate",
      });
    const flip = (bytes: Uint8Array, at: number) => {
      const copy = bytes.slice();
      copy[at]! ^= 0x01;
      return copy;
    };
    const sealed = sealedVector();
    for (let at = 0; at < sealed.length; at++) refuses(key, nonce, aad, flip(sealed, at));
    for (let at = 0; at < aad.length; at++) refuses(key, nonce, flip(aad, at), sealed);
    for (let at = 0; at < nonce.length; at++) refuses(key, flip(nonce, at), aad, sealed);
    for (let at = 0; at < key.length; at++) refuses(flip(key, at), nonce, aad, sealed);
    refuses(key, nonce, aad, sealed.subarray(0, sealed.length - 1));
    refuses(key, nonce, aad.subarray(1), sealed);
    refuses(key, nonce, aad, new Uint8Array(15));
  });

  test("openChaCha20Poly1305InPlace() opens what openChaCha20Poly1305() opens, and refuses the same", () => {
    for (const length of [0, 1, 63, 64, 65, 4096, MiB + 7]) {
      const plain = seq(length, 5);
      const sealed = referenceSeal(key, nonce, aad, plain);
      const damaged = sealed.slice();
      damaged[length >> 1]! ^= 0x01;
      const before = damaged.slice();
      assert.throws(() => p.openChaCha20Poly1305InPlace(key, nonce, aad, damaged), {
        name: "IntegrityError",
      });
      assert.deepEqual(damaged, before, `a refused open leaves ${length} bytes as they were`);
      const opened = p.openChaCha20Poly1305InPlace(key, nonce, aad, sealed);
      assert.deepEqual(opened, plain, `length ${length}`);
      if (opened.buffer === sealed.buffer) assert.equal(opened.byteOffset, sealed.byteOffset);
    }
    assert.throws(() => p.openChaCha20Poly1305InPlace(key, nonce, aad, new Uint8Array(15)), {
      name: "IntegrityError",
    });
  });

  test("sealChaCha20Poly1305() agrees with node:crypto and round-trips, at any length", () => {
    for (const length of [0, 1, 63, 64, 65, 4096, MiB + 7]) {
      const plain = seq(length, 3);
      const output = new Uint8Array(length + 16);
      p.sealChaCha20Poly1305(key, nonce, aad, plain, output);
      assert.deepEqual(output, referenceSeal(key, nonce, aad, plain), `length ${length}`);
      assert.deepEqual(p.openChaCha20Poly1305(key, nonce, aad, output), plain);
    }
  });

  test("sealChaCha20Poly1305() writes into a view of a larger buffer and nowhere else", () => {
    const plain = seq(100);
    const buffer = new Uint8Array(30 + 116 + 5).fill(0xee);
    p.sealChaCha20Poly1305(key, nonce, aad, plain, buffer.subarray(30, 146));
    assert.deepEqual(buffer.subarray(30, 146), referenceSeal(key, nonce, aad, plain));
    assert.ok(buffer.subarray(0, 30).every((b) => b === 0xee));
    assert.ok(buffer.subarray(146).every((b) => b === 0xee));
  });

  test("the AEAD refuses a wrong key, nonce or output length", () => {
    const plain = seq(10);
    const out = new Uint8Array(26);
    assert.throws(() => p.sealChaCha20Poly1305(seq(31), nonce, aad, plain, out), RangeError);
    assert.throws(() => p.sealChaCha20Poly1305(key, seq(24), aad, plain, out), RangeError);
    assert.throws(
      () => p.sealChaCha20Poly1305(key, nonce, aad, plain, out.subarray(1)),
      RangeError,
    );
    assert.throws(() => p.openChaCha20Poly1305(seq(16), nonce, aad, out), RangeError);
    assert.throws(() => p.openChaCha20Poly1305(key, seq(8), aad, out), RangeError);
  });
}

function zstdTests(p: Primitives, test: Register, when: string, load?: () => Promise<void>): void {
  const zstdTest = (title: string, body: () => void | Promise<void>) =>
    test(`zstdDecompress() (${when}) ${title}`, async () => {
      await load?.();
      await body();
    });
  const tooLarge = (max: number) => ({
    name: "IntegrityError",
    message: `Cannot decompress chunk: it would exceed ${max} bytes`,
  });
  const damaged = {
    name: "IntegrityError",
    message: "Cannot decompress chunk: the zstd data is damaged",
  };

  zstdTest("decodes what node:zlib makes, into a buffer of its own", () => {
    for (const { input, frames } of zlibFrames()) {
      for (const [i, data] of frames.entries()) {
        const out = p.zstdDecompress(data, 4 * MiB);
        assert.deepEqual(out, input, `${input.length} bytes, frame ${i}`);
        assert.equal(out.buffer.byteLength, input.length);
      }
    }
  });

  zstdTest("decodes empty input to empty output", () => {
    assert.equal(p.zstdDecompress(new Uint8Array(0), MiB).length, 0);
    assert.deepEqual(p.zstdDecompress(zlibZstd(new Uint8Array(0)), MiB), new Uint8Array(0));
  });

  zstdTest("accepts exactly maxSize bytes and no more", () => {
    const plain = textBytes(10_000);
    const data = zlibZstd(plain);
    assert.deepEqual(p.zstdDecompress(data, 10_000), plain);
    assert.throws(() => p.zstdDecompress(data, 9_999), tooLarge(9_999));
    assert.throws(() => p.zstdDecompress(data, 0), tooLarge(0));
    assert.throws(() => p.zstdDecompress(data, -1), RangeError);
    assert.throws(() => p.zstdDecompress(data, 1.5), RangeError);
  });

  zstdTest("refuses a decompression bomb", () => {
    const bomb = zlibZstd(new Uint8Array(64 * MiB));
    assert.ok(bomb.length < 10_000, "the precondition: a small frame of much output");
    assert.throws(() => p.zstdDecompress(bomb, MiB), tooLarge(MiB));
  });

  zstdTest("refuses a frame that declares more content than maxSize", () => {
    const sized = sizedZstd(textBytes(2 * MiB));
    assert.equal(sized[4]! >> 6, 2, "the precondition: the frame declares its 4-byte size");
    assert.throws(() => p.zstdDecompress(sized, MiB), tooLarge(MiB));
    // Single segment, 4-byte content size of 1 GiB, then one empty last raw block.
    const claims = frame(0xa0, [0x00, 0x00, 0x00, 0x40], [0x01, 0x00, 0x00]);
    assert.throws(() => p.zstdDecompress(claims, MiB), IntegrityError);
  });

  zstdTest("refuses a frame that asks for a huge window, without allocating it", () => {
    // A valid frame whose window descriptor says 512 MiB (2^29): zstd would decode it, since
    // its matches reach back far less, but only after making room for the window.
    const data = zlibZstd(textBytes(100_000));
    assert.equal(data[4], 0, "the precondition: a window descriptor follows the magic");
    const hostile = data.slice();
    hostile[5] = (29 - 10) << 3;
    assert.throws(() => p.zstdDecompress(hostile, MiB), damaged);
    // Larger still, with blocks that end early.
    assert.throws(
      () => p.zstdDecompress(frame(0x00, [0xf8], [0x04, 0x00, 0x08, 0x00]), MiB),
      damaged,
    );
  });

  zstdTest("refuses data that is not zstd, is damaged or ends early", () => {
    assert.throws(() => p.zstdDecompress(textBytes(100), MiB), damaged);
    const data = zlibZstd(textBytes(100_000));
    const broken = data.slice();
    broken.fill(0xff, 20, 60);
    assert.throws(() => p.zstdDecompress(broken, MiB), IntegrityError);
    // A reserved block type (3) in an otherwise plausible frame.
    assert.throws(
      () => p.zstdDecompress(frame(0x00, [0x50], [0x07, 0x00, 0x00]), MiB),
      IntegrityError,
    );
    // A cut frame may decode to a prefix (see the contract), never to more than was sealed.
    const cut = (() => {
      try {
        return p.zstdDecompress(data.subarray(0, data.length >> 1), MiB).length;
      } catch (error) {
        assert.ok(error instanceof IntegrityError);
        return 0;
      }
    })();
    assert.ok(cut < 100_000);
  });
}
