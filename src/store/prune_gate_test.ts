import assert from "node:assert/strict";
import { BurrowError } from "../errors.ts";
import { PruneGate } from "./prune_gate.ts";

const busy = (pattern: RegExp) => (error: unknown) =>
  error instanceof BurrowError && error.code === "BUSY" && pattern.test(error.message);

Deno.test("PruneGate refuses pushes while a prune runs, and a second prune", async () => {
  const gate = new PruneGate();
  const leave = await gate.enterPrune();
  assert.throws(() => gate.enterPush("store chunks"), busy(/Cannot store chunks: a prune/));
  await assert.rejects(gate.enterPrune(), busy(/another prune/));
  leave(true);
  assert.equal(gate.epoch, 1);
  gate.enterPush("store chunks")();
});

Deno.test("PruneGate makes a prune wait for running pushes and refuses new ones meanwhile", async () => {
  const gate = new PruneGate();
  const push = gate.enterPush("list chunks");
  let entered = false;
  const prune = gate.enterPrune().then((leave) => {
    entered = true;
    return leave;
  });
  await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(entered, false);
  assert.throws(() => gate.enterPush("list chunks"), busy(/a prune/));
  push();
  push(); // leaving twice counts once
  (await prune)(false);
  assert.equal(gate.epoch, 0);
});

Deno.test("PruneGate gives up a prune when pushes outlast the wait, and lets pushes in again", async () => {
  const gate = new PruneGate();
  const push = gate.enterPush("list chunks");
  await assert.rejects(gate.enterPrune(5), busy(/a push to this repository is still running/));
  gate.enterPush("list chunks")();
  push();
  (await gate.enterPrune(5))(true);
});
