/**
 * Injectable time (CONVENTIONS.md: verification never reads the wall clock itself). Every
 * verifier and service takes a `Clock`; tests pass `fixedClock(...)` so dated RFC vectors replay.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = Object.freeze({ now: () => Date.now() });

/** A clock frozen at `epochMs`, movable by tests with `advance`/`set`. */
export interface ManualClock extends Clock {
  advance(ms: number): void;
  set(epochMs: number): void;
}

export function manualClock(epochMs: number): ManualClock {
  let current = epochMs;
  return {
    now: () => current,
    advance: (ms) => {
      current += ms;
    },
    set: (value) => {
      current = value;
    },
  };
}

/** Whole seconds since the epoch, as JWT `iat`/`exp` use (RFC 7519 §2 NumericDate). */
export function epochSeconds(clock: Clock): number {
  return Math.floor(clock.now() / 1000);
}
