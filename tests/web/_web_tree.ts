/**
 * The tree the browser tests push: nested folders, unicode and spaces in names, an empty file,
 * a symlink, a hard link, a fifo, a 64 MiB file, a small image, and a file whose name is HTML that
 * would run script if the page ever treated a name as markup. Every text file holds a marker
 * string.
 *
 * @module
 */

/** A name that is markup with a script in it. */
export const HOSTILE_NAME = "<img src=x onerror=alert(1)>.txt";

/** What `makeWebTree` wrote. */
export interface WebTree {
  /** The pushed folder. */
  root: string;
  /** Text in every text file (and in the big one), never in anything the server may see. */
  marker: string;
}

/** A 1×1 PNG. */
const PNG = Uint8Array.fromBase64(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
);

/** Writes the tree under `work/Documents`. */
export async function makeWebTree(work: string): Promise<WebTree> {
  const marker = `burrow-web-marker-${crypto.randomUUID()}`;
  const root = `${work}/Documents`;
  await Deno.mkdir(`${root}/reports 2026/été`, { recursive: true });
  await Deno.mkdir(`${root}/photos`, { recursive: true });
  await Deno.writeTextFile(
    `${root}/notes.md`,
    `# Notes\n${marker}\n${"a line of notes\n".repeat(500)}`,
  );
  await Deno.writeTextFile(`${root}/reports 2026/summary – été.txt`, `${marker}\nrésumé ✓\n`);
  await Deno.writeTextFile(`${root}/reports 2026/été/deep.txt`, `${marker}\ndeep\n`);
  await Deno.writeTextFile(`${root}/${HOSTILE_NAME}`, `${marker}\nnot markup\n`);
  await Deno.writeFile(`${root}/empty.txt`, new Uint8Array(0));
  await Deno.writeFile(`${root}/photos/dot.png`, PNG);
  await Deno.symlink("notes.md", `${root}/link to notes`);
  await Deno.link(`${root}/reports 2026/été/deep.txt`, `${root}/reports 2026/été/deep link.txt`);
  const fifo = await new Deno.Command("mkfifo", { args: [`${root}/reports 2026/pipe`] }).output();
  if (!fifo.success) throw new Error("Cannot make the web tree's fifo: mkfifo failed");
  const big = new Uint8Array(64 * 1024 * 1024);
  for (let at = 0; at < big.length; at += 65536) {
    crypto.getRandomValues(big.subarray(at, at + 65536));
  }
  big.set(new TextEncoder().encode(marker), 12345);
  await Deno.writeFile(`${root}/reports 2026/big.bin`, big);
  await Deno.utime(`${root}/notes.md`, 1_700_000_000, 1_700_000_000);
  return { root, marker };
}
