/**
 * End to end: a sparse file round-trips byte for byte and comes back sparse, and its push reads
 * only its data (the holes are found with SEEK_DATA/SEEK_HOLE, not read).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { addUser, clientOf, withServer } from "./_harness.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

/** SHA-256 (hex) of a file, read through a reused buffer. */
function sha256Of(path: string): string {
  const hash = createHash("sha256");
  using file = Deno.openSync(path);
  const buffer = new Uint8Array(8 * MiB);
  for (let read = file.readSync(buffer); read !== null; read = file.readSync(buffer)) {
    hash.update(buffer.subarray(0, read));
  }
  return hash.digest("hex");
}

/** Bytes the file takes on disk (st_blocks · 512). */
function diskBytes(path: string): number {
  return Deno.statSync(path).blocks! * 512;
}

Deno.test("sparse: a 1 GiB file holding 4 MiB of data is pushed without reading its holes and pulled back sparse", async () => {
  await withServer(async (server, work) => {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const source = `${work}/disk`;
    await Deno.mkdir(source);
    const image = `${source}/image.raw`;
    const truncated = await new Deno.Command("truncate", { args: ["-s", "1G", image] }).output();
    assert.ok(truncated.success, "truncate");
    {
      using file = Deno.openSync(image, { write: true });
      for (const offset of [4097, 300 * MiB + 12_345, 700 * MiB, GiB - MiB]) {
        const data = new Uint8Array(MiB);
        for (let at = 0; at < MiB; at += 65536) {
          crypto.getRandomValues(data.subarray(at, at + 65536));
        }
        file.seekSync(offset, Deno.SeekMode.Start);
        file.writeSync(data);
      }
    }
    await Deno.writeTextFile(`${source}/notes.txt`, "not sparse\n");
    assert.equal(Deno.statSync(image).size, GiB);
    assert.ok(diskBytes(image) < 8 * MiB, "precondition: the file system keeps holes");
    const expected = sha256Of(image);

    const pushed = await run(["push", source, "--json"]);
    assert.equal(pushed.code, 0, pushed.stderr);
    const summary = JSON.parse(pushed.stdout);
    assert.equal(summary.bytes, GiB + 11, "the snapshot holds the whole length");
    assert.ok(summary.bytesRead < 8 * MiB, `read ${summary.bytesRead} bytes, not the holes`);
    assert.ok(
      summary.bytesSent < 5 * MiB,
      `sent ${summary.bytesSent} bytes: the zeros next to data compress`,
    );

    const pulled = await run(["pull", `${work}/out`]);
    assert.equal(pulled.code, 0, pulled.stderr);
    const restored = `${work}/out/disk/image.raw`;
    assert.equal(Deno.statSync(restored).size, GiB);
    assert.equal(sha256Of(restored), expected, "byte for byte");
    assert.ok(diskBytes(restored) < 8 * MiB, `restored on ${diskBytes(restored)} bytes of disk`);
    assert.equal(await Deno.readTextFile(`${work}/out/disk/notes.txt`), "not sparse\n");
  });
});
