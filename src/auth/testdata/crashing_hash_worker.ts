/**
 * Test fixture: a hash worker that dies (uncaught error) on a verify job whose PHC string is
 * "crash", and behaves like the real worker otherwise.
 *
 * @module
 */

import { type HashWorkerScope, runHashJob } from "../_hash_job.ts";

const scope = globalThis as unknown as HashWorkerScope;

scope.onmessage = (event) => {
  if (event.data.op === "verify" && event.data.phc === "crash") {
    throw new Error("Cannot continue: simulated worker crash");
  }
  void runHashJob(event.data).then((reply) => scope.postMessage(reply));
};
