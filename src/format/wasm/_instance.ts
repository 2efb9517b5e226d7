/**
 * Instances of the project's own small WebAssembly modules (`*.wat`, carried as base64 by their
 * generated modules), each module compiled once per thread.
 *
 * @module
 */

/** Compiled modules, by their base64 bytes. */
const compiled = new Map<string, WebAssembly.Module>();

/** A module's exports (its memory among them) and a byte view of that memory. */
export interface WasmInstance<T extends { memory: WebAssembly.Memory }> {
  exports: T;
  memory: Uint8Array;
}

/**
 * A new instance of the module whose bytes are `base64`, compiled synchronously on first use (the
 * modules are a few KiB, under what browsers compile synchronously on any thread).
 * @throws where this runtime cannot compile the module (WebAssembly SIMD missing, say)
 */
export function instantiate<T extends { memory: WebAssembly.Memory }>(
  base64: string,
): WasmInstance<T> {
  let module = compiled.get(base64);
  if (module === undefined) {
    module = new WebAssembly.Module(Uint8Array.fromBase64(base64));
    compiled.set(base64, module);
  }
  const exports = new WebAssembly.Instance(module).exports as unknown as T;
  return { exports, memory: new Uint8Array(exports.memory.buffer) };
}
