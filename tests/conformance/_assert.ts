/**
 * The few assertions the user-store tests use, on top of node:assert (the npm-only network rules
 * out @std/assert).
 *
 * @module
 */
import nodeAssert from "node:assert/strict";

/** Asserts deep, strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): void {
  if (message === undefined) nodeAssert.deepStrictEqual(actual, expected);
  else nodeAssert.deepStrictEqual(actual, expected, message);
}

/** Asserts that `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  if (message === undefined) nodeAssert.ok(value);
  else nodeAssert.ok(value, message);
}

/**
 * Asserts that `run` rejects with an instance of `errorClass` whose message contains `includes`.
 * @returns the error, for further checks.
 */
export async function assertRejects<E extends Error>(
  run: () => Promise<unknown>,
  errorClass: abstract new (...args: never[]) => E,
  includes = "",
): Promise<E> {
  try {
    await run();
  } catch (error) {
    return checkThrown(error, errorClass, includes);
  }
  throw new nodeAssert.AssertionError({ message: `Expected ${errorClass.name}, nothing thrown` });
}

/**
 * Asserts that `run` throws an instance of `errorClass` whose message contains `includes`.
 * @returns the error, for further checks.
 */
export function assertThrows<E extends Error>(
  run: () => unknown,
  errorClass: abstract new (...args: never[]) => E,
  includes = "",
): E {
  try {
    run();
  } catch (error) {
    return checkThrown(error, errorClass, includes);
  }
  throw new nodeAssert.AssertionError({ message: `Expected ${errorClass.name}, nothing thrown` });
}

function checkThrown<E extends Error>(
  error: unknown,
  errorClass: abstract new (...args: never[]) => E,
  includes: string,
): E {
  if (!(error instanceof errorClass)) {
    throw new nodeAssert.AssertionError({
      message: `Expected ${errorClass.name}, got ${String(error)}`,
      actual: error,
      expected: errorClass,
    });
  }
  nodeAssert.ok(
    error.message.includes(includes),
    `Expected message to contain ${JSON.stringify(includes)}, got ${JSON.stringify(error.message)}`,
  );
  return error;
}
