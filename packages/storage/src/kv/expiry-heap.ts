/**
 * A binary min-heap of (expiresAt, insertion order) used by the memory KV to find the
 * soonest-expiring entry in O(log n). Entries are invalidated lazily: the store compares the
 * popped `generation` with the live entry and skips stale items.
 */
export interface ExpiryItem {
  readonly key: string;
  readonly expiresAt: number;
  readonly generation: number;
}

function before(a: ExpiryItem, b: ExpiryItem): boolean {
  return a.expiresAt < b.expiresAt || (a.expiresAt === b.expiresAt && a.generation < b.generation);
}

export class ExpiryHeap {
  #items: ExpiryItem[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): ExpiryItem | undefined {
    return this.#items[0];
  }

  push(item: ExpiryItem): void {
    const items = this.#items;
    items.push(item);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(items[i]!, items[parent]!)) break;
      [items[i], items[parent]] = [items[parent]!, items[i]!];
      i = parent;
    }
  }

  pop(): ExpiryItem | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < items.length && before(items[l]!, items[m]!)) m = l;
      if (r < items.length && before(items[r]!, items[m]!)) m = r;
      if (m === i) break;
      [items[i], items[m]] = [items[m]!, items[i]!];
      i = m;
    }
    return top;
  }

  /** Drops stale items (compaction when lazy deletions pile up). */
  rebuild(isLive: (item: ExpiryItem) => boolean): void {
    const live = this.#items.filter(isLive);
    this.#items = [];
    for (const item of live) this.push(item);
  }
}
