import assert from "node:assert/strict";
import { StageTimer } from "./stage_timer.ts";

Deno.test("StageTimer records each stage from the previous lap and adds repeated names", () => {
  const clock = [0, 10, 25, 30, 32.5];
  const timer = new StageTimer(() => clock.shift() ?? NaN);
  timer.lap("connect");
  timer.lap("walk");
  timer.lap("upload");
  timer.lap("walk");
  assert.deepEqual(timer.lines(), [
    "timing: connect 10.0 ms",
    "timing: walk    17.5 ms",
    "timing: upload  5.0 ms",
    "timing: total   32.5 ms",
  ]);
});
