/**
 * Aggregate throughput of concurrent pushes through one server and through three servers of one
 * service (`--users postgres://…`, `--store s3://…` on Ceph RGW, one certificate), on the same
 * store, with where the machine's CPU went: the servers (from /proc), and the rest of the machine
 * (the push clients, radosgw and its OSD, PostgreSQL, anything else running) from /proc/stat.
 * On a small machine everything shares the same cores: the figures say what they are, not how a
 * service scales.
 *
 * Needs PostgreSQL (`BURROW_TEST_POSTGRES_URL`; a scratch database is made and dropped) and S3 (the
 * environment `scripts/scaleout/ceph-rgw-up.sh` prints).
 *
 * Usage: deno run -A scripts/bench/scale_out.ts [--out DIR] [--quick]
 *        (32 pushes of 8 MiB trees; quick: 8 of 4 MiB)
 *
 * @module
 */
import { createTestDatabase } from "../../tests/_postgres.ts";
import {
  freshPrefix,
  removePrefix,
  TEST_BUCKET,
  testObjectStore,
  testS3Settings,
} from "../../tests/_s3_env.ts";
import { makeTree } from "./_bench_data.ts";
import { cpuSeconds, lastErrorLine, withScratch } from "./_bench_process.ts";
import {
  fail,
  MiB,
  newResult,
  parseBenchArgs,
  progress,
  round,
  runBench,
} from "./_bench_result.ts";
import { BENCH_PASSWORD, type BurrowServer, runBurrow, startServer } from "./_bench_server.ts";

const options = parseBenchArgs();
const result = newResult("scale_out");
const PUSHES = options.quick ? 8 : 32;
const TREE_BYTES = (options.quick ? 4 : 8) * MiB;

/** Busy and total CPU seconds of the whole machine so far (all cores). */
function machineCpu(): { busy: number; total: number } {
  const line = Deno.readTextFileSync("/proc/stat").split("\n")[0]!;
  const ticks = line.trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

await runBench(options, result, async () => {
  await withScratch("burrow-scale-out-", async (scratch) => {
    const db = await createTestDatabase();
    const objects = await testObjectStore();
    const prefix = freshPrefix("bench-scale").slice(0, -1);
    const servers: BurrowServer[] = [];
    try {
      const certs = await runBurrow(["certs", "--out", `${scratch}/tls`]);
      if (certs.code !== 0) throw new Error(`certs: ${lastErrorLine(certs)}`);
      const s3 = testS3Settings();
      const env = {
        PGPASSWORD: db.password,
        AWS_ACCESS_KEY_ID: s3.accessKeyId,
        AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
      };
      const flags = [
        ...["--users", db.urlWithoutPassword, "--store", `s3://${TEST_BUCKET}/${prefix}`],
        ...["--s3-endpoint", s3.endpoint, "--s3-region", s3.region],
        ...["--cert", `${scratch}/tls/server.pem`, "--key", `${scratch}/tls/server.key`],
      ];
      for (let i = 0; i < 3; i++) {
        servers.push(await startServer(`${scratch}/data-${i}`, flags, env));
      }
      progress(`writing ${PUSHES} trees of ${TREE_BYTES / MiB} MiB`);
      for (let i = 0; i < PUSHES; i++) {
        await makeTree(`${scratch}/trees/t${i}`, `scale_out ${i}`, TREE_BYTES, 50);
      }
      for (const count of [1, 3]) {
        const users = Array.from({ length: PUSHES }, (_, i) => `s${count}u${i}`);
        for (const user of users) {
          const added = await runBurrow(
            ["useradd", user, "--data", servers[0]!.dataDir, "--users", db.urlWithoutPassword],
            { env: { ...env, BURROW_PASSWORD: BENCH_PASSWORD } },
          );
          if (added.code !== 0) throw new Error(`useradd: ${lastErrorLine(added)}`);
        }
        progress(`${PUSHES} pushes through ${count} server(s)`);
        const used = servers.slice(0, count);
        const serverCpu = () => used.reduce((sum, s) => sum + (cpuSeconds(s.pid) ?? NaN), 0);
        const cpu0 = serverCpu();
        const machine0 = machineCpu();
        const start = performance.now();
        const runs = await Promise.all(users.map((user, i) =>
          runBurrow([
            ...["push", `${scratch}/trees/t${i}`, "--server", used[i % count]!.address],
            ...["--ca", `${scratch}/tls/ca.pem`, "--user", user],
          ], { env: { BURROW_PASSWORD: BENCH_PASSWORD } })
        ));
        const wallS = (performance.now() - start) / 1000;
        const serverCpuS = serverCpu() - cpu0;
        const machine1 = machineCpu();
        const failed = runs.filter((run) => run.code !== 0);
        if (failed.length > 0) {
          fail(result, `${failed.length} pushes failed: ${lastErrorLine(failed[0]!)}`);
        }
        const label = `${count} server${count === 1 ? "" : "s"}`;
        const busy = machine1.busy - machine0.busy;
        result.rows.push(
          {
            label: `${label}: aggregate`,
            value: round((PUSHES * TREE_BYTES) / MiB / wallS),
            unit: "MiB/s",
          },
          { label: `${label}: wall`, value: round(wallS), unit: "s" },
          { label: `${label}: CPU of the servers`, value: round(serverCpuS), unit: "CPU s" },
          {
            label: `${label}: CPU of the rest (clients, RGW, PostgreSQL, others)`,
            value: round(busy - serverCpuS),
            unit: "CPU s",
          },
          {
            label: `${label}: machine busy`,
            value: round((100 * busy) / (machine1.total - machine0.total)),
            unit: "%",
          },
        );
      }
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
      await removePrefix(objects, `${prefix}/`);
      objects.close();
      await db.drop();
    }
  });
}, [
  `${PUSHES} pushes of distinct ${TREE_BYTES / MiB} MiB trees (one user each) started together`,
  `machine: ${navigator.hardwareConcurrency} cores shared by clients, servers, RGW and PostgreSQL`,
]);
