import assert from "node:assert/strict";
import { OwnerNames } from "./owner_names.ts";
import { inTempDir } from "../tests/_testing.ts";

Deno.test("OwnerNames looks names and numbers up both ways, the first line winning", () =>
  inTempDir(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/passwd`,
      "root:x:0:0:root:/root:/bin/bash\n# a comment\nalice:x:1000:100::/home/alice:/bin/sh\n" +
        "alias:x:1000:100::/:/bin/sh\nbroken line\nbad:x:12a:1::/:/bin/sh\n",
    );
    await Deno.writeTextFile(`${dir}/group`, "root:x:0:\nusers:x:100:alice\n");
    const names = new OwnerNames({ passwd: `${dir}/passwd`, group: `${dir}/group` });
    assert.equal(names.userName(1000), "alice");
    assert.equal(names.uidOf("alias"), 1000);
    assert.equal(names.userName(4242), "");
    assert.equal(names.uidOf("bad"), undefined);
    assert.equal(names.uidOf(""), undefined);
    assert.equal(names.groupName(100), "users");
    assert.equal(names.gidOf("root"), 0);
    assert.equal(names.gidOf("nobody-here"), undefined);
    // Read once: a later change of the files is not seen.
    await Deno.writeTextFile(`${dir}/passwd`, "carol:x:1000:100::/:/bin/sh\n");
    assert.equal(names.userName(1000), "alice");
  }));

Deno.test("OwnerNames finds nothing in files it cannot read", () => {
  const names = new OwnerNames({ passwd: "/nonexistent/passwd", group: "/nonexistent/group" });
  assert.equal(names.userName(0), "");
  assert.equal(names.gidOf("root"), undefined);
});
