import assert from "node:assert/strict";
import fc from "fast-check";
import { IntegrityError } from "../errors.ts";
import {
  decodeManifest,
  MANIFEST_MAGIC,
  MANIFEST_MAGIC_V1,
  MANIFEST_MAGIC_V2,
  ManifestDecoder,
  ManifestEncoder,
  validateEntryPath,
} from "./manifest_codec.ts";
import type { EntryType, TreeEntry } from "./snapshot_model.ts";

function id(n: number): Uint8Array {
  return new Uint8Array(32).fill(n);
}

function entry(path: string, type: EntryType, extra: Partial<TreeEntry> = {}): TreeEntry {
  return {
    path,
    type,
    mode: 0o644,
    mtimeNs: 1_700_000_000_000_500_001n,
    size: 0,
    inode: 7,
    chunks: [],
    target: "",
    ...extra,
  };
}

const ALICE = { uid: 1000, gid: 100, user: "alice", group: "users" };

const SAMPLE: TreeEntry[] = [
  entry("docs", "dir", { mode: 0o755, owner: ALICE }),
  entry("docs/a b.txt", "file", { size: 10, chunks: [id(1), id(2)], owner: ALICE }),
  entry("docs/empty", "file"),
  entry("docs/Grüße 🦊", "dir", { mode: 0o700, mtimeNs: -5n }),
  entry("docs/Grüße 🦊/link", "symlink", { mode: 0o777, target: "../a b.txt" }),
  entry("docs/Grüße 🦊/same", "hardlink", {
    size: 10,
    chunks: [id(1), id(2)],
    target: "docs/a b.txt",
    owner: { uid: 12345, gid: 2 ** 32 - 1, user: "", group: "Grüße" },
  }),
  entry("pipe", "fifo", { mode: 0o600 }),
  entry("sock", "socket", { mode: 0o755 }),
  entry("null", "chardev", { mode: 0o666, device: { major: 1, minor: 3 }, owner: ALICE }),
  entry("disk", "blockdev", { mode: 0o660, device: { major: 2 ** 32 - 1, minor: 0 } }),
  entry("top.bin", "file", { size: 2 ** 40, inode: 2 ** 53 - 1, chunks: [id(3)], mode: 0o4755 }),
];

function encode(entries: readonly TreeEntry[]): Uint8Array {
  const encoder = new ManifestEncoder();
  for (const e of entries) encoder.add(e);
  return encoder.finish();
}

function decodeInPieces(bytes: Uint8Array, cuts: readonly number[]): TreeEntry[] {
  const decoder = new ManifestDecoder();
  const out: TreeEntry[] = [];
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    out.push(...decoder.push(bytes.subarray(at, Math.max(at, cut))));
    at = Math.max(at, cut);
  }
  out.push(...decoder.push(bytes.subarray(at)));
  decoder.finish();
  return out;
}

Deno.test("ManifestEncoder/decodeManifest() round-trip a tree", () => {
  const bytes = encode(SAMPLE);
  assert.deepEqual(bytes.subarray(0, 8), MANIFEST_MAGIC);
  assert.deepEqual(decodeManifest(bytes), SAMPLE);
  assert.deepEqual(decodeManifest(encode([])), []);
});

Deno.test("ManifestDecoder.push() decodes at every split point and byte by byte", () => {
  const bytes = encode(SAMPLE);
  for (let cut = 0; cut <= bytes.length; cut++) {
    assert.deepEqual(decodeInPieces(bytes, [cut]), SAMPLE, `split at ${cut}`);
  }
  const decoder = new ManifestDecoder();
  const out = [...bytes].flatMap((b) => decoder.push(Uint8Array.of(b)));
  decoder.finish();
  assert.deepEqual(out, SAMPLE);
});

const nameArb = fc.string({ unit: "binary", minLength: 1, maxLength: 12 })
  .filter((s) => !s.includes("/") && !s.includes("\0") && s !== "." && s !== "..");

const rawEntryArb = fc.record({
  parent: fc.nat(),
  name: nameArb,
  type: fc.constantFrom<EntryType>(
    "file",
    "dir",
    "symlink",
    "hardlink",
    "fifo",
    "socket",
    "chardev",
    "blockdev",
  ),
  mode: fc.integer({ min: 0, max: 0o7777 }),
  mtimeNs: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  size: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  inode: fc.nat({ max: Number.MAX_SAFE_INTEGER }),
  chunks: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 3 }),
  target: nameArb,
  owner: fc.option(
    fc.record({
      uid: fc.nat({ max: 2 ** 32 - 1 }),
      gid: fc.nat({ max: 2 ** 32 - 1 }),
      user: fc.string({ maxLength: 8 }).filter((s) => !/\p{Cc}/u.test(s)),
      group: fc.string({ maxLength: 8 }).filter((s) => !/\p{Cc}/u.test(s)),
    }),
    { nil: undefined },
  ),
  device: fc.record({ major: fc.nat({ max: 2 ** 32 - 1 }), minor: fc.nat({ max: 2 ** 32 - 1 }) }),
});

/** Builds a valid tree from raw records: parents chosen among folders already listed. */
type RawEntry = typeof rawEntryArb extends fc.Arbitrary<infer T> ? T : never;

function toTree(raws: RawEntry[]): TreeEntry[] {
  const dirs = [""];
  const files: TreeEntry[] = [];
  const seen = new Set<string>();
  const tree: TreeEntry[] = [];
  for (const r of raws) {
    const parent = dirs[r.parent % dirs.length] ?? "";
    const path = parent === "" ? r.name : `${parent}/${r.name}`;
    if (seen.has(path) || new TextEncoder().encode(path).length > 4096) continue;
    const linked = files[r.parent % Math.max(files.length, 1)];
    if (r.type === "hardlink" && linked === undefined) continue;
    seen.add(path);
    const isFile = r.type === "file";
    const chunks = isFile && r.size > 0 ? r.chunks.slice(0, Math.min(r.size, 3)) : [];
    const made: TreeEntry = {
      path,
      type: r.type,
      mode: r.mode,
      mtimeNs: r.mtimeNs,
      size: isFile && chunks.length > 0 ? r.size : 0,
      inode: r.inode,
      chunks,
      target: r.type === "symlink" ? r.target : "",
    };
    if (r.type === "hardlink") {
      Object.assign(made, { size: linked!.size, chunks: linked!.chunks, target: linked!.path });
    }
    if (r.owner !== undefined) made.owner = { ...r.owner };
    if (r.type === "chardev" || r.type === "blockdev") made.device = { ...r.device };
    tree.push(made);
    if (r.type === "dir") dirs.push(path);
    if (isFile) files.push(made);
  }
  return tree;
}

Deno.test("ManifestDecoder round-trips random trees split at random points", () => {
  fc.assert(
    fc.property(fc.array(rawEntryArb, { maxLength: 30 }), fc.array(fc.nat()), (raws, cuts) => {
      const tree = toTree(raws);
      const bytes = encode(tree);
      assert.deepEqual(decodeInPieces(bytes, cuts.map((c) => c % (bytes.length + 1))), tree);
    }),
    { numRuns: 300 },
  );
});

Deno.test("ManifestDecoder with keepPath returns the kept entries of random trees", () => {
  fc.assert(
    fc.property(fc.array(rawEntryArb, { maxLength: 30 }), fc.nat(), (raws, seed) => {
      const tree = toTree(raws);
      const keptPaths = new Set(
        tree.filter((e, i) => e.type === "dir" || (i + seed) % 3 === 0).map((e) => e.path),
      );
      const text = new TextDecoder();
      const decoder = new ManifestDecoder({
        keepPath: (buffer, from, to) => keptPaths.has(text.decode(buffer.subarray(from, to))),
      });
      const kept = tree.filter((e) => keptPaths.has(e.path));
      const linkOutside = kept.some((e) => e.type === "hardlink" && !keptPaths.has(e.target));
      const decode = () => [...decoder.push(encode(tree))];
      if (linkOutside) {
        assert.throws(decode, /not a file listed before it/);
      } else {
        assert.deepEqual(decode(), kept);
        decoder.finish();
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("ManifestDecoder with keepPath still checks the framing of records it skips", () => {
  const skipAll = new ManifestDecoder({ keepPath: () => false });
  const badFlags = rawRecord(1, "a", { tail: [2] });
  assert.throws(() => skipAll.push(manifest(badFlags)), /entry 0: unknown flags 2/);
  const counted = new ManifestDecoder({ keepPath: () => false });
  assert.deepEqual(counted.push(encode(SAMPLE)), []);
  counted.finish();
});

/**
 * The fields of a raw record; `mtimeMs` writes a version 1 (f64 milliseconds) time; `tail` is what
 * follows the target (default: a version 3 flags byte of 0; `[]` for versions 1 and 2).
 */
type RawFields = Partial<TreeEntry> & { mtimeMs?: number; tail?: number[] };

/** A record built without validation, to feed the decoder hostile bytes. */
function rawRecord(code: number, path: string, fields: RawFields = {}): Uint8Array {
  const p = new TextEncoder().encode(path);
  const t = new TextEncoder().encode(fields.target ?? "");
  const chunks = fields.chunks ?? [];
  const tail = fields.tail ?? [0];
  const out = new Uint8Array(3 + p.length + 32 + chunks.length * 32 + 2 + t.length + tail.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, code);
  view.setUint16(1, p.length);
  out.set(p, 3);
  let at = 3 + p.length;
  view.setUint32(at, fields.mode ?? 0o644);
  if (fields.mtimeMs !== undefined) view.setFloat64(at + 4, fields.mtimeMs);
  else view.setBigInt64(at + 4, fields.mtimeNs ?? 0n);
  view.setFloat64(at + 12, fields.size ?? 0);
  view.setFloat64(at + 20, fields.inode ?? 0);
  view.setUint32(at + 28, chunks.length);
  at += 32;
  for (const c of chunks) (out.set(c, at), at += 32);
  view.setUint16(at, t.length);
  out.set(t, at + 2);
  out.set(tail, at + 2 + t.length);
  return out;
}

function manifest(...records: Uint8Array[]): Uint8Array {
  return manifestWith(MANIFEST_MAGIC, records);
}

function manifestWith(magic: Uint8Array, records: Uint8Array[]): Uint8Array {
  const end = new Uint8Array(5);
  new DataView(end.buffer).setUint32(1, records.length);
  const parts = [magic, ...records, end];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
}

function assertRejects(bytes: Uint8Array, pattern: RegExp): void {
  assert.throws(() => decodeManifest(bytes), (error: unknown) => {
    assert.ok(error instanceof IntegrityError, String(error));
    assert.match(error.message, /^Cannot read snapshot manifest: /);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("decodeManifest() refuses hostile entries, naming the entry index", () => {
  const dir = rawRecord(2, "d");
  const cases: [Uint8Array, RegExp][] = [
    [rawRecord(1, "../x"), /entry 0: .*"\.\." component/],
    [rawRecord(1, "/abs"), /entry 0: .*absolute/],
    [rawRecord(1, "a//b"), /entry 0: .*empty component/],
    [rawRecord(1, "a\0b"), /entry 0: .*NUL/],
    [rawRecord(1, "d/x"), /entry 0: .*before its folder/],
    [rawRecord(2, "d", { chunks: [id(1)] }), /entry 0: chunk count 1 does not fit a dir/],
    [rawRecord(1, "f", { size: 5 }), /entry 0: .*0 chunks cannot hold 5 bytes/],
    [rawRecord(1, "f", { size: 1, chunks: [id(1), id(2)] }), /entry 0: .*2 chunks/],
    [rawRecord(1, "f", { mode: 0o10000 }), /entry 0: Invalid mode/],
    [rawRecord(1, "f", { size: -1 }), /entry 0: Invalid size/],
    [rawRecord(1, "f", { size: 0.5, chunks: [id(1)] }), /entry 0: Invalid size/],
    [rawRecord(1, "f", { inode: NaN }), /entry 0: Invalid inode/],
    [rawRecord(3, "l"), /entry 0: Invalid symlink target/],
    [rawRecord(3, "l", { target: "a\0" }), /entry 0: Invalid symlink target/],
    [rawRecord(1, "f", { target: "x" }), /entry 0: Invalid target/],
    [rawRecord(9, "f"), /entry 0: unknown type byte 9/],
    [rawRecord(1, "f", { tail: [2] }), /entry 0: unknown flags 2/],
    [rawRecord(4, "l", { target: "f" }), /entry 0: .*"f", which is not a file listed before it/],
    [rawRecord(4, "l", { target: "" }), /entry 0: Invalid hard link target/],
    [rawRecord(4, "l", { target: "../x" }), /entry 0: Invalid hard link target/],
    [rawRecord(5, "p", { size: 3 }), /entry 0: Invalid fifo: it has a size/],
    [rawRecord(5, "p", { target: "x" }), /entry 0: Invalid target: a fifo has none/],
    [rawRecord(1, "f", { tail: [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x07, 0] }), /Invalid user name/],
    [rawRecord(1, "f", { tail: [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0xff] }), /group name is not/],
  ];
  for (const [record, pattern] of cases) assertRejects(manifest(record), pattern);
  assertRejects(manifest(dir, rawRecord(1, "d")), /entry 1: Duplicate path "d"/);
  assertRejects(manifest(rawRecord(1, "f"), rawRecord(1, "f/x")), /entry 1: .*before its folder/);
  const [d, f] = [rawRecord(2, "d"), rawRecord(1, "d/f")];
  assertRejects(manifest(d, f, rawRecord(1, "d/f/x")), /entry 2: .*before its folder "d\/f"/);
  assertRejects(manifest(d, f, rawRecord(1, "dd/x")), /entry 2: .*before its folder "dd"/);
  assertRejects(manifest(d, f, rawRecord(1, "d/f")), /entry 2: Duplicate path "d\/f"/);
  const badUtf8 = rawRecord(1, "ab");
  badUtf8[3] = 0xff;
  assertRejects(manifest(dir, badUtf8), /entry 1: the path is not valid UTF-8/);
  const file = rawRecord(1, "f", { size: 1, chunks: [id(1)] });
  assertRejects(manifest(dir, rawRecord(4, "l", { target: "d" })), /entry 1: .*not a file/);
  assertRejects(
    manifest(file, rawRecord(4, "l", { target: "f", size: 1 })),
    /entry 1: a hard link holds no size of its own/,
  );
  assertRejects(
    manifest(file, rawRecord(4, "l", { target: "f", chunks: [id(1)] })),
    /entry 1: chunk count 1 does not fit a hardlink/,
  );
  const oldMagic = [MANIFEST_MAGIC_V1, MANIFEST_MAGIC_V2];
  for (const magic of oldMagic) {
    assertRejects(
      manifestWith(magic, [rawRecord(5, "p", { tail: [] })]),
      /entry 0: unknown type byte 5/,
    );
  }
});

Deno.test("decodeManifest() refuses bad framing", () => {
  const good = manifest(rawRecord(2, "d"));
  assertRejects(good.subarray(0, good.length - 1), /truncated after 1 entries/);
  assertRejects(Uint8Array.of(...good, 0), /bytes follow the end record/);
  const badMagic = good.slice();
  badMagic[0] = 0x41;
  assertRejects(badMagic, /bad magic/);
  const badCount = good.slice();
  badCount[badCount.length - 1] = 2;
  assertRejects(badCount, /counts 2 entries, not 1/);
});

Deno.test("ManifestDecoder.push() bounds lengths before buffering their bytes", () => {
  const header = new Uint8Array(3 + 1 + 32);
  const view = new DataView(header.buffer);
  view.setUint8(0, 1);
  view.setUint16(1, 1);
  header[3] = 0x61;
  view.setUint32(3 + 1 + 28, 2 ** 24 + 1);
  const decoder = new ManifestDecoder();
  assert.throws(() => decoder.push(Uint8Array.of(...MANIFEST_MAGIC, ...header)), /chunk count/);
  assert.throws(() => decoder.push(new Uint8Array(1)), IntegrityError);
  const longPath = Uint8Array.of(...MANIFEST_MAGIC, 1, 0x10, 0x01);
  assert.throws(() => new ManifestDecoder().push(longPath), /path length 4097/);
});

Deno.test("ManifestDecoder gives the entries of one owner one frozen owner, checked once", () => {
  const encoder = new ManifestEncoder();
  encoder.add(entry("a", "dir", { owner: { ...ALICE } }));
  encoder.add(entry("a/b", "fifo", { owner: { ...ALICE } }));
  encoder.add(entry("a/c", "fifo", { owner: { ...ALICE, gid: 7 } }));
  encoder.add(entry("a/d", "fifo", { owner: { ...ALICE } }));
  const [a, b, c, d] = decodeManifest(encoder.finish());
  assert.equal(a!.owner, b!.owner, "the same owner, one object");
  assert.ok(Object.isFrozen(a!.owner));
  assert.deepEqual(c!.owner, { ...ALICE, gid: 7 });
  assert.deepEqual(d!.owner, ALICE);
  const good = [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x61, 0];
  const bad = [1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0x07, 0];
  const records = [rawRecord(1, "f", { tail: good }), rawRecord(1, "g", { tail: bad })];
  assertRejects(manifest(...records), /entry 1: Invalid user name/);
});

Deno.test("ManifestEncoder.add() throws on invalid entries and order", () => {
  const encoder = new ManifestEncoder();
  encoder.add(entry("a", "dir"));
  assert.throws(() => encoder.add(entry("a", "file")), TypeError);
  assert.throws(() => encoder.add(entry("b/c", "file")), TypeError);
  assert.throws(() => encoder.add(entry("a/./c", "file")), TypeError);
  assert.throws(() => encoder.add(entry("c", "file", { mode: 0o10000 })), RangeError);
  assert.throws(() => encoder.add(entry("c", "file", { size: 1, chunks: [new Uint8Array(31)] })));
  assert.throws(() => encoder.add(entry("c", "dir", { size: 3 })), RangeError);
  assert.throws(() => encoder.add(entry("c", "hardlink", { target: "a/c" })), /not a file listed/);
  assert.throws(() => encoder.add(entry("c", "chardev")), /no device numbers/);
  assert.throws(
    () => encoder.add(entry("c", "fifo", { device: { major: 1, minor: 3 } })),
    /fifo: it has device numbers/,
  );
  assert.throws(
    () => encoder.add(entry("c", "file", { owner: { ...ALICE, user: "a\nb" } })),
    /Invalid user name/,
  );
  assert.throws(
    () => encoder.add(entry("c", "file", { owner: { ...ALICE, uid: -1 } })),
    RangeError,
  );
  encoder.add(entry("a/c", "file", { size: 1, chunks: [id(1)] }));
  assert.throws(
    () => encoder.add(entry("a/d", "hardlink", { target: "a/c", size: 1, chunks: [id(2)] })),
    /does not hold the content of its target/,
  );
  encoder.add(entry("a/d", "hardlink", { target: "a/c", size: 1, chunks: [id(1)] }));
  assert.deepEqual(decodeManifest(encoder.finish()).map((e) => e.path), ["a", "a/c", "a/d"]);
  assert.throws(() => encoder.add(entry("d", "file")), TypeError);
});

Deno.test("validateEntryPath() accepts relative paths and refuses the rest", () => {
  for (const ok of ["a", "a/b c/d", "Grüße/🦊", ".hidden", "a..b", "x".repeat(4096)]) {
    assert.equal(validateEntryPath(ok), ok);
  }
  const bad = ["", "/a", "a/", "a//b", "./a", "a/..", "a\0", "\ud800", "é".repeat(2049)];
  for (const path of bad) assert.throws(() => validateEntryPath(path), TypeError, path);
});

Deno.test("decodeManifest() reads a version 1 manifest's millisecond times as nanoseconds", () => {
  const v1 = manifestWith(MANIFEST_MAGIC_V1, [
    rawRecord(2, "d", { mtimeMs: 1_600_000_000_250.5, tail: [] }),
    rawRecord(1, "d/f", { mtimeMs: -5, tail: [] }),
  ]);
  const entries = decodeManifest(v1);
  assert.deepEqual(entries.map((e) => e.mtimeNs), [1_600_000_000_250_500_000n, -5_000_000n]);
  assertRejects(
    manifestWith(MANIFEST_MAGIC_V1, [rawRecord(1, "f", { mtimeMs: Infinity, tail: [] })]),
    /entry 0: Invalid mtime/,
  );
});

/** A version 2 manifest as version 2 wrote it: a folder, a file of one chunk, a symlink. */
const GOLDEN_V2 = "4252574d414e3032" +
  "02000164000001ed17979cfe3631a12100000000000000004045000000000000000000000000" +
  "010003642f66000001a017979cfe3631a1214000000000000000404500000000000000000001010101010101" +
  "01010101010101010101010101010101010101010101010101010000" +
  "030003642f69000001ff17979cfe3631a1210000000000000000000000000000000000000000000166" +
  "0000000003";

Deno.test("decodeManifest() still reads a version 2 manifest (golden vector), with no owners", () => {
  const entries = decodeManifest(Uint8Array.fromHex(GOLDEN_V2));
  const mtimeNs = 1_700_000_000_000_500_001n;
  assert.deepEqual(entries, [
    { ...entry("d", "dir", { mode: 0o755, inode: 42, mtimeNs }) },
    { ...entry("d/f", "file", { mode: 0o640, size: 2, inode: 42, chunks: [id(1)], mtimeNs }) },
    { ...entry("d/i", "symlink", { mode: 0o777, inode: 0, target: "f", mtimeNs }) },
  ]);
  assert.ok(entries.every((e) => e.owner === undefined && e.device === undefined));
});

/** A version 3 manifest: a folder with an owner, a file, a hard link to it, a device. */
const GOLDEN_V3 = "4252574d414e3033" +
  "02000164000001ed000000000000000a0000000000000000000000000000000000000000000001000003e800" +
  "00006405616c696365057573657273" +
  "010003642f66000001a4000000000000000b4000000000000000402200000000000000000001010101010101" +
  "0101010101010101010101010101010101010101010101010101000000" +
  "040003642f68000001a4000000000000000b00000000000000004022000000000000000000000003642f6600" +
  "070003642f6e000001b600000000000000000000000000000000000000000000000000000000000000000000" +
  "0100000003" +
  "0000000004";

Deno.test("ManifestEncoder writes version 3 records as documented (golden vector)", () => {
  const tree = [
    entry("d", "dir", { mode: 0o755, mtimeNs: 10n, inode: 0, owner: ALICE }),
    entry("d/f", "file", { mode: 0o644, mtimeNs: 11n, inode: 9, size: 2, chunks: [id(1)] }),
    entry("d/h", "hardlink", { mtimeNs: 11n, inode: 9, size: 2, chunks: [id(1)], target: "d/f" }),
    entry("d/n", "chardev", { mode: 0o666, mtimeNs: 0n, inode: 0, device: { major: 1, minor: 3 } }),
  ];
  assert.equal(encode(tree).toHex(), GOLDEN_V3);
  assert.deepEqual(decodeManifest(Uint8Array.fromHex(GOLDEN_V3)), tree);
});
