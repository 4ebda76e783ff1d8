/** Read-only view of a frozen value, all the way down. */
export type DeepReadonly<T> = T extends (infer I)[]
  ? readonly DeepReadonly<I>[]
  : T extends readonly (infer I)[]
    ? readonly DeepReadonly<I>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/**
 * Freezes `value` and everything reachable from it (objects and arrays), so validated
 * configuration cannot be changed after start-up by any code path. Cycles are handled.
 */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  freeze(value, new Set<object>());
  return value as DeepReadonly<T>;
}

function freeze(value: unknown, seen: Set<object>): void {
  if ((typeof value !== 'object' && typeof value !== 'function') || value === null) return;
  if (seen.has(value)) return;
  seen.add(value);
  // Typed arrays with elements cannot be frozen (TypeError); secrets and keys are held as
  // Uint8Array elsewhere and are not part of plain configuration, so leave them as they are.
  if (ArrayBuffer.isView(value)) return;
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key);
    if (descriptor !== undefined && 'value' in descriptor) freeze(descriptor.value, seen);
  }
  Object.freeze(value);
}
