// A first-in-first-out queue with O(1) take: Array.prototype.shift is O(n) on large arrays, and the
// Pub/Sub backlog is largest exactly when the subscriber is busiest.
export class Fifo<T> {
  private items: Array<T | undefined> = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the consumed prefix is both large and most of the array.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * Two FIFOs, the first always taken before the second: jobs a user triggered (diary_saved,
 * manual) before schedule jobs waiting beside them, each lane in arrival order.
 */
export class PriorityFifo<T> {
  readonly #urgent = new Fifo<T>();
  readonly #normal = new Fifo<T>();

  get length(): number {
    return this.#urgent.length + this.#normal.length;
  }

  /** Items waiting in the normal lane. */
  get normalLength(): number {
    return this.#normal.length;
  }

  push(item: T, urgent: boolean): void {
    (urgent ? this.#urgent : this.#normal).push(item);
  }

  shift(): T | undefined {
    return this.#urgent.length > 0 ? this.#urgent.shift() : this.#normal.shift();
  }

  /** Takes the oldest normal item out (to make room for an urgent one). */
  shiftNormal(): T | undefined {
    return this.#normal.shift();
  }

  clear(): void {
    this.#urgent.clear();
    this.#normal.clear();
  }
}
