import assert from "node:assert/strict";
import { concatBytes } from "../concat_bytes.ts";
import { IntegrityError } from "../errors.ts";
import { PackChunkStore } from "./pack_chunk_store.ts";
import { toHex } from "../format/chunk_id.ts";
import { filesEnding, inTempDir, recordingLogger } from "../../tests/_testing.ts";
import { writeJournal } from "./_repack_journal.ts";
import { storeFailure } from "./_pack_layout.ts";
import { encodeIndex } from "./_pack_format.ts";

/** A store in `dir` holding `count` flushed blobs of `length` bytes; closed. */
async function filledStore(dir: string, count: number, length: number): Promise<Uint8Array[][]> {
  const store = await PackChunkStore.open(dir);
  const chunks = Array.from({ length: count }, (_, i) => [
    crypto.getRandomValues(new Uint8Array(32)),
    new Uint8Array(length).fill(i),
  ]);
  for (const [id, blob] of chunks) await store.put(id!, blob!);
  await store.close();
  return chunks;
}

async function patch(
  path: string,
  offset: number,
  change: (byte: number) => number,
): Promise<void> {
  const bytes = await Deno.readFile(path);
  bytes[offset] = change(bytes[offset]!);
  await Deno.writeFile(path, bytes);
}

Deno.test("get() and readInto() throw IntegrityError when a record header was changed", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 3, 1000);
    const [pack] = await filesEnding(dir, ".pack");
    await patch(pack!, 8 + 5, (b) => b ^ 1); // id of record 0
    await patch(pack!, 8 + 1040 + 33, (b) => b ^ 1); // length of record 1
    const store = await PackChunkStore.open(dir);
    const reads = [
      (id: Uint8Array) => store.get(id),
      (id: Uint8Array) => store.readInto(id, new Uint8Array(1000)),
    ];
    for (const read of reads) {
      await assert.rejects(
        read(chunks[0]![0]!),
        (e) => e instanceof IntegrityError && /another id/.test(e.message),
      );
      await assert.rejects(
        read(chunks[1]![0]!),
        (e) => e instanceof IntegrityError && /length/.test(e.message),
      );
    }
    assert.deepEqual(await store.get(chunks[2]![0]!), chunks[2]![1]);
    await store.close();
  }));

Deno.test("get() throws IntegrityError past the cut of a truncated pack, others read fine", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 10, 1000);
    const [pack] = await filesEnding(dir, ".pack");
    await Deno.truncate(pack!, 8 + 1040 * 5 + 500);
    const store = await PackChunkStore.open(dir);
    for (const [i, [id, blob]] of chunks.entries()) {
      if (i < 5) assert.deepEqual(await store.get(id!), blob);
      else {
        await assert.rejects(
          store.get(id!),
          (e) => e instanceof IntegrityError && /truncated/.test(e.message),
        );
        await assert.rejects(
          store.readInto(id!, new Uint8Array(1000)),
          (e) => e instanceof IntegrityError && /truncated/.test(e.message),
        );
      }
    }
    await store.close();
  }));

Deno.test("open() rebuilds a missing index from its pack's records, naming the pack", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 4, 100);
    const [index] = await filesEnding(dir, ".idx");
    const [pack] = await filesEnding(dir, ".pack");
    await Deno.remove(index!);
    const { logger, lines } = recordingLogger();
    const store = await PackChunkStore.open(dir, { logger });
    assert.equal(store.size, 4);
    assert.equal(store.damaged, 0);
    for (const [id, blob] of chunks) assert.deepEqual(await store.get(id!), blob);
    assert.ok((await Deno.stat(pack!)).isFile, "the pack is kept");
    assert.ok((await Deno.stat(index!)).isFile, "the index is written again");
    const warning = lines.find((line) => line.message.includes("index rebuilt"));
    assert.equal(warning?.fields.pack, pack);
    assert.equal(warning?.fields.chunks, 4);
    await store.close();
  }));

Deno.test("open() rebuilds a damaged index from its pack and keeps the damaged copy aside", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 4, 100);
    const [index] = await filesEnding(dir, ".idx");
    await patch(index!, 40, (b) => b ^ 0x80);
    const damaged = await Deno.readFile(index!);
    const { logger, lines } = recordingLogger();
    const store = await PackChunkStore.open(dir, { logger });
    for (const [id, blob] of chunks) assert.deepEqual(await store.get(id!), blob);
    assert.deepEqual(await Deno.readFile(`${index}.damaged`), damaged);
    assert.ok(lines.some((line) => /checksum/.test(String(line.fields.reason))));
    await store.close();
    const again = await PackChunkStore.open(dir);
    assert.equal(again.size, 4);
    await again.close();
  }));

Deno.test("open() rebuilds a cut-off pack's index up to the cut and says where it stopped", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 10, 1000);
    const [index] = await filesEnding(dir, ".idx");
    const [pack] = await filesEnding(dir, ".pack");
    await Deno.remove(index!);
    await Deno.truncate(pack!, 8 + 1040 * 6 + 500);
    const { logger, lines } = recordingLogger();
    const store = await PackChunkStore.open(dir, { logger });
    assert.equal(store.size, 6);
    for (const [id, blob] of chunks.slice(0, 6)) assert.deepEqual(await store.get(id!), blob);
    assert.ok(lines.some((line) => /cut off inside record 7/.test(String(line.fields.damage))));
    await store.close();
  }));

/** A closed store in `dir` with two packs of `count` blobs each; returns each pack's chunks. */
async function twoPacks(dir: string, count: number): Promise<Uint8Array[][][]> {
  const first = await filledStore(dir, count, 500);
  const packs = await filesEnding(dir, ".pack");
  const second = await filledStore(dir, count, 700);
  const [added] = (await filesEnding(dir, ".pack")).filter((p) => !packs.includes(p));
  await Deno.rename(added!, `${added}.keep`);
  return [first, second];
}

Deno.test("open() leaves out a missing pack's blobs, counts them, and a put stores them again", () =>
  inTempDir(async (dir) => {
    const [kept, lost] = await twoPacks(dir, 5);
    const [moved] = await filesEnding(dir, ".pack.keep");
    await Deno.remove(moved!);
    const { logger, lines } = recordingLogger();
    const store = await PackChunkStore.open(dir, { logger });
    assert.equal(store.damaged, 5);
    assert.equal(store.size, 5);
    for (const [id, blob] of kept!) assert.deepEqual(await store.get(id!), blob);
    for (const [id] of lost!) assert.ok(!store.has(id!), "a lost blob is not reported stored");
    assert.ok(lines.some((line) => line.level === "error" && line.fields.chunks === 5));
    for (const [id, blob] of lost!.slice(0, 2)) await store.put(id!, blob!);
    assert.equal(store.damaged, 3);
    for (const [id, blob] of lost!.slice(2)) await store.put(id!, blob!);
    assert.equal(store.damaged, 0);
    await store.close();
    const { logger: again, lines: later } = recordingLogger();
    const reopened = await PackChunkStore.open(dir, { logger: again });
    assert.equal(reopened.damaged, 0);
    assert.equal(reopened.size, 10);
    assert.ok(later.some((line) => /index of a missing pack removed/.test(line.message)));
    assert.equal((await filesEnding(dir, ".idx")).length, 2);
    await reopened.close();
  }));

Deno.test("open() keeps a damaged index whose pack is missing and counts it as damage", () =>
  inTempDir(async (dir) => {
    await twoPacks(dir, 3);
    const [moved] = await filesEnding(dir, ".pack.keep");
    await Deno.remove(moved!);
    const orphan = (await filesEnding(dir, ".idx")).find((path) =>
      !moved!.includes(path.slice(path.lastIndexOf("/") + 1, -4))
    );
    for (const index of await filesEnding(dir, ".idx")) {
      if (index !== orphan) await Deno.writeFile(index, new Uint8Array(10));
    }
    const store = await PackChunkStore.open(dir);
    assert.equal(store.size, 3);
    assert.equal(store.damaged, 1);
    await store.close();
  }));

Deno.test("open() removes .pack.tmp files and atomic-write leftovers, never a sealed pack", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 4, 100);
    const name = (n: number) => toHex(new Uint8Array(16).fill(n));
    await Deno.mkdir(`${dir}/packs/0a`);
    const leftovers = [
      `${dir}/packs/0a/${name(10)}.pack.tmp`,
      `${dir}/index/.${name(9)}.idx.0123.tmp`,
    ];
    for (const path of leftovers) await Deno.writeFile(path, new Uint8Array(64));
    const notAPack = `${dir}/packs/0a/${name(10)}.pack`;
    await Deno.writeFile(notAPack, new Uint8Array(64));
    await Deno.writeFile(`${dir}/packs/0a/notes.txt`, new Uint8Array(1));
    const { logger, lines } = recordingLogger();
    const store = await PackChunkStore.open(dir, { logger });
    for (const path of leftovers) await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    assert.ok(
      (await Deno.stat(`${dir}/packs/0a/notes.txt`)).isFile,
      "unknown files are left alone",
    );
    assert.ok((await Deno.stat(notAPack)).isFile, "a .pack is never removed");
    assert.ok(
      lines.some((line) => line.fields.pack === notAPack && /not a pack/.test(line.message)),
    );
    assert.equal(store.size, 4);
    for (const [id, blob] of chunks) assert.deepEqual(await store.get(id!), blob);
    await store.close();
  }));

Deno.test("open() removes the new pack of a repack a crash cut off before its index", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 4, 100);
    const [pack] = await filesEnding(dir, ".pack");
    const source = pack!.slice(pack!.lastIndexOf("/") + 1, -".pack".length);
    const target = toHex(new Uint8Array(16).fill(0xab));
    await Deno.mkdir(`${dir}/packs/ab`);
    await Deno.copyFile(pack!, `${dir}/packs/ab/${target}.pack`);
    await writeJournal(dir, target, [source]);
    const store = await PackChunkStore.open(dir);
    await assert.rejects(Deno.stat(`${dir}/packs/ab/${target}.pack`), Deno.errors.NotFound);
    assert.equal((await filesEnding(`${dir}/journal`, ".repack")).length, 0);
    assert.equal(store.size, 4);
    for (const [id, blob] of chunks) assert.deepEqual(await store.get(id!), blob);
    await store.close();
  }));

Deno.test("get() reads blobs of the unsealed pack from the write queue and the .tmp file", () =>
  inTempDir(async (dir) => {
    const store = await PackChunkStore.open(dir, { packTargetBytes: 64 << 20 });
    const chunks = Array.from({ length: 12 }, (_, i) => [
      crypto.getRandomValues(new Uint8Array(32)),
      new Uint8Array(700_000).fill(i + 1),
    ]);
    for (const [id, blob] of chunks) await store.put(id!, blob!);
    for (const [id, blob] of chunks) assert.deepEqual(await store.get(id!), blob);
    // Wait until the full staging buffers reached the .tmp file, then read them from there.
    const written = async () => {
      const [temp] = await filesEnding(dir, ".pack.tmp");
      return temp === undefined ? 0 : (await Deno.stat(temp)).size;
    };
    for (let i = 0; i < 200 && await written() < 4_000_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(await written() >= 4_000_000);
    assert.equal((await filesEnding(dir, ".pack")).length, 0);
    for (const [id, blob] of chunks) assert.deepEqual(await store.get(id!), blob);
    await store.close();
    assert.equal((await filesEnding(dir, ".pack.tmp")).length, 0);
    assert.equal((await filesEnding(dir, ".idx")).length, 1);
  }));

Deno.test("packs are sealed in the background as they reach the target size", () =>
  inTempDir(async (dir) => {
    const store = await PackChunkStore.open(dir, { packTargetBytes: 100_000 });
    for (let i = 0; i < 50; i++) {
      await store.put(crypto.getRandomValues(new Uint8Array(32)), new Uint8Array(20_000));
    }
    for (let i = 0; i < 100 && (await filesEnding(dir, ".idx")).length < 9; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok((await filesEnding(dir, ".idx")).length >= 9, "sealed without a flush");
    await store.flush();
    assert.equal((await filesEnding(dir, ".idx")).length, 10);
    await store.close();
  }));

Deno.test("open() moves a damaged repack journal aside and keeps every pack", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 4, 100);
    await Deno.writeTextFile(`${dir}/journal/${"ab".repeat(16)}.repack`, "not a journal");
    const { logger, lines } = recordingLogger();
    const store = await PackChunkStore.open(dir, { logger });
    for (const [id, blob] of chunks) assert.deepEqual(await store.get(id!), blob);
    assert.equal((await filesEnding(`${dir}/journal`, ".repack.damaged")).length, 1);
    assert.ok(lines.some((line) => /journal is damaged/.test(line.message)));
    await store.close();
  }));

Deno.test("storeFailure() keeps the OS's reason but not the path it names", () => {
  const error = new Deno.errors.PermissionDenied(
    "Permission denied (os error 13): open '/srv/burrow/repos/alice/chunks/x'",
  );
  const failure = storeFailure("store chunks", error);
  assert.equal(failure.message, "Cannot store chunks: Permission denied (os error 13)");
  assert.equal(failure.cause, error);
});

Deno.test("get() and readInto() catch a flipped byte in a blob by its checksum", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 3, 1000);
    const [pack] = await filesEnding(dir, ".pack");
    await patch(pack!, 8 + 1040 + 40 + 500, (b) => b ^ 1); // the middle of blob 1
    const store = await PackChunkStore.open(dir);
    await assert.rejects(
      store.get(chunks[1]![0]!),
      (e) => e instanceof IntegrityError && /does not match its checksum/.test(e.message),
    );
    assert.deepEqual(await store.get(chunks[0]![0]!), chunks[0]![1]);
    assert.deepEqual(await store.get(chunks[2]![0]!), chunks[2]![1]);
    await store.close();
  }));

Deno.test("open() rebuilds an index without the records that fail their checksum", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 3, 1000);
    const [index] = await filesEnding(dir, ".idx");
    const [pack] = await filesEnding(dir, ".pack");
    await Deno.remove(index!);
    await patch(pack!, 8 + 1040 + 40 + 500, (b) => b ^ 1);
    const { logger, lines } = recordingLogger();
    const store = await PackChunkStore.open(dir, { logger });
    assert.equal(store.size, 2);
    assert.ok(!store.has(chunks[1]![0]!), "a push stores the damaged one again");
    assert.ok(
      lines.some((line) => /record 2 does not match its checksum/.test(String(line.fields.damage))),
    );
    await store.close();
  }));

Deno.test("open() reads version 1 packs and indexes (records without a checksum)", () =>
  inTempDir(async (dir) => {
    const blobs = [new Uint8Array(300).fill(1), new Uint8Array(500).fill(2)];
    const ids = blobs.map(() => crypto.getRandomValues(new Uint8Array(32)));
    const name = "ab".repeat(16);
    const parts: Uint8Array[] = [new TextEncoder().encode("BRWPACK1")];
    const entries = [];
    let offset = 8;
    for (const [i, blob] of blobs.entries()) {
      const header = new Uint8Array(36);
      header.set(ids[i]!);
      new DataView(header.buffer).setUint32(32, blob.length);
      parts.push(header, blob);
      entries.push({ id: ids[i]!, offset, length: blob.length });
      offset += 36 + blob.length;
    }
    await (await PackChunkStore.open(dir)).close();
    await Deno.mkdir(`${dir}/packs/ab`);
    await Deno.writeFile(`${dir}/packs/ab/${name}.pack`, concatBytes(parts));
    await Deno.writeFile(
      `${dir}/index/${name}.idx`,
      encodeIndex(Uint8Array.fromHex(name), entries, 1),
    );
    const store = await PackChunkStore.open(dir);
    for (const [i, id] of ids.entries()) assert.deepEqual(await store.get(id), blobs[i]);
    await store.close();
  }));
