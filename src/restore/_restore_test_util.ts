/**
 * Test helpers for the restorer and the exporters: an in-memory chunk source and a sample tree.
 *
 * @module
 */
import { lstatEntry } from "../fs_times.ts";
import { nsToMs } from "../format/snapshot_model.ts";
import assert from "node:assert/strict";
import { IntegrityError } from "../errors.ts";
import { toHex } from "../format/chunk_id.ts";
import type { EntryType, TreeEntry } from "../format/snapshot_model.ts";
import {
  type ChunkItem,
  type ChunkSource,
  type ChunkWant,
  MissingChunkError,
} from "../client/chunk_source.ts";

/** A deterministic 32-byte chunk id for tests. */
export function chunkId(n: number): Uint8Array {
  const id = new Uint8Array(32);
  new DataView(id.buffer).setUint32(0, n);
  id[31] = 0xb7;
  return id;
}

/** Deterministic pseudo-random bytes. */
export function patternBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** A ChunkSource over a Map of hex id → plaintext; ids in `bad` fail verification. */
export class MemoryChunkSource implements ChunkSource {
  readonly chunks = new Map<string, Uint8Array>();
  readonly bad = new Set<string>();
  /** How many times `fetch` was called. */
  fetches = 0;

  /** Stores `bytes` under `id` and returns the id. */
  put(id: Uint8Array, bytes: Uint8Array): Uint8Array {
    this.chunks.set(toHex(id), bytes);
    return id;
  }

  /** Ids asked for, over every fetch. */
  asked = 0;

  /** Yields each chunk in order; an IntegrityError for a bad one, a MissingChunkError for an unknown one. */
  async *fetch(chunks: Iterable<ChunkWant>): AsyncGenerator<ChunkItem> {
    this.fetches++;
    for (const { id } of chunks) {
      this.asked++;
      const key = toHex(id);
      const bytes = this.chunks.get(key);
      await Promise.resolve();
      if (bytes === undefined) {
        yield new MissingChunkError(`Cannot read chunk ${key.slice(0, 12)}: it is not here`);
      } else if (this.bad.has(key)) {
        yield new IntegrityError(`Cannot open chunk ${key.slice(0, 12)}: it does not verify`);
      } else yield bytes.slice(); // each item is the caller's own (see ChunkSource)
    }
  }
}

/** A tree entry with defaults for the fields a test does not care about. */
export function entry(path: string, type: EntryType, extra: Partial<TreeEntry> = {}): TreeEntry {
  return {
    path,
    type,
    mode: type === "dir" ? 0o755 : 0o644,
    mtimeNs: 1_600_000_000_000_000_000n,
    size: 0,
    inode: 0,
    chunks: [],
    target: "",
    ...extra,
  };
}

/** Adds a file whose content is split into chunks of the given sizes; returns its entry. */
export function fileEntry(
  source: MemoryChunkSource,
  path: string,
  sizes: readonly number[],
  extra: Partial<TreeEntry> = {},
): TreeEntry {
  const chunks = sizes.map((size, i) => {
    const seed = source.chunks.size + 1;
    return source.put(chunkId(seed * 1000 + i), patternBytes(size, seed));
  });
  const size = sizes.reduce((a, b) => a + b, 0);
  return entry(path, "file", { size, chunks, ...extra });
}

/** The concatenated plaintext of a file entry. */
export function contentOf(source: MemoryChunkSource, file: TreeEntry): Uint8Array {
  const out = new Uint8Array(file.size);
  let at = 0;
  for (const id of file.chunks) {
    const bytes = source.chunks.get(toHex(id)) ?? new Uint8Array(0);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

/** A long name (over 100 bytes) for the tar tests. */
export const LONG_NAME = `${"n".repeat(60)}-${"ü".repeat(30)}.txt`;

/**
 * A tree with nested and empty folders, empty files, a 3-chunk file, UTF-8 and space names,
 * symlinks (one dangling, one absolute), a long name and assorted modes and mtimes.
 */
export function sampleTree(): { source: MemoryChunkSource; entries: TreeEntry[] } {
  const source = new MemoryChunkSource();
  const t = (n: number) =>
    (1_600_000_000_000n + BigInt(n) * 86_400_000n + 250n) * 1_000_000n + 123_456n;
  const entries = [
    entry("docs", "dir", { mode: 0o755, mtimeNs: t(1) }),
    entry("docs/empty dir", "dir", { mode: 0o700, mtimeNs: t(2) }),
    entry("docs/empty.txt", "file", { mode: 0o600, mtimeNs: t(3) }),
    fileEntry(source, "docs/Grüße 🦊.txt", [5], { mode: 0o640, mtimeNs: t(4) }),
    entry("docs/nested", "dir", { mode: 0o750, mtimeNs: t(5) }),
    entry("docs/nested/deeper", "dir", { mode: 0o755, mtimeNs: t(6) }),
    fileEntry(source, "docs/nested/deeper/three chunks.bin", [1000, 70_000, 5], {
      mode: 0o755,
      mtimeNs: t(7),
    }),
    fileEntry(source, `docs/nested/${LONG_NAME}`, [300], { mode: 0o644, mtimeNs: t(8) }),
    entry("docs/link", "symlink", { mode: 0o777, target: "../../outside/file", mtimeNs: t(9) }),
    entry("abs-link", "symlink", { mode: 0o777, target: "/etc/passwd", mtimeNs: t(10) }),
    fileEntry(source, "top.txt", [12], { mode: 0o644, mtimeNs: t(11) }),
  ];
  return { source, entries };
}

/**
 * Checks that every entry exists under `dir` with its content, mode, mtime and link target.
 * `mtimeSeconds`: archives keep whole seconds; `linkTimes`: whether symlinks' own mtimes count.
 */
export function assertTree(
  dir: string,
  source: MemoryChunkSource,
  entries: readonly TreeEntry[],
  options: { mtimeSeconds?: boolean; linkTimes?: boolean } = {},
): void {
  for (const e of entries) {
    const path = `${dir}/${e.path}`;
    const info = Deno.lstatSync(path);
    if (e.type !== "symlink" || (options.linkTimes ?? true)) {
      if (options.mtimeSeconds) {
        const seconds = Math.floor(nsToMs(e.mtimeNs) / 1000) * 1000;
        assert.equal(info.mtime?.getTime(), seconds, `mtime of ${e.path}`);
      } else assert.equal(lstatEntry(path).mtimeNs, e.mtimeNs, `mtime of ${e.path}`);
    }
    if (e.type === "symlink") {
      assert.ok(info.isSymlink, e.path);
      assert.equal(Deno.readLinkSync(path), e.target);
      continue;
    }
    assert.equal((info.mode ?? 0) & 0o7777, e.mode, `mode of ${e.path}`);
    if (e.type === "dir") assert.ok(info.isDirectory, e.path);
    else assert.deepEqual(Deno.readFileSync(path), contentOf(source, e), e.path);
  }
}
