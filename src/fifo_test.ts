import assert from "node:assert/strict";
import { Fifo } from "./fifo.ts";

Deno.test("Fifo hands items out in order across its compactions", () => {
  const queue = new Fifo<number>();
  const out: number[] = [];
  let next = 0;
  // Push 3, take 2, many times: the head passes the compaction point again and again.
  for (let round = 0; round < 3000; round++) {
    for (let i = 0; i < 3; i++) queue.push(next++);
    for (let i = 0; i < 2; i++) out.push(queue.shift());
  }
  assert.equal(queue.size, 3000);
  while (queue.size > 0) out.push(queue.shift());
  assert.deepEqual(out, Array.from({ length: 9000 }, (_, i) => i));
});
