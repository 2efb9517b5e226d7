import assert from "node:assert/strict";
import { AuthError, UsageError } from "../errors.ts";
import { checkNewPassword, passwordLength, temporaryPasswordRefusal } from "./password_policy.ts";

Deno.test("passwordLength() counts characters, not bytes or UTF-16 units", () => {
  assert.equal(passwordLength(""), 0);
  assert.equal(passwordLength("password"), 8);
  assert.equal(passwordLength("ëëë"), 3);
  assert.equal(passwordLength("😀😀"), 2);
});

Deno.test("checkNewPassword() returns a long enough password and refuses a shorter one", () => {
  assert.equal(checkNewPassword("12345678", 8), "12345678");
  assert.throws(
    () => checkNewPassword("1234567", 8),
    (error) =>
      error instanceof UsageError &&
      error.message === "Cannot use this password: it has 7 characters; at least 8 are needed",
  );
  assert.throws(
    () => checkNewPassword("😀😀😀", 4, "this server asks for"),
    (error) =>
      error instanceof UsageError &&
      error.message ===
        "Cannot use this password: it has 3 characters; this server asks for at least 4",
  );
});

Deno.test("temporaryPasswordRefusal() is an AuthError with its own code", () => {
  const error = temporaryPasswordRefusal();
  assert.ok(error instanceof AuthError);
  assert.equal(error.code, "PASSWORD_EXPIRED");
  assert.match(error.message, /^Cannot use this account yet: .*burrow passwd$/);
});
