/**
 * Layer check run by `deno task lint`: imports flow one way (see `ALLOWED` and
 * docs/ARCHITECTURE.md: cli → backup → archive, restore, export → client → protocol, auth, format;
 * cli → web → server → store → format), the layers that hold no network code never open sockets,
 * and the code the web page shares (the repository format, the client's key derivation) imports
 * no `node:` module: it reaches node:crypto and node:zlib only through `#primitives`.
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
    "browse",
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
  page: ["backup", "browse", "restore", "export", "client", "protocol", "format"],
  server: ["protocol", "auth", "users", "format", "store", "tls"],
  backup: ["archive", "restore", "export", "browse", "client", "protocol", "format"],
  browse: ["format"],
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
  "owner_names.ts",
  "display.ts",
  "concat_bytes.ts",
  "readable_bytes.ts",
  "settles_within.ts",
]);
/** Layers that must not open sockets. */
const NO_SOCKETS = new Set([
  "page",
  "browse",
  "protocol",
  "format",
  "store",
  "users",
  "auth",
  "archive",
  "restore",
  "export",
]);
/**
 * Folders whose files run in the web page too, with the files in them that may import `node:`
 * modules (the page never loads them): the node back end of `#primitives`, and the compressing
 * side of compression, which only a push needs.
 */
const BROWSER_SHARED_FOLDERS: Record<string, readonly string[]> = {
  format: ["primitives_node.ts", "compression.ts"],
};
/** Files outside those folders that run in the web page too. */
const BROWSER_SHARED_FILES = new Set([
  "auth/client_keys.ts",
  "auth/client_kdf.ts",
  "auth/_encoding.ts",
  "auth/random_bytes.ts",
]);
const NODE_IMPORT = /(?:import|export)[^"']*?from\s*["']node:|import\(\s*["']node:/;
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

/** Whether `rest` (a path under src/) names a file the web page loads. */
function sharedWithBrowser(rest: string): boolean {
  if (BROWSER_SHARED_FILES.has(rest)) return true;
  const [folder = "", ...names] = rest.split("/");
  const allowed = BROWSER_SHARED_FOLDERS[folder];
  return allowed !== undefined && !allowed.includes(names.join("/"));
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
  if (sharedWithBrowser(file.slice(srcDir.length + 1)) && NODE_IMPORT.test(text)) {
    problems.push(
      `${file}: the web page runs this file: it must not import "node:" modules (use #primitives)`,
    );
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
