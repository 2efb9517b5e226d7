import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { IntegrityError } from "../errors.ts";
import { PackChunkStore } from "./pack_chunk_store.ts";
import { toHex } from "./chunk_store.ts";
import { inTempDir } from "../../tests/_testing.ts";

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

/** Paths of the files under `dir` whose names end with `suffix`. */
async function filesEnding(dir: string, suffix: string): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) found.push(...await filesEnding(path, suffix));
    else if (entry.name.endsWith(suffix)) found.push(path);
  }
  return found;
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
    await patch(pack!, 8 + 1036 + 33, (b) => b ^ 1); // length of record 1
    const store = await PackChunkStore.open(dir);
    const reads = [
      (id: Uint8Array) => store.get(id),
      (id: Uint8Array) => store.readInto(id, new Uint8Array(1000)),
    ];
    for (const read of reads) {
      await rejects(
        read(chunks[0]![0]!),
        (e) => e instanceof IntegrityError && /another id/.test(e.message),
      );
      await rejects(
        read(chunks[1]![0]!),
        (e) => e instanceof IntegrityError && /length/.test(e.message),
      );
    }
    deepStrictEqual(await store.get(chunks[2]![0]!), chunks[2]![1]);
    await store.close();
  }));

Deno.test("get() throws IntegrityError past the cut of a truncated pack, others read fine", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 10, 1000);
    const [pack] = await filesEnding(dir, ".pack");
    await Deno.truncate(pack!, 8 + 1036 * 5 + 500);
    const store = await PackChunkStore.open(dir);
    for (const [i, [id, blob]] of chunks.entries()) {
      if (i < 5) deepStrictEqual(await store.get(id!), blob);
      else {
        await rejects(
          store.get(id!),
          (e) => e instanceof IntegrityError && /truncated/.test(e.message),
        );
        await rejects(
          store.readInto(id!, new Uint8Array(1000)),
          (e) => e instanceof IntegrityError && /truncated/.test(e.message),
        );
      }
    }
    await store.close();
  }));

Deno.test("open() fails naming a damaged index file, or an index whose pack is gone", () =>
  inTempDir(async (dir) => {
    await filledStore(dir, 4, 100);
    const [index] = await filesEnding(dir, ".idx");
    await patch(index!, 40, (b) => b ^ 0x80);
    await rejects(
      PackChunkStore.open(dir),
      (e) => e instanceof IntegrityError && e.message.includes(index!),
    );
    await patch(index!, 40, (b) => b ^ 0x80);
    const [pack] = await filesEnding(dir, ".pack");
    await Deno.remove(pack!);
    await rejects(
      PackChunkStore.open(dir),
      (e) => e instanceof IntegrityError && /pack is missing/.test(e.message),
    );
  }));

Deno.test("open() removes .pack.tmp files, packs without an index and atomic-write leftovers", () =>
  inTempDir(async (dir) => {
    const chunks = await filledStore(dir, 4, 100);
    const name = (n: number) => toHex(new Uint8Array(16).fill(n));
    await Deno.mkdir(`${dir}/packs/0a`);
    const leftovers = [
      `${dir}/packs/0a/${name(10)}.pack.tmp`,
      `${dir}/packs/0a/${name(10)}.pack`,
      `${dir}/index/.${name(9)}.idx.0123.tmp`,
    ];
    for (const path of leftovers) await Deno.writeFile(path, new Uint8Array(64));
    await Deno.writeFile(`${dir}/packs/0a/notes.txt`, new Uint8Array(1));
    const store = await PackChunkStore.open(dir);
    for (const path of leftovers) await rejects(Deno.stat(path), Deno.errors.NotFound);
    ok((await Deno.stat(`${dir}/packs/0a/notes.txt`)).isFile, "unknown files are left alone");
    equal(store.size, 4);
    for (const [id, blob] of chunks) deepStrictEqual(await store.get(id!), blob);
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
    for (const [id, blob] of chunks) deepStrictEqual(await store.get(id!), blob);
    // Wait until the full staging buffers reached the .tmp file, then read them from there.
    const written = async () => {
      const [temp] = await filesEnding(dir, ".pack.tmp");
      return temp === undefined ? 0 : (await Deno.stat(temp)).size;
    };
    for (let i = 0; i < 200 && await written() < 4_000_000; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    ok(await written() >= 4_000_000);
    equal((await filesEnding(dir, ".pack")).length, 0);
    for (const [id, blob] of chunks) deepStrictEqual(await store.get(id!), blob);
    await store.close();
    equal((await filesEnding(dir, ".pack.tmp")).length, 0);
    equal((await filesEnding(dir, ".idx")).length, 1);
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
    ok((await filesEnding(dir, ".idx")).length >= 9, "sealed without a flush");
    await store.flush();
    equal((await filesEnding(dir, ".idx")).length, 10);
    await store.close();
  }));
