/**
 * Builds the web page into `src/web/_page_assets.generated.ts`, the one module the server
 * serves it from (so it reads no file at run time and stays `deno compile`-safe).
 *
 * The page's scripts are bundled for the browser with `deno bundle`, under an import map that
 * swaps the repository format's crypto back end for the browser one: the page (`app.js`, with
 * the zip writer split into a script loaded on the first zip) and the download service worker
 * (`sw.js`). The HTML, the stylesheet and the icon are taken as they are. A bundle that
 * still imports a `node:` module fails the build.
 *
 *   deno task page            rebuild the embedded page
 *   deno task page --check    exit 1 when the embedded page is not what the sources build
 *
 * @module
 */
// deno-lint-ignore-file no-console
import { writeWebImportMap } from "./web_import_map.ts";

const ROOT = new URL("../", import.meta.url);
const OUTPUT = new URL("src/web/_page_assets.generated.ts", ROOT);

/** The page's entry modules, and the URL path of each one's script. */
const ENTRIES: [string, string][] = [
  ["src/page/app.ts", "/app.js"],
  ["src/page/service_worker.ts", "/sw.js"],
];

/** The page's other files: URL path → file, content type. */
const FILES: [string, string, string][] = [
  ["/", "src/page/index.html", "text/html; charset=utf-8"],
  ["/app.css", "src/page/app.css", "text/css; charset=utf-8"],
  ["/favicon.svg", "src/page/favicon.svg", "image/svg+xml"],
];

const JS = "text/javascript; charset=utf-8";

/**
 * Bundles the entries for the browser into `outDir`, split where the page loads a module only
 * when needed (the zip writer), and returns each script by URL path.
 */
async function bundle(importMap: string, outDir: string): Promise<[string, string][]> {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "bundle",
      "--quiet",
      "--platform",
      "browser",
      "--minify",
      "--code-splitting",
      "--import-map",
      importMap,
      "--outdir",
      outDir,
      ...ENTRIES.map(([entry]) => entry),
    ],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    throw new Error(`Cannot bundle the page: ${new TextDecoder().decode(result.stderr).trim()}`);
  }
  const renamed = new Map(ENTRIES.map(([entry, path]) => [
    entry.slice(entry.lastIndexOf("/") + 1).replace(/\.ts$/, ".js"),
    path,
  ]));
  const scripts: [string, string][] = [];
  for await (const file of Deno.readDir(outDir)) {
    if (!file.isFile || !file.name.endsWith(".js")) continue;
    const script = await Deno.readTextFile(`${outDir}/${file.name}`);
    const node = /\b(?:from|import|require)\s*\(?\s*["']node:[a-z_/]+["']/.exec(script);
    if (node !== null) {
      throw new Error(`Cannot bundle the page: ${file.name} still imports ${node[0]}`);
    }
    scripts.push([renamed.get(file.name) ?? `/${file.name}`, script]);
  }
  for (const [entry, path] of ENTRIES) {
    if (!scripts.some(([built]) => built === path)) {
      throw new Error(
        `Cannot bundle the page: ${entry} gave no ${path} (entries must share a folder)`,
      );
    }
  }
  return (await withContentNames(scripts)).sort(([a], [b]) => (a < b ? -1 : 1));
}

/** A split script's name as the bundler writes it: a base name, a dash and a hash. */
const HASHED_NAME = /\b([a-z_-]+)-[A-Z0-9]{8}\.js\b/g;

/**
 * Renames the split scripts after their own content: the bundler's hash also covers the
 * checkout's absolute path, so the same sources built in two folders would differ. Each new
 * name hashes the script with every split name in it reduced to its base name.
 */
async function withContentNames(scripts: [string, string][]): Promise<[string, string][]> {
  const names = new Map<string, string>();
  for (const [path, script] of scripts) {
    const hashed = /^\/([a-z_-]+)-[A-Z0-9]{8}\.js$/.exec(path);
    if (hashed === null) continue;
    const normalised = new TextEncoder().encode(script.replace(HASHED_NAME, "$1.js"));
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", normalised));
    const hash = Array.from(digest.subarray(0, 5), (byte) => byte.toString(16).padStart(2, "0"));
    const name = `${hashed[1]}-${hash.join("")}.js`;
    if ([...names.values()].includes(name)) {
      throw new Error(`Cannot bundle the page: two split scripts would be named ${name}`);
    }
    names.set(path.slice(1), name);
  }
  const rename = (text: string) => text.replace(HASHED_NAME, (found) => names.get(found) ?? found);
  return scripts.map(([path, script]) => [`/${rename(path.slice(1))}`, rename(script)]);
}

/** The page's entry script, as index.html loads it. */
const APP_SCRIPT = '<script type="module" src="/app.js"></script>';
/** A static import of a split script in bundled code (`import"./x.js"`, `…from"./x.js"`). */
const STATIC_IMPORT = /(?:\bimport\s*|\bfrom\s*)["']\.\/([\w-]+\.js)["']/g;

/**
 * `html` with a modulepreload link for every script `/app.js` imports statically, directly or
 * through another: the browser then fetches them all at once.
 */
function withModulePreloads(html: string, scripts: Map<string, string>): string {
  if (!html.includes(APP_SCRIPT)) {
    throw new Error(`Cannot build the page: index.html does not load ${APP_SCRIPT}`);
  }
  const preloads: string[] = [];
  const pending = ["/app.js"];
  for (let path = pending.pop(); path !== undefined; path = pending.pop()) {
    for (const [, name] of (scripts.get(path) ?? "").matchAll(STATIC_IMPORT)) {
      const imported = `/${name}`;
      if (imported === "/app.js" || preloads.includes(imported)) continue;
      preloads.push(imported);
      pending.push(imported);
    }
  }
  const links = preloads.sort().map((path) => `<link rel="modulepreload" href="${path}">`);
  return html.replace(APP_SCRIPT, [...links, APP_SCRIPT].join("\n    "));
}

/** The generated module's text. */
async function build(): Promise<{ module: string; sizes: [string, number, number][] }> {
  const work = await Deno.makeTempDir({ prefix: "burrow-page-" });
  const importMap = await writeWebImportMap();
  try {
    const assets: [string, string, string][] = [];
    for (const [path, file, type] of FILES) {
      assets.push([path, type, await Deno.readTextFile(new URL(file, ROOT))]);
    }
    const scripts = new Map(await bundle(importMap, work));
    const [page] = assets.filter(([path]) => path === "/");
    page![2] = withModulePreloads(page![2], scripts);
    for (const [path, script] of scripts) assets.push([path, JS, script]);
    const sizes: [string, number, number][] = [];
    for (const [path, , body] of assets) {
      const bytes = new TextEncoder().encode(body);
      sizes.push([path, bytes.length, await gzippedSize(bytes)]);
    }
    const lines = assets.map(([path, type, body]) =>
      `  [${JSON.stringify(path)}, { contentType: ${JSON.stringify(type)}, body: ${
        JSON.stringify(body)
      } }],`
    );
    const module = [
      "// Generated by scripts/build_page.ts from src/page/ (deno task page); do not edit.",
      "",
      "/** The web page's files by URL path, as `burrow serve --web` serves them. */",
      "export const PAGE_ASSETS: ReadonlyMap<string, { contentType: string; body: string }> =",
      "  new Map([",
      ...lines,
      "  ]);",
      "",
    ].join("\n");
    return { module, sizes };
  } finally {
    await Deno.remove(work, { recursive: true });
    await Deno.remove(importMap);
  }
}

async function gzippedSize(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip"));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

if (import.meta.main) {
  const check = Deno.args.includes("--check");
  const { module, sizes } = await build();
  if (check) {
    const current = await Deno.readTextFile(OUTPUT).catch(() => "");
    if (current !== module) {
      console.error(
        "src/web/_page_assets.generated.ts is not what src/page builds: run deno task page",
      );
      Deno.exit(1);
    }
    console.log("the embedded page is up to date");
  } else {
    await Deno.writeTextFile(OUTPUT, module);
    for (const [path, raw, gzip] of sizes) {
      console.log(
        `${path.padEnd(26)} ${String(raw).padStart(8)} B  ${String(gzip).padStart(7)} B gzipped`,
      );
    }
    const total = sizes.reduce((sum, [, , gzip]) => sum + gzip, 0);
    console.log(`total ${total} B gzipped`);
  }
}
