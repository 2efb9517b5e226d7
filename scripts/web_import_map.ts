/**
 * The import map the web page's code is built with: deno.json's "imports", with `#primitives`
 * pointing at the browser back end (`src/format/primitives_web.ts`) instead of the node one.
 * Used by the page's bundle script and by the tests that run the format code on the web back
 * end (`deno bundle --platform browser --import-map PATH` and `deno run --import-map PATH`).
 *
 * @module
 */

/** An import map: bare specifiers to URLs. */
export interface ImportMap {
  /** Specifier (or prefix ending in "/") to the URL it stands for. */
  imports: Record<string, string>;
}

/** The specifier the format code imports its primitives by. */
export const PRIMITIVES_SPECIFIER = "#primitives";
/** Where the browser back end lives, relative to the project root. */
export const WEB_PRIMITIVES_PATH = "./src/format/primitives_web.ts";

/** The project root: the folder above this script's. */
const PROJECT_ROOT = new URL("../", import.meta.url);

/**
 * Reads `deno.json` in `root` and returns its "imports" with `#primitives` mapped to the web
 * back end. Relative targets ("./src/…") become absolute file URLs, so that the map means the
 * same wherever it is written; `npm:` targets stay as they are.
 *
 * @param root the project folder (a file URL ending in "/"); defaults to this project's
 * @throws {Error} when deno.json has no "imports" mapping `#primitives`
 */
export async function webImportMap(root: URL = PROJECT_ROOT): Promise<ImportMap> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", root))) as {
    imports?: Record<string, string>;
  };
  const imports = config.imports ?? {};
  if (!(PRIMITIVES_SPECIFIER in imports)) {
    throw new Error(`Cannot make the web import map: deno.json does not map "#primitives"`);
  }
  const absolute = (target: string) => target.startsWith(".") ? new URL(target, root).href : target;
  const mapped: Record<string, string> = {};
  for (const [specifier, target] of Object.entries(imports)) {
    mapped[specifier] = absolute(specifier === PRIMITIVES_SPECIFIER ? WEB_PRIMITIVES_PATH : target);
  }
  return { imports: mapped };
}

/**
 * Writes {@link webImportMap} to a new temporary file and returns its path, for
 * `--import-map`. The caller removes the file when done.
 *
 * @param root the project folder (a file URL ending in "/"); defaults to this project's
 */
export async function writeWebImportMap(root: URL = PROJECT_ROOT): Promise<string> {
  const map = await webImportMap(root);
  const path = await Deno.makeTempFile({ prefix: "burrow_web_import_map_", suffix: ".json" });
  await Deno.writeTextFile(path, JSON.stringify(map, null, 2) + "\n");
  return path;
}
