/** Runs the ChunkStore conformance suite against every implementation. @module */
import { MemoryChunkStore } from "../../src/store/memory_chunk_store.ts";
import { PackChunkStore } from "../../src/store/pack_chunk_store.ts";
import { S3ChunkStore } from "../../src/store/s3/s3_chunk_store.ts";
import { freshPrefix, removePrefix, s3Problem, testObjectStore } from "../_s3_env.ts";
import { type Chunk, hex } from "./_chunk_data.ts";
import { type ChunkStoreFixture, chunkStoreSuite } from "./chunk_store_suite.ts";

const PACK_TARGET = 8 * 1024 * 1024;
const CRASH_PACK_TARGET = 64 * 1024;

/** A pack store in a not yet existing sub-folder of a fresh temporary folder. */
async function packFixture(): Promise<ChunkStoreFixture> {
  const root = await Deno.makeTempDir({ prefix: "burrow_chunks_" });
  const dir = `${root}/store`;
  const open = () => PackChunkStore.open(dir, { packTargetBytes: PACK_TARGET });
  return {
    store: await open(),
    reopen: open,
    crash: (flushed, unflushed) => crashProcess(dir, flushed, unflushed),
    files: { count: () => countPacks(`${dir}/packs`), targetBytes: PACK_TARGET },
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

/** An S3 store under a fresh prefix of the test bucket (Ceph RGW in CI). */
async function s3Fixture(): Promise<ChunkStoreFixture> {
  const objects = await testObjectStore();
  const prefix = freshPrefix("conformance");
  const open = () => S3ChunkStore.open(objects, prefix, { packTargetBytes: PACK_TARGET });
  return {
    store: await open(),
    reopen: open,
    crash: (flushed, unflushed) => crashProcess(`s3:${prefix}`, flushed, unflushed),
    files: { count: () => countObjects(objects, `${prefix}packs/`), targetBytes: PACK_TARGET },
    cleanup: async () => {
      await removePrefix(objects, prefix);
      objects.close();
    },
  };
}

/** Pack objects under `prefix`, and uploads not completed (the packs being written). */
async function countObjects(
  objects: Awaited<ReturnType<typeof testObjectStore>>,
  prefix: string,
): Promise<number> {
  let count = 0;
  for await (const _ of objects.list(prefix)) count++;
  for await (const _ of objects.listUploads(prefix)) count++;
  return count;
}

async function crashProcess(dir: string, flushed: Chunk[], unflushed: Chunk[]): Promise<void> {
  const encode = (chunks: Chunk[]) => chunks.map(([id, blob]) => [hex(id), hex(blob)]);
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./_chunk_crash_process.ts", import.meta.url).pathname,
      dir,
      `${CRASH_PACK_TARGET}`,
      "15",
    ],
    stdin: "piped",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(
    new TextEncoder().encode(
      JSON.stringify({ flushed: encode(flushed), unflushed: encode(unflushed) }),
    ),
  );
  await writer.close();
  const status = await child.status;
  if (!status.success) throw new Error(`crash helper exited with ${status.code}`);
}

async function countPacks(dir: string): Promise<number> {
  let count = 0;
  for await (const folder of Deno.readDir(dir)) {
    for await (const entry of Deno.readDir(`${dir}/${folder.name}`)) {
      if (entry.name.endsWith(".pack") || entry.name.endsWith(".pack.tmp")) count++;
    }
  }
  return count;
}

chunkStoreSuite(
  "memory",
  () => Promise.resolve({ store: new MemoryChunkStore(), cleanup: () => Promise.resolve() }),
  { persistent: false, files: false },
);
chunkStoreSuite("pack", packFixture);
chunkStoreSuite("s3", s3Fixture, { ignore: s3Problem !== null });
