/**
 * Entry point of a {@link HashPool} worker: runs one hash or verify job per message. Loaded only
 * as a Worker (never import it); `deno compile` needs `--include src/auth/hash_worker.ts`.
 *
 * @module
 */

import { type HashWorkerScope, runHashJob } from "./_hash_job.ts";

const scope = globalThis as unknown as HashWorkerScope;

scope.onmessage = (event) => {
  void runHashJob(event.data).then((reply) => scope.postMessage(reply));
};
