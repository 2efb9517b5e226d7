/**
 * Speed of the pack chunk store: puts 1 GiB of blobs (20,000 of 1–64 KiB, log-uniform, mixed
 * with 1 MiB ones, in a seeded order), flushes, and prints MiB/s beside the disk's own fsynced
 * write rate measured in the same run, with peak RSS and the longest event-loop stall. Then
 * reopens the store (index load) and reads the small blobs back in random order.
 *
 * Blob contents are views into one 64 MiB random pool, so RSS shows the store's memory, not the
 * test data's. The producer yields to the event loop after each MiB, as a server does between
 * network reads, so the stall figure is the store's, not the producer's loop. Usage: deno run -A scripts/bench/pack_store_speed.ts [--dir DIR] [--pipeline N]
 * (N puts in flight per batch; default 1: each put awaited in turn, as one session sends them).
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { PackChunkStore } from "../../src/store/pack_chunk_store.ts";

const MiB = 1024 * 1024;
const POOL = new Uint8Array(64 * MiB);
for (let at = 0; at < POOL.length; at += 65536) {
  crypto.getRandomValues(POOL.subarray(at, at + 65536));
}

const args = Deno.args;
const option = (name: string) => {
  const at = args.indexOf(name);
  return at < 0 ? undefined : args[at + 1];
};
const pipeline = Number(option("--pipeline") ?? 1);
const root = option("--dir") ?? await Deno.makeTempDir({ prefix: "burrow_pack_bench_" });

/** Seeded PRNG (mulberry32). */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The blob sizes: 20,000 small ones and enough 1 MiB ones to reach 1 GiB, shuffled. */
function plan(): number[] {
  const random = seeded(1);
  const sizes = Array.from({ length: 20_000 }, () => Math.floor(1024 * 64 ** random()));
  const small = sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; i < Math.floor((1024 * MiB - small) / MiB); i++) sizes.push(MiB);
  for (let i = sizes.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [sizes[i], sizes[j]] = [sizes[j]!, sizes[i]!];
  }
  return sizes;
}

interface Watch {
  rss: number;
  /** Longest gap between 1 ms timer ticks, ms. */
  stall: number;
  /** Gaps over 10 ms. */
  over10: number;
}

/** Samples RSS and the gaps between 1 ms timer ticks while `run` runs. */
async function watched(run: () => Promise<void>): Promise<Watch> {
  const watch: Watch = { rss: Deno.memoryUsage().rss, stall: 0, over10: 0 };
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    watch.stall = Math.max(watch.stall, now - last);
    if (now - last > 10) watch.over10++;
    last = now;
    watch.rss = Math.max(watch.rss, Deno.memoryUsage().rss);
  }, 1);
  try {
    await run();
    return watch;
  } finally {
    clearInterval(timer);
  }
}

/** The disk's rate for 512 MiB written in 4 MiB calls then fsynced, in MiB/s. */
async function diskRate(): Promise<number> {
  const path = `${root}/disk-rate.tmp`;
  const start = performance.now();
  const file = await Deno.open(path, { write: true, create: true, truncate: true });
  for (let i = 0; i < 128; i++) {
    const chunk = POOL.subarray((i % 16) * 4 * MiB, (i % 16 + 1) * 4 * MiB);
    for (let at = 0; at < chunk.length;) at += await file.write(chunk.subarray(at));
  }
  await file.sync();
  file.close();
  const seconds = (performance.now() - start) / 1000;
  await Deno.remove(path);
  return 512 / seconds;
}

/** Lets timers and I/O run, as a server does between network reads (no timer clamping). */
function yieldToEventLoop(): Promise<void> {
  const { port1, port2 } = new MessageChannel();
  return new Promise((resolve) => {
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
    port2.close();
  });
}

async function putAll(store: PackChunkStore, sizes: number[], ids: Uint8Array[]): Promise<void> {
  const random = seeded(2);
  let batch: Promise<boolean>[] = [];
  let sinceYield = 0;
  for (const [i, size] of sizes.entries()) {
    const offset = Math.floor(random() * (POOL.length - size));
    const put = store.put(ids[i]!, POOL.subarray(offset, offset + size));
    if (pipeline <= 1) await put;
    else if (batch.push(put) >= pipeline) {
      await Promise.all(batch);
      batch = [];
    }
    sinceYield += size;
    if (sinceYield >= MiB) {
      sinceYield = 0;
      await yieldToEventLoop();
    }
  }
  await Promise.all(batch);
  await store.flush();
}

async function main(): Promise<void> {
  const sizes = plan();
  const total = sizes.reduce((a, b) => a + b, 0);
  const ids = sizes.map(() => crypto.getRandomValues(new Uint8Array(32)));
  const disk = await diskRate();
  const baseline = Deno.memoryUsage().rss;
  const dir = `${root}/store`;
  const store = await PackChunkStore.open(dir);
  const start = performance.now();
  const { rss, stall, over10 } = await watched(() => putAll(store, sizes, ids));
  const seconds = (performance.now() - start) / 1000;
  await store.close();
  const rate = total / MiB / seconds;
  const idle = await watched(() => new Promise((resolve) => setTimeout(resolve, 1000)));
  console.log(
    `put+flush ${(total / MiB).toFixed(0)} MiB in ${sizes.length} blobs (pipeline ${pipeline}): ` +
      `${seconds.toFixed(2)} s, ${rate.toFixed(0)} MiB/s`,
  );
  console.log(
    `disk (512 MiB, 4 MiB writes + fsync): ${disk.toFixed(0)} MiB/s; ` +
      `store/disk ${(rate / disk).toFixed(2)}`,
  );
  console.log(
    `peak RSS ${(rss / MiB).toFixed(0)} MiB (${((rss - baseline) / MiB).toFixed(0)} MiB over ` +
      `the start, which holds the 64 MiB pool)`,
  );
  console.log(
    `event loop: longest stall ${stall.toFixed(1)} ms, ${over10} stalls > 10 ms ` +
      `(idle process, 1 s: longest ${idle.stall.toFixed(1)} ms, ${idle.over10} > 10 ms)`,
  );
  await readBack(dir, sizes, ids);
}

async function readBack(dir: string, sizes: number[], ids: Uint8Array[]): Promise<void> {
  let start = performance.now();
  const store = await PackChunkStore.open(dir);
  console.log(
    `open (index of ${store.size} entries): ${(performance.now() - start).toFixed(0)} ms`,
  );
  const small = ids.filter((_, i) => sizes[i]! < MiB);
  start = performance.now();
  let bytes = 0;
  for (const id of small) bytes += (await store.get(id)).length;
  const seconds = (performance.now() - start) / 1000;
  console.log(
    `get ${small.length} small blobs (page cache): ${seconds.toFixed(2)} s, ${
      (bytes / MiB / seconds).toFixed(0)
    } MiB/s, ${(seconds / small.length * 1e6).toFixed(0)} µs each`,
  );
  await store.close();
}

try {
  await main();
} finally {
  if (option("--dir") === undefined) await Deno.remove(root, { recursive: true });
}
