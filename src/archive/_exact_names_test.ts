import assert from "node:assert/strict";
import { escapeBytes, exactNames } from "./_exact_names.ts";

/** Runs a bash script in `dir` (its $'…' quoting makes names of raw bytes). */
function bash(dir: string, script: string): void {
  const made = new Deno.Command("bash", { args: ["-c", script], cwd: dir }).outputSync();
  assert.ok(made.success, new TextDecoder().decode(made.stderr));
}

Deno.test("exactNames() keeps valid names, a real U+FFFD included, and escapes the others", async () => {
  const dir = await Deno.makeTempDir();
  try {
    bash(dir, "touch $'bad\\xff.txt' $'bad\\xef\\xbf\\xbd.txt' plain $'caf\\xc3\\xa9' $'\\xfe\\n'");
    const listed = [...Deno.readDirSync(dir)].map((entry) => entry.name);
    assert.equal(listed.filter((name) => name === "bad\uFFFD.txt").length, 2, "precondition");
    const exact = exactNames(dir, listed);
    assert.deepEqual(exact.names.sort(), ["bad\uFFFD.txt", "café", "plain"]);
    assert.deepEqual(exact.invalid.sort(), ["\\xfe\\x0a", "bad\\xff.txt"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("escapeBytes() shows bytes outside valid UTF-8 and control characters as \\xNN", () => {
  const bytes = [
    0x62,
    0xff,
    0xc3,
    0xa9,
    0x0a,
    0x5c,
    0xe2,
    0x82,
    0xc2,
    0x85,
    0xf0,
    0x9f,
    0x98,
    0x80,
  ];
  assert.equal(escapeBytes(Uint8Array.from(bytes)), "b\\xffé\\x0a\\\\\\xe2\\x82\\u0085😀");
});
