import assert from "node:assert/strict";
import { INVALID_NAMES } from "../../tests/conformance/user_store_suite.ts";
import { InvalidNameError } from "../errors.ts";
import { validateUserName } from "./user_name.ts";

Deno.test("validateUserName() returns a valid name unchanged", () => {
  for (const name of ["a", "alice", "Bob.Smith", "x_y-z", "9", "a".repeat(64)]) {
    assert.deepEqual(validateUserName(name), name);
  }
});

Deno.test("validateUserName() throws InvalidNameError for a bad name", () => {
  for (const name of [...INVALID_NAMES, "a".repeat(65), "_x", "a b", "a:b", "a\\b"]) {
    assert.throws(() => validateUserName(name), InvalidNameError);
  }
});

Deno.test("validateUserName() quotes a bad name escaped and shortened", () => {
  assert.throws(
    () => validateUserName(`a\n${"b".repeat(100)}`),
    (error) =>
      error instanceof InvalidNameError &&
      error.message.includes('Invalid user name "a\\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb…"') &&
      !error.message.includes("b".repeat(41)),
  );
});
