import assert from "node:assert/strict";

Deno.test("the embedded web page is what src/page builds (run deno task page when it is not)", async () => {
  const build = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../scripts/build_page.ts", import.meta.url).pathname,
      "--check",
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const said = new TextDecoder().decode(build.stderr) + new TextDecoder().decode(build.stdout);
  assert.equal(build.code, 0, said);
});
