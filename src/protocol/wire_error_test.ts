import assert from "node:assert/strict";
import {
  AuthError,
  BurrowError,
  type ErrorCode,
  IntegrityError,
  InvalidNameError,
  NotFoundError,
  ProtocolError,
  UserExistsError,
} from "../errors.ts";
import { errorFromWire, isErrorCode, toWireError, wireErrorMessage } from "./wire_error.ts";

Deno.test("errorFromWire() returns the matching domain error", () => {
  const cases: [ErrorCode, new (...args: never[]) => BurrowError][] = [
    ["AUTH_FAILED", AuthError],
    ["RATE_LIMITED", AuthError],
    ["SIGNUP_DISABLED", AuthError],
    ["PASSWORD_EXPIRED", AuthError],
    ["INVALID_NAME", InvalidNameError],
    ["NOT_FOUND", NotFoundError],
    ["PROTOCOL", ProtocolError],
    ["UNSUPPORTED_VERSION", ProtocolError],
    ["INTEGRITY", IntegrityError],
    ["APPEND_ONLY", BurrowError],
    ["QUOTA_EXCEEDED", BurrowError],
    ["USER_EXISTS", BurrowError],
    ["STORE", BurrowError],
    ["INTERNAL", BurrowError],
  ];
  for (const [code, type] of cases) {
    const error = errorFromWire(code, "Cannot do it: no");
    assert.ok(error instanceof type, code);
    assert.equal(error.code, code);
    assert.equal(error.message, "Cannot do it: no");
  }
});

Deno.test("errorFromWire() keeps retryAfterMs on an AuthError", () => {
  const error = errorFromWire("RATE_LIMITED", "Cannot log in: wait", 1500);
  assert.ok(error instanceof AuthError);
  assert.equal(error.retryAfterMs, 1500);
});

Deno.test("errorFromWire() returns ProtocolError for an unknown code, quoting it briefly", () => {
  const error = errorFromWire("X".repeat(500), "message");
  assert.ok(error instanceof ProtocolError);
  assert.equal(error.code, "PROTOCOL");
  assert.ok(error.message.length < 100, error.message);
  assert.ok(errorFromWire("toString", "m") instanceof ProtocolError);
});

Deno.test("toWireError() keeps a domain error's code and hides other errors", () => {
  assert.deepEqual(toWireError(new UserExistsError("bob")), {
    code: "USER_EXISTS",
    message: 'Cannot add user "bob": the name is taken',
  });
  assert.deepEqual(
    toWireError(new AuthError("Cannot log in: wait", "RATE_LIMITED", { retryAfterMs: 12.5 })),
    { code: "RATE_LIMITED", message: "Cannot log in: wait", retryAfterMs: 13 },
  );
  const internal = toWireError(new Error("ENOENT /secret/path"));
  assert.equal(internal.code, "INTERNAL");
  assert.ok(!internal.message.includes("secret"));
});

Deno.test("wireErrorMessage() makes one short line without control characters", () => {
  assert.equal(wireErrorMessage("a\nb\u001b[31mc"), "a b [31mc");
  assert.equal(wireErrorMessage("x".repeat(2000)).length, 1024);
  assert.equal(wireErrorMessage(" \n"), "Cannot complete the request: unknown error");
  assert.ok(wireErrorMessage("\ud800").isWellFormed());
});

Deno.test("isErrorCode() knows exactly the stable codes", () => {
  assert.ok(isErrorCode("AUTH_FAILED"));
  assert.ok(!isErrorCode("auth_failed"));
  assert.ok(!isErrorCode("constructor"));
});
