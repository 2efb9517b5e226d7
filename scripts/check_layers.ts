/**
 * Layer check run by `deno task lint`: imports flow one way (see `ALLOWED` and
 * docs/ARCHITECTURE.md: cli → backup → archive, restore, export → client → protocol, auth, format;
 * cli → web → server → store → format), and the layers that hold no network code never open sockets.
 *
 * Usage: deno run -A scripts/check_layers.ts [ROOT]
 *
 * @module
 */
// deno-lint-ignore-file no-console

/** Which top-level folders under src/ each folder may import. */
const ALLOWED: Record<string, readonly string[]> = {
  cli: [
    "client",
    "server",
    "backup",
    "archive",
    "restore",
    "export",
    "protocol",
    "auth",
    "users",
    "format",
    "store",
    "tls",
    "web",
  ],
  server: ["protocol", "auth", "users", "format", "store", "tls"],
  backup: ["archive", "restore", "export", "client", "protocol", "format"],
  archive: ["format"],
  restore: ["client", "format"],
  export: ["restore", "client", "format"],
  client: ["protocol", "auth", "format"],
  store: ["format"],
  format: [],
  protocol: [],
  auth: [],
  users: [],
  tls: [],
  web: ["server", "protocol"],
};
/** Files at src/ top level that every layer may import. */
const SHARED = new Set([
  "errors.ts",
  "log.ts",
  "atomic_file.ts",
  "names.ts",
  "stage_timer.ts",
  "exclusive_lock.ts",
  "fifo.ts",
  "release_bytes.ts",
  "worker_pool.ts",
  "fs_times.ts",
]);
/** Layers that must not open sockets. */
const NO_SOCKETS = new Set([
  "protocol",
  "format",
  "store",
  "users",
  "auth",
  "archive",
  "restore",
  "export",
]);
const SOCKET_CALL =
  /\bDeno\.(connect|connectTls|listen|listenTls|startTls)\b|from "node:(net|tls)"/;
const IMPORT = /(?:import|export)[^"']*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith("_test.ts")) yield path;
  }
}

/** The problems found in one source file under src/LAYER/. */
function checkFile(layer: string, file: string, text: string, srcDir: string): string[] {
  const problems: string[] = [];
  for (const match of text.matchAll(IMPORT)) {
    const spec = match[1] ?? match[2] ?? "";
    if (!spec.startsWith(".")) continue;
    const target = new URL(spec, `file://${file}`).pathname;
    if (!target.startsWith(`${srcDir}/`)) {
      problems.push(`${file}: imports "${spec}" from outside src/`);
      continue;
    }
    const rest = target.slice(srcDir.length + 1);
    const top = rest.includes("/") ? rest.slice(0, rest.indexOf("/")) : rest;
    if (top === layer || SHARED.has(top)) continue;
    if (!(ALLOWED[layer] ?? []).includes(top)) {
      problems.push(`${file}: layer "${layer}" must not import "${top}" ("${spec}")`);
    }
  }
  if (NO_SOCKETS.has(layer) && SOCKET_CALL.test(text)) {
    problems.push(`${file}: layer "${layer}" must not open sockets`);
  }
  return problems;
}

const root = Deno.realPathSync(Deno.args[0] ?? ".");
const srcDir = `${root}/src`;
const problems: string[] = [];
for await (const file of walk(srcDir)) {
  const rest = file.slice(srcDir.length + 1);
  if (!rest.includes("/")) continue;
  const layer = rest.slice(0, rest.indexOf("/"));
  if (!(layer in ALLOWED)) {
    problems.push(`${file}: unknown layer "${layer}" (add it to scripts/check_layers.ts)`);
    continue;
  }
  problems.push(...checkFile(layer, file, await Deno.readTextFile(file), srcDir));
}
for (const problem of problems) console.error(problem);
if (problems.length > 0) Deno.exit(1);
console.log("layers: ok");
