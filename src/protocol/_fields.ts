/**
 * Field readers for control payloads: each check names the message and the field and never
 * echoes the peer's input, apart from a short quoted prefix of an unknown field name.
 *
 * @module
 */
import { ProtocolError } from "../errors.ts";
import { base64Length, decodeBase64 } from "./_base64.ts";

/** Bounds and shape of a string field. */
export interface StringSpec {
  /** Most UTF-16 code units. */
  max: number;
  /** Fewest UTF-16 code units; default 1. */
  min?: number;
  /** A pattern the whole string must match, and how to describe it in an error. */
  pattern?: { regex: RegExp; hint: string };
}

// C0 controls, DEL and C1 controls: never allowed, so no reply can drive a terminal.
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Reads the fields of one JSON object, refusing unknown ones. */
export class FieldReader {
  readonly #message: string;
  readonly #path: string;
  readonly #object: Record<string, unknown>;

  /**
   * @param allowed the field names the object may have
   * @throws {ProtocolError} when `value` is not a plain object or has another field
   */
  constructor(message: string, path: string, value: unknown, allowed: readonly string[]) {
    this.#message = message;
    this.#path = path;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw this.#error(path === "" ? "payload" : `field "${path}"`, "must be a JSON object");
    }
    this.#object = value as Record<string, unknown>;
    for (const key of Object.keys(this.#object)) {
      if (!allowed.includes(key)) {
        const shown = JSON.stringify(key.length > 32 ? `${key.slice(0, 32)}…` : key);
        throw this.#error(`field ${shown}`, "is not allowed");
      }
    }
  }

  #error(subject: string, problem: string): ProtocolError {
    return new ProtocolError(`Cannot decode "${this.#message}": ${subject} ${problem}`);
  }

  /** A ProtocolError about `field` of this object. */
  fail(field: string, problem: string): ProtocolError {
    const path = this.#path === "" ? field : `${this.#path}.${field}`;
    return this.#error(`field "${path}"`, problem);
  }

  /** Whether the object has `field` (an optional field may be absent, never null). */
  has(field: string): boolean {
    return Object.hasOwn(this.#object, field);
  }

  #get(field: string): unknown {
    if (!this.has(field)) throw this.fail(field, "is missing");
    return this.#object[field];
  }

  /** A string field without control characters or lone surrogates, within `spec`. */
  string(field: string, spec: StringSpec): string {
    const value = this.#get(field);
    const min = spec.min ?? 1;
    if (typeof value !== "string") throw this.fail(field, "must be a string");
    if (value.length < min || value.length > spec.max) {
      throw this.fail(field, `must be ${min}-${spec.max} characters long`);
    }
    if (CONTROL.test(value) || !value.isWellFormed()) {
      throw this.fail(field, "must not contain control characters or lone surrogates");
    }
    if (spec.pattern !== undefined && !spec.pattern.regex.test(value)) {
      throw this.fail(field, `must be ${spec.pattern.hint}`);
    }
    return value;
  }

  /** An integer field in [min, max] (both safe integers). */
  integer(field: string, min: number, max: number): number {
    const value = this.#get(field);
    if (typeof value !== "number" || !Number.isSafeInteger(value)) {
      throw this.fail(field, "must be an integer");
    }
    if (value < min || value > max) throw this.fail(field, `must be in ${min}-${max}`);
    return value;
  }

  /** A boolean field. */
  boolean(field: string): boolean {
    const value = this.#get(field);
    if (typeof value !== "boolean") throw this.fail(field, "must be a boolean");
    return value;
  }

  /** A base64 field that decodes to exactly `length` bytes. */
  bytes(field: string, length: number): Uint8Array {
    const value = this.#get(field);
    if (typeof value !== "string") throw this.fail(field, "must be a base64 string");
    // Checked before decoding, so a huge string is never decoded.
    const bytes = value.length === base64Length(length) ? decodeBase64(value) : null;
    if (bytes === null || bytes.length !== length) {
      throw this.fail(field, `must be canonical base64 of ${length} bytes`);
    }
    return bytes;
  }

  /** A base64 field that decodes to `min`-`max` bytes. */
  bytesBetween(field: string, min: number, max: number): Uint8Array {
    const value = this.#get(field);
    if (typeof value !== "string") throw this.fail(field, "must be a base64 string");
    // Checked before decoding, so a huge string is never decoded.
    const bytes = value.length <= base64Length(max) ? decodeBase64(value) : null;
    if (bytes === null || bytes.length < min || bytes.length > max) {
      throw this.fail(field, `must be canonical base64 of ${min}-${max} bytes`);
    }
    return bytes;
  }

  /** An array field with `min`-`max` elements, each passed to `read` with its index. */
  array<T>(
    field: string,
    min: number,
    max: number,
    read: (value: unknown, path: string) => T,
  ): T[] {
    const value = this.#get(field);
    if (!Array.isArray(value)) throw this.fail(field, "must be an array");
    if (value.length < min || value.length > max) {
      throw this.fail(field, `must have ${min}-${max} entries`);
    }
    const prefix = this.#path === "" ? field : `${this.#path}.${field}`;
    return value.map((item: unknown, i) => read(item, `${prefix}[${i}]`));
  }

  /** The ProtocolError for a bad array element at `path`. */
  elementError(path: string, problem: string): ProtocolError {
    return this.#error(`field "${path}"`, problem);
  }
}
