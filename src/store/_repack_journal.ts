/**
 * The journal that makes a repack crash-safe. Before a delete writes the new pack that replaces
 * some old ones, it writes `journal/<new>.repack` naming them; the new pack's index is the
 * commit point. At open, a journal whose new index exists is rolled forward (the old indexes,
 * then the old packs, are removed); otherwise it is rolled back (the new pack, which has no index,
 * is removed). Either way no chunk is listed twice or lost.
 *
 * @module
 */
import { syncDir, writeFileAtomic } from "../atomic_file.ts";
import type { Logger } from "../log.ts";
import { indexDir, journalDir, PACK_NAME, PackPaths, removeIfPresent } from "./_pack_layout.ts";

const MAGIC = "BRWJRNL1";

/** Durably records that pack `target` will replace packs `sources`. */
export async function writeJournal(
  root: string,
  target: string,
  sources: readonly string[],
): Promise<void> {
  await writeFileAtomic(journalPath(root, target), journalText(target, sources));
}

/** The text of a journal saying that pack `target` will replace packs `sources`. */
export function journalText(target: string, sources: readonly string[]): string {
  return [MAGIC, `new ${target}`, ...sources.map((name) => `old ${name}`), ""].join("\n");
}

/** Removes the journal of `target` once its repack is complete. */
export async function removeJournal(root: string, target: string): Promise<void> {
  await removeIfPresent(journalPath(root, target));
}

/**
 * Completes or undoes every repack a crash interrupted. A journal that cannot be parsed is moved
 * aside (`.repack.damaged`) and logged: its new pack, if any, then keeps an index rebuilt at open
 * and its blobs are listed once (the first copy wins), so nothing is lost.
 */
export async function recoverJournals(root: string, logger: Logger): Promise<void> {
  for await (const entry of Deno.readDir(journalDir(root))) {
    const path = `${journalDir(root)}/${entry.name}`;
    if (!entry.name.endsWith(".repack")) {
      if (entry.name.endsWith(".tmp")) await removeIfPresent(path);
      continue;
    }
    const journal = parseJournal(await Deno.readTextFile(path));
    if (journal === null) {
      logger.error("repack journal is damaged: moved aside, its packs kept", { journal: path });
      await Deno.rename(path, `${path}.damaged`);
      continue;
    }
    const { target, sources } = journal;
    const paths = new PackPaths(root, target);
    if (await exists(paths.index)) await removeSources(root, sources);
    else await removeUnindexed(paths);
    await Deno.remove(path);
  }
}

/**
 * Removes replaced packs: their indexes first, made durable before the packs go, so a crash
 * can never leave an index whose pack is gone. `between` runs after the indexes are gone.
 */
export async function removeSources(
  root: string,
  sources: readonly string[],
  between?: () => void | Promise<void>,
): Promise<void> {
  for (const name of sources) await removeIfPresent(new PackPaths(root, name).index);
  await syncDir(indexDir(root));
  await between?.();
  for (const name of sources) await removeIfPresent(new PackPaths(root, name).pack);
}

/** Removes the new pack of a repack that did not reach its commit point, before the journal. */
async function removeUnindexed(paths: PackPaths): Promise<void> {
  await removeIfPresent(paths.temp);
  await removeIfPresent(paths.pack);
  await syncDir(paths.dir).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
}

/** The new pack and the replaced ones a journal's text names, or null when it does not parse. */
export function parseJournal(text: string): { target: string; sources: string[] } | null {
  const lines = text.split("\n");
  const target = lines[1]?.slice(4) ?? "";
  const sources = lines.slice(2, -1).map((line) => line.slice(4));
  const valid = lines[0] === MAGIC && lines[1]?.startsWith("new ") && PACK_NAME.test(target) &&
    lines.at(-1) === "" && lines.slice(2, -1).every((line) => line.startsWith("old ")) &&
    sources.every((name) => PACK_NAME.test(name));
  return valid ? { target, sources } : null;
}

function journalPath(root: string, target: string): string {
  return `${journalDir(root)}/${target}.repack`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
