import assert from "node:assert/strict";
import { settlesWithin } from "./settles_within.ts";

Deno.test("settlesWithin() is true for work that resolves or rejects in time, false for work that does not", async () => {
  assert.equal(await settlesWithin(Promise.resolve(1), 1000), true);
  assert.equal(await settlesWithin(Promise.reject(new Error("no")), 1000), true);
  assert.equal(await settlesWithin(new Promise(() => {}), 20), false);
});
