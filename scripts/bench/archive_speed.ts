/**
 * Speed of the archiver (walk, read, chunk, hash, compress, seal; no network): runs `archive()`
 * over a folder with a no-op upload, then again with the first run's entries as the parent
 * snapshot (an unchanged tree: nothing should be read). Prints wall time, MiB/s, process CPU
 * seconds and peak RSS (VmHWM) after each run.
 *
 * Usage: deno run -A scripts/bench/archive_speed.ts [DIR] [--workers N]
 * (DIR default /tmp/burrow-bench-data/mixed; make it with `bash scripts/bench/anchors/datasets.sh`)
 *
 * @module
 */
// deno-lint-ignore-file no-console

import { cpuUsage } from "node:process";
import { archive, type ArchiveResult } from "../../src/archive/archiver.ts";
import { deriveRepositoryKeys, newMasterKey } from "../../src/format/master_key.ts";
import { IdSet } from "../../src/format/id_set.ts";
import type { TreeEntry } from "../../src/format/snapshot_model.ts";

const MiB = 1024 * 1024;
const args = [...Deno.args];
const workersAt = args.indexOf("--workers");
const workers = workersAt >= 0 ? Number(args.splice(workersAt, 2)[1]) : 2;
const source = args[0] ?? "/tmp/burrow-bench-data/mixed";
/** A new repository's keys, so the chunker runs with a keyed gear table as in a real push. */
const keys = deriveRepositoryKeys(newMasterKey());

/** Peak resident memory of this process so far, in MiB (Linux). */
function peakRssMiB(): number {
  const status = Deno.readTextFileSync("/proc/self/status");
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match === null ? NaN : Number(match[1]) / 1024;
}

/** Runs archive() once and prints its figures. */
async function timed(
  name: string,
  previous: ReadonlyMap<string, TreeEntry> | null,
): Promise<ArchiveResult> {
  const cpu0 = cpuUsage();
  const t0 = performance.now();
  let uploads = 0;
  const result = await archive({
    source,
    keys,
    knownIds: IdSet.from([]),
    previous,
    workers,
    upload: (blobs) => {
      uploads += blobs.length;
      return Promise.resolve();
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuUsage(cpu0);
  const s = result.summary;
  console.log(
    `${name.padEnd(10)} wall ${seconds.toFixed(2)} s, ${
      (s.bytes / MiB / seconds).toFixed(0)
    } MiB/s, ` +
      `CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s, peak RSS ${
        peakRssMiB().toFixed(0)
      } MiB; ` +
      `files ${s.files} (new ${s.filesNew}, changed ${s.filesChanged}, unchanged ${s.filesUnchanged}), ` +
      `read ${(s.bytesRead / MiB).toFixed(1)} MiB, sent ${(s.bytesSent / MiB).toFixed(1)} MiB ` +
      `in ${uploads} blobs, warnings ${s.warnings}`,
  );
  return result;
}

try {
  Deno.statSync(source);
} catch {
  console.error(
    `Cannot benchmark: "${source}" does not exist (bash scripts/bench/anchors/datasets.sh)`,
  );
  Deno.exit(1);
}
console.log(`archive ${source} with ${workers} workers (no-op upload)`);
const full: ArchiveResult = await timed("full", null);
const previous = new Map(full.entries.map((entry) => [entry.path, entry]));
await timed("unchanged", previous);
