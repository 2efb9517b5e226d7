/**
 * End to end: a prune cut short. The real server is SIGKILLed at named points of a prune
 * (mid-copy, mid-rewrite, between index and pack removal, between groups…), restarted, and every
 * remaining snapshot still restores byte for byte; a prune run again completes. A client killed
 * mid-prune leaves the repository as it was or as pruned, and the prune lock free.
 */
import assert from "node:assert/strict";
import {
  addUser,
  clientOf,
  type RunResult,
  spawnBurrow,
  type StartOptions,
  startServer,
  type TestServer,
} from "./_harness.ts";
import { assertSameTree } from "./_tree.ts";

const CRASH_SERVE = new URL("./_crash_serve.ts", import.meta.url).pathname;
const FILES = 24;

function ok(result: RunResult): RunResult {
  assert.equal(result.code, 0, result.stderr);
  return result;
}

/** Rewrites files `which` of the tree with fresh random bytes (20 KiB each). */
async function scribble(root: string, which: number[]): Promise<void> {
  await Deno.mkdir(root, { recursive: true });
  for (const i of which) {
    const bytes = new Uint8Array(20_000);
    crypto.getRandomValues(bytes.subarray(0, 20_000));
    await Deno.writeFile(`${root}/file-${String(i).padStart(2, "0")}.bin`, bytes);
  }
}

interface Prepared {
  dataDir: string;
  work: string;
  /** The snapshots left after the forget, and the tree each must restore to. */
  kept: { id: string; tree: string }[];
}

/** Three snapshots in small packs, the first forgotten: a prune has many packs to rewrite. */
async function prepare(): Promise<Prepared> {
  const work = await Deno.makeTempDir({ prefix: "burrow-e2e-work-" });
  const server = await startServer({ main: CRASH_SERVE });
  try {
    await addUser(server, "alice", "alice-pass");
    const run = clientOf(server, "alice", "alice-pass");
    const tree = `${work}/docs`;
    const trees: string[] = [];
    const all = Array.from({ length: FILES }, (_, i) => i);
    // Version 2 rewrites every other file, so most packs of version 1 are left part dead.
    const changes = [all, all.filter((i) => i % 2 === 0), [0, 1, 2, 3]];
    for (let v = 1; v <= 3; v++) {
      await scribble(tree, changes[v - 1]!);
      ok(await run(["push", tree]));
      trees.push(`${work}/v${v}`);
      await new Deno.Command("cp", { args: ["-a", tree, trees.at(-1)!] }).output();
    }
    const ids = JSON.parse(ok(await run(["snapshots", "--json"])).stdout).map((s: { id: string }) =>
      s.id
    );
    ok(await run(["forget", ids[0]]));
    return {
      dataDir: server.dataDir,
      work,
      kept: [{ id: ids[1], tree: trees[1]! }, { id: ids[2], tree: trees[2]! }],
    };
  } finally {
    await server.stop();
  }
}

async function copyData(prepared: Prepared, name: string): Promise<string> {
  const dir = `${prepared.work}/data-${name.replace(/[^a-z0-9]/gi, "_")}`;
  await new Deno.Command("cp", { args: ["-a", prepared.dataDir, dir] }).output();
  return dir;
}

/** Every kept snapshot restores to its tree, byte for byte. */
async function assertRestores(server: TestServer, prepared: Prepared, tag: string): Promise<void> {
  const run = clientOf(server, "alice", "alice-pass");
  for (const { id, tree } of prepared.kept) {
    const dest = `${prepared.work}/restored-${tag}-${id}`;
    ok(await run(["pull", dest, "--snapshot", id]));
    await assertSameTree(tree, `${dest}/docs`);
  }
}

async function withPrepared(body: (prepared: Prepared) => Promise<void>): Promise<void> {
  const prepared = await prepare();
  try {
    await body(prepared);
  } finally {
    await Deno.remove(prepared.work, { recursive: true });
    await Deno.remove(prepared.dataDir, { recursive: true });
  }
}

const KILL_POINTS = [
  "prune:planned#1",
  "repack:journaled#1",
  "repack:copying#2",
  "repack:copied#1",
  "repack:sealed#1",
  "repack:committed#1",
  "repack:indexes-removed#1",
  "repack:packs-removed#1",
  "repack:done#1",
  "repack:journaled#2",
  "repack:sealed#2",
  "repack:indexes-removed#3",
];

Deno.test("prune crash: the server SIGKILLed at 12 points of a prune loses no remaining snapshot", async () => {
  await withPrepared(async (prepared) => {
    for (const point of KILL_POINTS) {
      const dataDir = await copyData(prepared, point);
      const options: StartOptions = { dataDir, main: CRASH_SERVE };
      const crashing = await startServer({ ...options, env: { BURROW_TEST_KILL_AT: point } });
      const prune = await clientOf(crashing, "alice", "alice-pass")(["prune", "--max-unused", "0"]);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const status = await Promise.race([
        crashing.process.status,
        new Promise<null>((resolve) => timer = setTimeout(() => resolve(null), 3000)),
      ]);
      clearTimeout(timer);
      await crashing.stop();
      assert.equal(status?.signal, "SIGKILL", `${point}: not reached\n${crashing.stderrText()}`);
      assert.notEqual(prune.code, 0, point);

      const server = await startServer(options);
      try {
        await assertRestores(server, prepared, point);
        const again = clientOf(server, "alice", "alice-pass");
        ok(await again(["prune", "--max-unused", "0"]));
        ok(await again(["check"]));
      } finally {
        await server.stop();
        await Deno.remove(dataDir, { recursive: true });
      }
    }
  });
});

Deno.test("prune crash: a client killed mid-prune leaves the repository as it was or as pruned", async () => {
  await withPrepared(async (prepared) => {
    const dataDir = await copyData(prepared, "client");
    const server = await startServer({
      dataDir,
      main: CRASH_SERVE,
      env: { BURROW_TEST_PAUSE_AT: "repack:journaled#1" },
    });
    try {
      const run = clientOf(server, "alice", "alice-pass");
      // Killed while the server rewrites packs: the server finishes the prune alone.
      const late = spawnBurrow(["prune", "--max-unused", "0", ...server.clientArgs("alice")], {
        BURROW_PASSWORD: "alice-pass",
      });
      const deadline = Date.now() + 30_000;
      while (!server.stderrText().includes("paused at repack:journaled")) {
        assert.ok(Date.now() < deadline, server.stderrText());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      late.kill("SIGKILL");
      await late.status;
      while (!server.stderrText().includes("prune finished")) {
        assert.ok(Date.now() < deadline, server.stderrText());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Killed early (while it reads the file lists, or before): nothing is removed.
      const early = spawnBurrow(["prune", "--max-unused", "0", ...server.clientArgs("alice")], {
        BURROW_PASSWORD: "alice-pass",
      });
      await new Promise((resolve) => setTimeout(resolve, 300));
      early.kill("SIGKILL");
      await early.status;
      await assertRestores(server, prepared, "client");
      // The lock went with the killed clients: a push and a prune run at once.
      await scribble(`${prepared.work}/docs`, [0]);
      ok(await run(["push", `${prepared.work}/docs`]));
      ok(await run(["prune", "--max-unused", "0"]));
      await assertRestores(server, prepared, "client-after");
      ok(await run(["check"]));
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true });
    }
  });
});
