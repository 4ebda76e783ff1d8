/**
 * Bench output protocol: every measurement is ONE JSON line on stdout,
 * `{"bench","metric","value","unit", ...extra}`; everything else (progress, warnings) goes to
 * stderr so `npm run bench -- <name> | jq` sees measurements only.
 */
export interface Measurement {
  readonly bench: string;
  readonly metric: string;
  /** `null` only together with `skipped` (the figure could not be measured in this run). */
  readonly value: number | null;
  readonly unit: string;
  readonly skipped?: string;
  readonly [extra: string]: unknown;
}

export function emit(measurement: Measurement): void {
  process.stdout.write(`${JSON.stringify(measurement)}\n`);
}

export function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** Parses one stdout line back into a measurement; undefined for anything else. */
export function parseMeasurement(line: string): Measurement | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const m = value as Record<string, unknown>;
  const ok =
    typeof m.bench === 'string' &&
    typeof m.metric === 'string' &&
    typeof m.unit === 'string' &&
    (typeof m.value === 'number' || (m.value === null && typeof m.skipped === 'string'));
  return ok ? (m as unknown as Measurement) : undefined;
}
