/**
 * Test helper run as its own process: opens the user store STORE and adds COUNT users named
 * PREFIX-0 … PREFIX-(COUNT-1). With READY and GO paths it first creates READY, then waits for GO
 * to exist, so several helpers can be started together.
 *
 * Usage: deno run -A tests/conformance/_add_user_process.ts STORE PREFIX COUNT [READY GO]
 *
 * @module
 */
import { openUserStore } from "../../src/users/registry.ts";
import { sampleRecord } from "./user_store_suite.ts";

const [spec = "", prefix = "", countText = "0", ready, go] = Deno.args;

if (ready !== undefined && go !== undefined) {
  await Deno.writeTextFile(ready, "");
  while (!(await Deno.stat(go).then(() => true, () => false))) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}
const store = await openUserStore(spec, { create: true });
try {
  for (let i = 0; i < Number(countText); i++) {
    await store.add(sampleRecord(`${prefix}-${i}`, { kdf: `kdf of ${prefix}-${i}, "quoted"` }));
  }
} finally {
  await store.close();
}
