import assert from "node:assert/strict";
import { nextTask } from "./next_task.ts";

Deno.test("nextTask() resumes its callers in order, after a timer that was due", async () => {
  const order: string[] = [];
  setTimeout(() => order.push("timer"), 0);
  await new Promise((resolve) => setTimeout(resolve, 5));
  await Promise.all([1, 2, 3].map((i) => nextTask().then(() => order.push(`task ${i}`))));
  assert.deepEqual(order, ["timer", "task 1", "task 2", "task 3"]);
});
