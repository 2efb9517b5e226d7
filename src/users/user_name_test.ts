import { assertEquals, assertRejects } from "../../tests/conformance/_assert.ts";
import { INVALID_NAMES } from "../../tests/conformance/user_store_suite.ts";
import { InvalidNameError } from "../errors.ts";
import { validateUserName } from "./user_name.ts";

Deno.test("validateUserName() returns a valid name unchanged", () => {
  for (const name of ["a", "alice", "Bob.Smith", "x_y-z", "9", "a".repeat(64)]) {
    assertEquals(validateUserName(name), name);
  }
});

Deno.test("validateUserName() throws InvalidNameError for a bad name", async () => {
  for (const name of [...INVALID_NAMES, "a".repeat(65), "_x", "a b", "a:b", "a\\b"]) {
    await assertRejects(
      () => Promise.resolve().then(() => validateUserName(name)),
      InvalidNameError,
    );
  }
});

Deno.test("validateUserName() quotes a bad name escaped and shortened", async () => {
  const error = await assertRejects(
    () => Promise.resolve().then(() => validateUserName(`a\n${"b".repeat(100)}`)),
    InvalidNameError,
    'Invalid user name "a\\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb…"',
  );
  assertEquals(error.message.includes("b".repeat(41)), false);
});
