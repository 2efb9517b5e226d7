/**
 * Entry point of an archive worker (see `archiver.ts`): an init message, then jobs, credits and
 * (when the init came without them) the known ids.
 * Jobs queue here and run one at a time; a credit is handled as soon as it arrives, even in the
 * middle of a job (the job awaits it), so a reply that frees this worker never waits behind
 * this worker's own work. Loaded only as a Worker (never import it); `deno compile` needs
 * `--include src/archive/archive_worker.ts`.
 *
 * @module
 */

import { ArchiveJobRunner } from "./_archive_job_runner.ts";
import type { JobMessage, JobReply, ToWorkerMessage } from "./_archive_messages.ts";

interface ArchiveWorkerScope {
  onmessage: ((event: MessageEvent<ToWorkerMessage>) => void) | null;
  postMessage(message: JobReply, transfer: ArrayBuffer[]): void;
}

const scope = globalThis as unknown as ArchiveWorkerScope;
const queue: JobMessage[] = [];
let runner: ArchiveJobRunner | undefined;
let running = false;

scope.onmessage = (event) => {
  const message = event.data;
  if (message.type === "init") {
    runner = new ArchiveJobRunner(message, (reply, transfer) => scope.postMessage(reply, transfer));
  } else if (message.type === "credit") {
    runner?.credit(message.bytes);
  } else if (message.type === "known") {
    runner?.know(message.knownIds);
  } else {
    queue.push(message);
    if (!running) void drain();
  }
};

/** Runs queued jobs in order; an unexpected error is rethrown outside the promise to crash. */
async function drain(): Promise<void> {
  running = true;
  try {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      if (runner === undefined) throw new Error("Cannot run archive job: the worker has no keys");
      await runner.run(job);
    }
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  } finally {
    running = false;
  }
}
