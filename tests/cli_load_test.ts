/**
 * What a command loads before it runs: `main.ts` imports no command module statically, so each
 * command loads its own module graph and not every other command's (the server, its stores and
 * certificates). Read from `deno info --json`, which marks each import static or dynamic.
 */
import assert from "node:assert/strict";
import { runCommand } from "./_testing.ts";

interface ModuleInfo {
  specifier: string;
  dependencies?: { isDynamic?: boolean; code?: { specifier?: string } }[];
}

/** The modules `root` loads through static imports (a `file:` URL each, npm packages by name). */
async function staticGraph(root: string): Promise<Set<string>> {
  const info = JSON.parse(await runCommand(Deno.execPath(), ["info", "--json", root]));
  const modules = new Map<string, ModuleInfo>(
    (info.modules as ModuleInfo[]).map((m) => [m.specifier, m]),
  );
  const redirects: Record<string, string> = info.redirects ?? {};
  const seen = new Set<string>();
  const stack: string[] = [...info.roots];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const specifier = redirects[next] ?? next;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      const target = dependency.code?.specifier;
      if (dependency.isDynamic !== true && target !== undefined) stack.push(target);
    }
  }
  return seen;
}

const ROOT = new URL("../", import.meta.url);

Deno.test("main.ts loads no command module before it knows which command runs", async () => {
  const graph = await staticGraph(new URL("main.ts", ROOT).pathname);
  const commands = [...graph].filter((s) =>
    /\/src\/cli\/(?!command|commands|output)\w+\.ts$/.test(s)
  );
  assert.deepEqual(commands, []);
});

Deno.test("pull loads neither the server nor the certificate maker", async () => {
  const graph = [...await staticGraph(new URL("src/cli/pull.ts", ROOT).pathname)];
  assert.ok(graph.some((s) => s.endsWith("/src/client/burrow_client.ts")), "the graph is read");
  for (const part of ["/src/server/", "/src/tls/", "/src/store/", "x509"]) {
    assert.deepEqual(graph.filter((s) => s.includes(part)), [], part);
  }
});
