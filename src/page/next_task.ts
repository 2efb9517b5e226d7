/**
 * Yielding to the page between pieces of work: `nextTask()` resolves in a new task, after the
 * browser had its turn to handle input and draw. It goes through a `MessageChannel`, which is not
 * slowed down the way nested `setTimeout(0)` calls are (to 4 ms each).
 *
 * @module
 */

const waiting: (() => void)[] = [];
let channel: MessageChannel | null = null;

/** Resolves in a new task of the page's event loop; callers are resumed in call order. */
export function nextTask(): Promise<void> {
  if (channel === null) {
    channel = new MessageChannel();
    channel.port1.onmessage = () => waiting.shift()?.();
  }
  const port = channel.port2;
  return new Promise((resolve) => {
    waiting.push(resolve);
    port.postMessage(null);
  });
}
