/**
 * A first-in first-out queue: an array with a moving head, compacted once the head has passed
 * half of it, so that taking from the front costs amortised O(1) however long the queue grows.
 *
 * @module
 */

/** A first-in first-out queue. */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  /** The oldest item; call only when `size` > 0. */
  shift(): T {
    const item = this.#items[this.#head++]!;
    if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
