import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);

/** Runs `scripts/build_page.ts --check` in the checkout at `root`. */
async function checkPage(root: string): Promise<void> {
  const build = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}/scripts/build_page.ts`, "--check"],
    cwd: root,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(build.stderr) + new TextDecoder().decode(build.stdout);
  assert.equal(build.code, 0, said);
}

Deno.test("the embedded web page is what src/page builds (run deno task page when it is not)", async () => {
  await checkPage(ROOT.pathname.replace(/\/$/, ""));
});

Deno.test("the page builds the same in another folder (no absolute path reaches the bundle)", async () => {
  const temp = await Deno.makeTempDir({ prefix: "burrow-checkout-" });
  try {
    // Deeper than this checkout: the bundler's own names depended on the folder's depth.
    const elsewhere = `${temp}/a/b/c/burrow`;
    await Deno.mkdir(elsewhere, { recursive: true });
    const copy = new Deno.Command("cp", {
      args: ["-r", "src", "scripts", "deno.json", "deno.lock", `${elsewhere}/`],
      cwd: ROOT,
    });
    assert.equal((await copy.output()).code, 0);
    await checkPage(elsewhere);
  } finally {
    await Deno.remove(temp, { recursive: true });
  }
});

Deno.test("index.html preloads each script app.js imports statically, and no script loaded later", async () => {
  const { PAGE_ASSETS } = await import("../../src/web/_page_assets.generated.ts");
  const html = PAGE_ASSETS.get("/")!.body;
  const preloaded = [...html.matchAll(/<link rel="modulepreload" href="([^"]+)">/g)].map((m) =>
    m[1]
  );
  const statics = (path: string) =>
    [...PAGE_ASSETS.get(path)!.body.matchAll(/(?:\bimport\s*|\bfrom\s*)"\.(\/[\w-]+\.js)"/g)].map(
      (m) => m[1]!,
    );
  const wanted = new Set<string>();
  for (const pending = statics("/app.js"); pending.length > 0;) {
    const path = pending.pop()!;
    if (!wanted.has(path)) pending.push(...statics(path));
    wanted.add(path);
  }
  assert.ok(wanted.size > 0, "app.js imports split scripts");
  assert.deepEqual(preloaded.toSorted(), [...wanted].toSorted());
  assert.ok(html.indexOf("modulepreload") < html.indexOf('<script type="module" src="/app.js">'));
  assert.ok(!preloaded.some((path) => path!.startsWith("/zip")), "the zip writer loads on demand");
});
