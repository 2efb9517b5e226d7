/**
 * Prints how many test files `deno task test` runs at once (DENO_JOBS of `deno test --parallel`):
 * DENO_JOBS when it is set, else one more than the CPUs, since the end-to-end tests spend part of
 * their time waiting for the servers and commands they start, while another file can use the CPU.
 *
 * Usage: deno run --allow-env=DENO_JOBS scripts/test_jobs.ts
 *
 * @module
 */
// deno-lint-ignore-file no-console

console.log(Deno.env.get("DENO_JOBS") || String(navigator.hardwareConcurrency + 1));
