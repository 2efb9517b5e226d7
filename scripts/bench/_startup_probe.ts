/**
 * One `burrow snapshots`, cut into timed phases, run as its own process by `startup_time.ts`.
 * It has no static import, so its first statement runs as soon as the runtime is up; then it loads
 * the module graph the command loads, and does what `burrow snapshots` does (read the CA, TCP and
 * TLS, hello, login with the client's Argon2id, open the repository, list the snapshots, close)
 * with a timing mark after each. Prints one JSON object of milliseconds on stdout.
 *
 *   deno run -A scripts/bench/_startup_probe.ts phases HOST:PORT CA USER   (BURROW_PASSWORD set)
 *   deno run -A scripts/bench/_startup_probe.ts import MODULE...           (load time of each, in turn)
 *
 * `import` loads the modules in the order given and times each: what loading a module costs on
 * top of those before it.
 *
 * @module
 */
// deno-lint-ignore-file no-console
const runtimeMs = performance.now();
const [mode, ...rest] = Deno.args;
const marks: Record<string, number> = { runtime: runtimeMs };
let last = runtimeMs;
/** Records the time since the previous mark under `name`. */
const mark = (name: string) => {
  const now = performance.now();
  marks[name] = now - last;
  last = now;
};

const root = new URL("../../", import.meta.url);
if (mode === "import") {
  for (const specifier of rest) {
    await import(specifier.startsWith(".") ? new URL(specifier, root).href : specifier);
    mark(specifier);
  }
} else if (mode === "phases") {
  const [address = "", caPath = "", user = ""] = rest;
  await import(new URL("main.ts", root).href);
  mark("load main.ts");
  const { connectToServer, readCaFile } = await import(
    new URL("src/client/connection.ts", root).href
  );
  const { BurrowClient } = await import(new URL("src/client/burrow_client.ts", root).href);
  const { RemoteRepository } = await import(
    new URL("src/client/remote_repository.ts", root).href
  );
  mark("modules of the phases (already loaded)");
  const caCerts = [await readCaFile(caPath)];
  mark("read the CA");
  const [hostname = "", port = ""] = address.split(":");
  const conn = await connectToServer({ hostname, port: Number(port), caCerts });
  mark("TCP connect + TLS handshake");
  const client = await BurrowClient.start(conn);
  mark("hello");
  const login = await client.login(user, Deno.env.get("BURROW_PASSWORD") ?? "");
  mark("login");
  marks["of which Argon2id + HKDF on the client"] = login.kdfMs;
  const repository = await RemoteRepository.open(client, login, { create: false });
  mark("open the repository (its key)");
  const listing = await repository?.listSnapshots();
  mark("list the snapshots");
  await client.close();
  mark("close");
  marks["snapshots listed"] = listing?.records.length ?? 0;
} else {
  console.error("usage: _startup_probe.ts phases HOST:PORT CA USER | import MODULE...");
  Deno.exit(2);
}
marks["total in JS"] = performance.now();
console.log(JSON.stringify(marks));
