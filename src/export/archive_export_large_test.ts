/**
 * A zip of a file over 4 GiB (Zip64 sizes, and an entry whose header lies past 4 GiB), checked
 * by Info-ZIP's `unzip`. It writes ~4.1 GiB and takes ~50 s, so it runs only with
 * `BURROW_LARGE_TESTS=1`; otherwise it is ignored with the reason printed.
 *
 * @module
 */
// deno-lint-ignore-file no-console
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { exportZip } from "./archive_export.ts";
import { chunkId, entry, MemoryChunkSource, patternBytes } from "../restore/_restore_test_util.ts";
import { inTempDir, runCommand } from "../../tests/_testing.ts";

const enabled = Deno.env.get("BURROW_LARGE_TESTS") === "1";
if (!enabled) {
  console.log("zip64 test ignored: it writes 4.1 GiB; set BURROW_LARGE_TESTS=1 to run it");
}

const CHUNK = 8 * 1024 * 1024;
const CHUNKS = 520; // 4.06 GiB: past 2^32 bytes

/** SHA-256 of a stream of bytes, hex. */
async function sha256(stream: ReadableStream<Uint8Array>): Promise<string> {
  const hash = createHash("sha256");
  for await (const piece of stream) hash.update(piece);
  return hash.digest("hex");
}

Deno.test({
  name: "exportZip() writes Zip64 sizes and offsets that unzip reads, for a file over 4 GiB",
  ignore: !enabled,
  async fn() {
    await inTempDir(async (dir) => {
      const source = new MemoryChunkSource();
      const pattern = patternBytes(CHUNK, 7);
      const big = source.put(chunkId(1), pattern);
      const note = new TextEncoder().encode("after the big one\n");
      const small = source.put(chunkId(2), note);
      const size = CHUNKS * CHUNK;
      const entries = [
        entry("d", "dir"),
        entry("d/big.bin", "file", { size, chunks: Array(CHUNKS).fill(big) }),
        entry("d/small.txt", "file", { size: note.length, chunks: [small] }),
      ];
      const zip = `${dir}/out.zip`;
      const result = await exportZip(entries, source, zip);
      assert.deepEqual(result, { files: 2, folders: 1, symlinks: 0, bytes: size + note.length });

      const listing = await runCommand("unzip", ["-l", zip]);
      assert.match(listing, new RegExp(`^\\s*${size}\\s.*d/big\\.bin$`, "m"), listing);
      assert.equal(await runCommand("unzip", ["-p", zip, "d/small.txt"]), "after the big one\n");
      await runCommand("unzip", ["-tq", zip]); // every entry's CRC-32 and length

      const extract = new Deno.Command("unzip", { args: ["-p", zip, "d/big.bin"], stdout: "piped" })
        .spawn();
      const want = createHash("sha256");
      for (let i = 0; i < CHUNKS; i++) want.update(pattern);
      assert.equal(await sha256(extract.stdout), want.digest("hex"));
      assert.ok((await extract.status).success);
    });
  },
});
