import assert from "node:assert/strict";
import { burrowRunFlags, taskV8Flags } from "./v8_flags.ts";

Deno.test("install, compile and serve run burrow with the same V8 flags, and the bench takes them", async () => {
  const flags = await taskV8Flags();
  assert.notEqual(flags.install, null, "deno.json's install task carries --v8-flags");
  assert.equal(flags.compile, flags.install);
  assert.equal(flags.serve, flags.install);
  assert.deepEqual(await burrowRunFlags(), [flags.install]);
});
