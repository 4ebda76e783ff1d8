/**
 * A FIFO async mutex. PGlite is one connection: transactions must not interleave, so the adapter
 * runs each one (and each migration run) while holding this lock.
 */
export interface Mutex {
  run<T>(fn: () => Promise<T>): Promise<T>;
}

export function createMutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      const result = tail.then(() => fn());
      // The next waiter starts after this one settles, whatever the outcome.
      tail = result.then(
        () => undefined,
        () => undefined,
      );
      return result;
    },
  };
}
