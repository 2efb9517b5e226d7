/**
 * A `burrow serve` for crash tests: the real server, with repositories in small packs (64 KiB,
 * so a prune rewrites many) and a checkpoint hook that SIGKILLs the process at the point named
 * by BURROW_TEST_KILL_AT ("STEP#N": the N-th time the store reaches STEP), or pauses 1.5 s at
 * BURROW_TEST_PAUSE_AT ("STEP#N" too) (logging "paused at STEP" on stderr); BURROW_TEST_TRACE=1 logs every
 * checkpoint reached. Only this test entry reads those
 * variables; `main.ts serve` has no way to set a hook.
 *
 * Usage: deno run -A tests/e2e/_crash_serve.ts serve [serve options]
 *
 * @module
 */
import { parseCommandArgs } from "../../src/cli/command.ts";
import { serveCommand, serveWith } from "../../src/cli/serve.ts";
import { PackChunkStore } from "../../src/store/pack_chunk_store.ts";

const killAt = Deno.env.get("BURROW_TEST_KILL_AT");
const pauseAt = Deno.env.get("BURROW_TEST_PAUSE_AT");
const seen = new Map<string, number>();

async function checkpoint(step: string): Promise<void> {
  const count = (seen.get(step) ?? 0) + 1;
  seen.set(step, count);
  if (Deno.env.get("BURROW_TEST_TRACE") === "1") {
    await Deno.stderr.write(new TextEncoder().encode(`checkpoint ${step}#${count}\n`));
  }
  if (`${step}#${count}` === killAt) Deno.kill(Deno.pid, "SIGKILL");
  if (`${step}#${count}` === pauseAt) {
    await Deno.stderr.write(new TextEncoder().encode(`paused at ${step}\n`));
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

const args = parseCommandArgs(serveCommand, Deno.args.slice(1));
if (args !== null) {
  await serveWith(args, {
    openChunks: (dir) =>
      PackChunkStore.open(dir, { packTargetBytes: 64 * 1024, hooks: { checkpoint } }),
  });
}
